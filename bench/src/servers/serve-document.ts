import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { announceReady, exitOnSignal, listenLocal } from './spawn-server.js';

// The ceiling for queries over HTTP: bare Fastify answering the same route with the same
// document, held in memory (BENCH_DOCUMENT), with no validation, auth or storage. It sends a
// Request-Id as Tandem does, so both put the same bytes on the wire.
const document = JSON.parse(process.env.BENCH_DOCUMENT ?? '{}') as Record<string, unknown>;
const app = Fastify({ logger: false });
app.get('/queries/GetProductPage', async (_request, reply) =>
  reply.header('request-id', randomUUID()).send(document),
);
const url = await listenLocal(app);
exitOnSignal(() => app.close());
announceReady({ url });
