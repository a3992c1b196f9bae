import { createConnection, createServer, type Socket } from 'node:net';

/** A proxy between NATS clients and a real server that loses chosen published messages. */
export interface LossyNatsProxy {
  /** `nats://127.0.0.1:<port>`: connect clients here. */
  readonly url: string;
  /** The message ids whose publish frames are dropped on the way to the server (edit freely). */
  readonly drop: Set<string>;
  /** How many frames were dropped so far. */
  readonly dropped: () => number;
  /** Closes the proxy and its connections. */
  close(): Promise<void>;
}

const crlf = Buffer.from('\r\n');

/**
 * Forwards NATS protocol between clients and `upstreamPort`, parsing the client's side frame by
 * frame, and silently drops each `HPUB` whose headers carry `Nats-Msg-Id: <id>` for an id in
 * `drop`: one message lost in the network while the ones after it arrive, the partial failure
 * a relay must survive without storing a later event ahead of an earlier one.
 */
export async function lossyNatsProxy(upstreamPort: number): Promise<LossyNatsProxy> {
  const drop = new Set<string>();
  let dropped = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    track(client);
    track(upstream);
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf(crlf);
        if (end === -1) return;
        const line = pending.subarray(0, end).toString('latin1');
        const verb = line.slice(0, 5).toUpperCase();
        let frameLength = end + 2;
        let headers = '';
        if (verb === 'HPUB ' || verb.startsWith('PUB ')) {
          const parts = line.trim().split(/\s+/);
          const total = Number(parts[parts.length - 1]);
          const headerLength = verb === 'HPUB ' ? Number(parts[parts.length - 2]) : 0;
          frameLength = end + 2 + total + 2;
          if (pending.length < frameLength) return; // the rest of the frame is still coming
          headers = pending.subarray(end + 2, end + 2 + headerLength).toString('utf8');
        }
        const frame = pending.subarray(0, frameLength);
        pending = pending.subarray(frameLength);
        const id = /\r\nNats-Msg-Id:\s*([^\r]*)\r\n/i.exec(headers)?.[1];
        if (id !== undefined && drop.has(id)) dropped += 1;
        else upstream.write(frame);
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `nats://127.0.0.1:${port}`,
    drop,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
