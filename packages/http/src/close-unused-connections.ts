import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Closes, when the server closes, the connections on which no request is under way. Node's
 * `server.close()` ends idle keep-alive connections, but counts a connection that has not sent
 * its first request as busy until `headersTimeout` (a minute): a browser's speculative preconnect,
 * or the connection `fetch()` opens again after a stream it aborted, would hold a shutdown that
 * long. Requests under way finish as before (Fastify answers new ones 503 while closing).
 */
export function closeUnusedConnections(app: FastifyInstance): void {
  /** Each open connection, and how many of its requests are unanswered. */
  const open = new Map<Socket, number>();
  app.server.on('connection', (socket: Socket) => {
    open.set(socket, 0);
    socket.once('close', () => open.delete(socket));
  });
  app.server.on('request', (request: { socket: Socket }, response: NodeJS.EventEmitter) => {
    const { socket } = request;
    open.set(socket, (open.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (open.get(socket) ?? 1) - 1;
      if (open.has(socket)) open.set(socket, left);
    });
  });
  app.addHook('preClose', async () => {
    for (const [socket, unanswered] of open) if (unanswered === 0) socket.destroy();
  });
}
