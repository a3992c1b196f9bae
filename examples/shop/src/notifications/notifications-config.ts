import { redactUrl } from '@tandem/cli';

/** Where the notifications service keeps its store when NOTIFICATIONS_DATABASE_URL is unset (relative to examples/shop). */
export const notificationsDatabaseUrl = 'sqlite:./data/notifications.db';

/** The notifications service's configuration, read from the environment by {@link loadNotificationsConfig}. */
export interface NotificationsConfig {
  /** NATS_URL: the servers the shop's relay publishes to, comma-separated. */
  readonly natsServers: readonly string[];
  /** TANDEM_NATS_STREAM: the relay's JetStream stream (default `TANDEM`, the relay's). */
  readonly stream: string;
  /** TANDEM_NATS_SUBJECT_PREFIX: the relay's subject prefix (default `tandem`, the relay's). */
  readonly subjectPrefix: string;
  /** NOTIFICATIONS_DATABASE_URL: the service's own store, `sqlite:<path>` or `postgres://...?schema=`. */
  readonly databaseUrl: string;
  /** NOTIFICATIONS_DURABLE: the JetStream durable and inbox name (default `shop-notifications`). */
  readonly durable: string;
  /** NOTIFICATIONS_ACK_WAIT_MS: how long JetStream waits before redelivering to another instance. */
  readonly ackWaitMs: number;
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

/**
 * Reads the service's variables. It reads the relay's NATS_URL, TANDEM_NATS_STREAM and
 * TANDEM_NATS_SUBJECT_PREFIX under the same names, so one environment file serves the shop's
 * workers and this service.
 * @throws Error naming the variable that is missing or wrong.
 */
export function loadNotificationsConfig(env: NodeJS.ProcessEnv): NotificationsConfig {
  const nats = value(env, 'NATS_URL');
  if (nats === undefined)
    throw new Error('NATS_URL is not set: the notifications service reads the stream the shop relay writes');
  const natsServers = nats.split(',').map((server) => server.trim());
  for (const server of natsServers)
    if (!URL.canParse(server) || !['nats:', 'tls:'].includes(new URL(server).protocol))
      throw new Error(
        `NATS_URL must be nats://host:port (comma-separated for several), got ${JSON.stringify(redactUrl(server))}`,
      );
  const durable = value(env, 'NOTIFICATIONS_DURABLE') ?? 'shop-notifications';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(durable))
    throw new Error(
      `NOTIFICATIONS_DURABLE must be 1 to 64 letters, digits, '_' or '-', got ${JSON.stringify(durable)}`,
    );
  const ackWait = value(env, 'NOTIFICATIONS_ACK_WAIT_MS') ?? '30000';
  const ackWaitMs = Number(ackWait);
  if (!/^\d{1,9}$/.test(ackWait) || ackWaitMs < 1_000)
    throw new Error(
      `NOTIFICATIONS_ACK_WAIT_MS must be a whole number of milliseconds, at least 1000, got ${JSON.stringify(ackWait)}`,
    );
  return {
    natsServers,
    stream: value(env, 'TANDEM_NATS_STREAM') ?? 'TANDEM',
    subjectPrefix: value(env, 'TANDEM_NATS_SUBJECT_PREFIX') ?? 'tandem',
    databaseUrl: value(env, 'NOTIFICATIONS_DATABASE_URL') ?? notificationsDatabaseUrl,
    durable,
    ackWaitMs,
  };
}
