import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '@tandem/cli';
import type { ProjectionLogger, Store } from '@tandem/core';
import { createNatsConsumer, type NatsConsumer, type NatsConsumerStatus } from '@tandem/nats';
import { notificationMigrations } from './notification-migrations.js';
import type { NotificationsConfig } from './notifications-config.js';
import { recordOrderNotification } from './record-order-notification.js';

/** The notifications service, consuming. */
export interface NotificationsService {
  /** The durable JetStream consumer (its status counters, its dead-letter subject). */
  readonly consumer: NatsConsumer;
  /** The service's own store. */
  readonly store: Store;
  /** Counters since start. */
  status(): NatsConsumerStatus;
  /**
   * Stops consuming (messages in process finish and are acknowledged after their commit, the rest
   * go back to JetStream) and closes the store.
   */
  stop(): Promise<void>;
}

/** The longest pause between two attempts to start consuming. */
const maxStartDelayMs = 10_000;

/**
 * Starts the shop's order-notifications service: opens its own store (migrating its tables and
 * Tandem's inbox), then a durable JetStream consumer on every order event the shop's relay
 * publishes (`<prefix>.order.>`). Each event's notification row and its inbox claim commit in one
 * transaction, so a redelivery (after a crash between commit and acknowledgement, or a relay
 * replay past JetStream's duplicate window) writes nothing twice.
 *
 * Until NATS answers and the relay has created its stream (the service may start first), it logs
 * why and tries again, every second and then less often, until it starts or `signal` aborts.
 */
export async function startNotificationsService(
  config: NotificationsConfig,
  logger: ProjectionLogger,
  signal?: AbortSignal,
): Promise<NotificationsService> {
  const store = await openStore(config.databaseUrl);
  let consumer: NatsConsumer;
  try {
    await store.migrate('shop-notifications', [...notificationMigrations]);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      consumer = createNatsConsumer({
        servers: config.natsServers,
        stream: config.stream,
        subjectPrefix: config.subjectPrefix,
        durable: config.durable,
        filterSubjects: [`${config.subjectPrefix}.order.>`],
        ackWaitMs: config.ackWaitMs,
        store,
        handle: recordOrderNotification,
        logger,
      });
      try {
        await consumer.start();
        break;
      } catch (error) {
        const delayMs = Math.min(maxStartDelayMs, 1_000 * attempt);
        logger.warn(
          // The message only: the same stack trace every second says nothing more.
          { reason: error instanceof Error ? error.message : String(error), attempt, retryInMs: delayMs },
          'notifications: cannot consume yet (is NATS up, and has the shop relay created its stream?)',
        );
        await sleep(delayMs, undefined, signal === undefined ? {} : { signal });
      }
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    consumer,
    store,
    status: () => consumer.status(),
    stop: () =>
      (stopping ??= (async () => {
        try {
          await consumer.stop();
        } finally {
          await store.close();
        }
      })()),
  };
}
