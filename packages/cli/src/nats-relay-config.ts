import type { EventPublisher } from '@tandem/core/adapter';
import { loadAdapter } from './load-adapter.js';
import { redactUrl } from './redact-url.js';

/** Where the relay publishes, from the environment. */
export interface NatsRelayConfig {
  /** NATS_URL: `nats://host:4222`, comma-separated for several servers. */
  readonly servers: string;
  /** TANDEM_NATS_STREAM: the JetStream stream; unset, the publisher's default (`TANDEM`). */
  readonly stream: string | undefined;
  /** TANDEM_NATS_SUBJECT_PREFIX: the subject prefix; unset, the publisher's default (`tandem`). */
  readonly subjectPrefix: string | undefined;
}

/** A variable's value, with empty treated as unset. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

/**
 * The NATS relay's configuration when NATS_URL is set, else undefined (no relay). Each server
 * must be a `nats://` (or `tls://`) URL, checked here so a typo fails at start, not at the first
 * publish.
 */
export function natsRelayConfig(env: NodeJS.ProcessEnv): NatsRelayConfig | undefined {
  const servers = envValue(env, 'NATS_URL');
  if (servers === undefined) return undefined;
  for (const server of servers.split(',')) {
    let url: URL | undefined;
    try {
      url = new URL(server.trim());
    } catch {
      url = undefined;
    }
    if (url === undefined || !['nats:', 'tls:'].includes(url.protocol))
      throw new Error(
        `NATS_URL must be nats://host:port (comma-separated for several), got ${JSON.stringify(redactUrl(server))}`,
      );
  }
  return {
    servers,
    stream: envValue(env, 'TANDEM_NATS_STREAM'),
    subjectPrefix: envValue(env, 'TANDEM_NATS_SUBJECT_PREFIX'),
  };
}

/**
 * Loads `@tandem/nats` (an optional peer: only deployments that relay install it, see
 * `loadAdapter`) and builds the relay's publisher, which connects at its first use. A missing
 * package is named with its install command; a bad stream name or prefix throws here.
 */
export async function openNatsPublisher(
  config: NatsRelayConfig,
  importModule?: (specifier: string) => Promise<unknown>,
): Promise<EventPublisher> {
  const nats = await loadAdapter('nats', importModule);
  return nats.natsPublisher({
    servers: config.servers,
    ...(config.stream === undefined ? {} : { stream: config.stream }),
    ...(config.subjectPrefix === undefined ? {} : { subjectPrefix: config.subjectPrefix }),
  });
}
