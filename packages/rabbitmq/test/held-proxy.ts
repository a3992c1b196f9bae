import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the broker that a test can stall or break without touching the broker
 * other tests use: `hold()` swallows the broker's bytes (confirms never arrive, like a hung broker; the
 * connection is useless afterwards), `drop()` breaks the live connections but keeps accepting new ones (like a broker
 * restart), `release()` forwards again.
 */
export interface HeldProxy {
  readonly port: number;
  hold(): void;
  release(): void;
  drop(): void;
  close(): Promise<void>;
}

/** Starts a {@link HeldProxy} on 127.0.0.1 forwarding to `host:port`. */
export async function heldProxy(host: string, port: number): Promise<HeldProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let held = false;
  const server = createServer((client) => {
    const upstream = createConnection({ host, port });
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!held) client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
    },
    drop: () => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
