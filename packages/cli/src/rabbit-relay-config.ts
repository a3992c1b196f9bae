import type { EventPublisher } from '@tandem/core/adapter';
import { loadAdapter } from './load-adapter.js';
import { envValue } from './nats-relay-config.js';
import { redactUrl } from './redact-url.js';

/** Where the RabbitMQ relay publishes, from the environment. */
export interface RabbitRelayConfig {
  /** RABBITMQ_URL: `amqp://user:password@host:5672/vhost` (or `amqps://`). */
  readonly url: string;
  /** TANDEM_RABBITMQ_EXCHANGE: the topic exchange; unset, the publisher's default (`tandem.events`). */
  readonly exchange: string | undefined;
}

/**
 * The RabbitMQ relay's configuration when RABBITMQ_URL is set, else undefined (no relay). The URL
 * must be `amqp://` or `amqps://`, checked here so a typo fails at start, not at the first publish;
 * the error never prints its password.
 */
export function rabbitRelayConfig(env: NodeJS.ProcessEnv): RabbitRelayConfig | undefined {
  const raw = envValue(env, 'RABBITMQ_URL');
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || !['amqp:', 'amqps:'].includes(url.protocol) || url.hostname === '')
    throw new Error(
      `RABBITMQ_URL must be amqp://user:password@host:port (or amqps://), got ${JSON.stringify(redactUrl(raw))}`,
    );
  const exchange = envValue(env, 'TANDEM_RABBITMQ_EXCHANGE');
  // The same rule as an AMQP short string, printable: a name RabbitMQ would refuse fails here.
  if (exchange !== undefined && !/^[A-Za-z0-9_.:-]{1,255}$/.test(exchange))
    throw new Error(
      `TANDEM_RABBITMQ_EXCHANGE must be 1 to 255 letters, digits, '-', '_', '.' or ':', got ${JSON.stringify(exchange)}`,
    );
  return { url: raw, exchange };
}

/**
 * Loads `@tandem/rabbitmq` (an optional peer: only deployments that relay to RabbitMQ install it,
 * see `loadAdapter`) and builds the relay's publisher, which connects at its first use.
 */
export async function openRabbitPublisher(
  config: RabbitRelayConfig,
  importModule?: (specifier: string) => Promise<unknown>,
): Promise<EventPublisher> {
  const rabbit = await loadAdapter('rabbitmq', importModule);
  return rabbit.rabbitPublisher({
    url: config.url,
    ...(config.exchange === undefined ? {} : { exchange: config.exchange }),
  });
}
