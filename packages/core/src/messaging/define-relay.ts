import type { RecordedEvent } from '../messages/event.js';
import { assertKnownOptions } from '../options/known-options.js';
import { defineProjection, type AnyProjection } from '../projections/projection-definition.js';
import { retryPolicyKeys, type RetryPolicy } from '../write/retry-policy.js';
import type { EventPublisher } from './event-publisher.js';

/** Options of {@link defineRelay}. */
export interface RelayOptions {
  /** The relay's name in status, leases and metrics. Default: `relay-<publisher name>`. */
  readonly name?: string;
  /** Event types to publish. Default: every type (`['*']`). */
  readonly events?: readonly string[];
  /**
   * Attempts and backoff for a batch whose events the broker refuses as such (the publisher throws
   * `ApplyFailed`). A broker that cannot be reached is an outage: retried with backoff for as long
   * as it lasts, whatever this says.
   */
  readonly retry?: RetryPolicy;
}

const relayKeys = ['name', 'events', 'retry'] as const satisfies readonly (keyof RelayOptions)[];

/**
 * A relay: publishes every committed event, in log order, through `publisher` to a broker other
 * services read (the log is the outbox; this is what delivers it outward). Register it with the
 * projections (`createTandem({ projections: [..., defineRelay(natsPublisher(...))] })`): the
 * daemon runs it like one, under a lease when processes share the work, with a checkpoint, status,
 * lag, health and metrics.
 *
 * It publishes each batch outside any read transaction and moves its checkpoint only once the
 * broker acknowledged every event of it. A crash in between publishes the batch again; the broker
 * drops the duplicates by message id (the event id) within its deduplication window, and a
 * consumer's inbox drops any that get through. Exactly once in effect, not in transit.
 *
 * The publisher's destination is created (`prepare`) before the first batch, and again after a
 * failed publish, in case the broker lost it.
 *
 * The relay owns `publisher`: closing the daemon (the application's `close`) closes it, after the
 * relay's runner stopped. Give each relay a publisher of its own.
 */
export function defineRelay(publisher: EventPublisher, options: RelayOptions = {}): AnyProjection {
  assertKnownOptions('defineRelay', options, relayKeys);
  assertKnownOptions('defineRelay retry', options.retry, retryPolicyKeys);
  let prepared: Promise<void> | undefined;
  const prepare = (): Promise<void> => {
    prepared ??= publisher.prepare().catch((error: unknown) => {
      prepared = undefined; // the next batch tries again
      throw error;
    });
    return prepared;
  };
  return defineProjection({
    name: options.name ?? `relay-${publisher.name}`,
    version: 1,
    events: options.events ?? ['*'],
    collections: {},
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    // Never called: `deliver` takes every batch.
    apply: async () => {},
    async deliver(events: readonly RecordedEvent[]) {
      await prepare();
      try {
        await publisher.publish(events);
      } catch (error) {
        prepared = undefined;
        throw error;
      }
    },
    // Called by the daemon's close, after the runner stopped: no publish is in flight then.
    close: () => publisher.close(),
  });
}
