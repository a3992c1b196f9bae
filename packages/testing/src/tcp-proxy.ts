import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of a real server, which a test can cut to make that server unreachable. */
export interface TcpProxy {
  /** The local port clients connect to. */
  readonly port: number;
  /** Closes every connection and refuses new ones: the server is unreachable from now on. */
  cut(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 forwarding to `host:port`, for outage tests against real servers:
 * cutting it breaks live connections and refuses new ones, the way a network partition or a
 * stopped database does, without touching the server other tests use.
 */
export async function tcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host, port });
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
