import { defineRelay, type AnyProjection } from '@tandem/core';
import type { EventPublisher } from '@tandem/core/adapter';
import { natsRelayConfig, openNatsPublisher } from './nats-relay-config.js';
import { openRabbitPublisher, rabbitRelayConfig } from './rabbit-relay-config.js';
import { redactUrl } from './redact-url.js';

/** One relay the environment configures: its projection, and where it publishes (for the log). */
export interface ConfiguredRelay {
  /** `defineRelay` over the broker's publisher: `relay-nats`, `relay-rabbitmq`. It owns the publisher. */
  readonly projection: AnyProjection;
  /** The variable that configured it: `NATS_URL` or `RABBITMQ_URL`. */
  readonly variable: 'NATS_URL' | 'RABBITMQ_URL';
  /** Where it publishes, fit to log (passwords hidden): `NATS nats://host:4222 (stream TANDEM)`. */
  readonly destination: string;
  /** Closes its publisher: for a start that failed before the app's daemon owned the relay. */
  close(): Promise<void>;
}

/**
 * The relays the environment configures, one per broker that is set, so both may run at once:
 * NATS_URL (TANDEM_NATS_STREAM, TANDEM_NATS_SUBJECT_PREFIX) gives `relay-nats`, RABBITMQ_URL
 * (TANDEM_RABBITMQ_EXCHANGE) gives `relay-rabbitmq`. Every variable is checked before any package
 * loads, so a bad URL fails the start with nothing to undo. The publishers connect at the relay's
 * first batch, not here: a broker that is down is an outage the relay rides out (retried, shown
 * in the status and health), not a refused start. Each relay's publisher closes with the daemon
 * that runs it (`ProjectionDaemon.close`); until a daemon has it, {@link closeRelays}.
 */
export async function openRelays(env: NodeJS.ProcessEnv): Promise<readonly ConfiguredRelay[]> {
  const nats = natsRelayConfig(env);
  const rabbit = rabbitRelayConfig(env);
  const relays: ConfiguredRelay[] = [];
  try {
    if (nats !== undefined) {
      const servers = nats.servers.split(',').map((server) => redactUrl(server.trim()));
      relays.push(
        relayOf(
          await openNatsPublisher(nats),
          'NATS_URL',
          `NATS ${servers.join(',')} (stream ${nats.stream ?? 'TANDEM'}, subjects ${nats.subjectPrefix ?? 'tandem'}.>)`,
        ),
      );
    }
    if (rabbit !== undefined)
      relays.push(
        relayOf(
          await openRabbitPublisher(rabbit),
          'RABBITMQ_URL',
          `RabbitMQ ${redactUrl(rabbit.url)} (exchange ${rabbit.exchange ?? 'tandem.events'})`,
        ),
      );
  } catch (error) {
    await closeRelays(relays);
    throw error;
  }
  return relays;
}

function relayOf(
  publisher: EventPublisher,
  variable: ConfiguredRelay['variable'],
  destination: string,
): ConfiguredRelay {
  return { projection: defineRelay(publisher), variable, destination, close: () => publisher.close() };
}

/** Closes every relay's publisher, each even when one fails; the first failure is thrown after. */
export async function closeRelays(relays: readonly ConfiguredRelay[]): Promise<void> {
  const results = await Promise.allSettled(relays.map((relay) => relay.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** Says, once per relay, where it publishes (whichever process holds the relay's lease does). */
export function logRelays(relays: readonly ConfiguredRelay[], log: (line: string) => void): void {
  for (const relay of relays)
    log(
      `relay: publishing committed events to ${relay.destination} as ${relay.projection.name}, from the process holding its lease`,
    );
}
