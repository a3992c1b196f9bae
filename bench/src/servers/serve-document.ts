import Fastify from 'fastify';
import { announceReady, exitOnSignal } from './spawn-server.js';

// The ceiling for queries over HTTP: bare Fastify answering the same route with the same
// document, held in memory (BENCH_DOCUMENT), with no validation, auth or storage.
const document = JSON.parse(process.env.BENCH_DOCUMENT ?? '{}') as Record<string, unknown>;
const app = Fastify({ logger: false });
app.get('/queries/GetProductPage', async () => document);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('No TCP address');
exitOnSignal(() => app.close());
announceReady({ url: `http://127.0.0.1:${address.port}` });
