import Fastify from 'fastify';
import { announceReady, exitOnSignal, listenLocal } from './spawn-server.js';

// The ceiling for queries over HTTP: bare Fastify answering the same route with the same
// document, held in memory (BENCH_DOCUMENT), with no validation, auth or storage.
const document = JSON.parse(process.env.BENCH_DOCUMENT ?? '{}') as Record<string, unknown>;
const app = Fastify({ logger: false });
app.get('/queries/GetProductPage', async () => document);
const url = await listenLocal(app);
exitOnSignal(() => app.close());
announceReady({ url });
