// Serves the bank over HTTP: `npm start --workspace examples/bank`. DATABASE_URL picks the store
// (default sqlite:./data/bank.db), TANDEM_SECRET the JWT secret (at least 32 bytes), PORT the port.
import { mkdirSync } from 'node:fs';
import { createHttpServer } from '@tandem/http';
import { createBankApp } from './bank-app.js';
import { openBankStore } from './bank-store.js';

const secret = process.env.TANDEM_SECRET;
if (secret === undefined || secret.length < 32) {
  console.error('Set TANDEM_SECRET to at least 32 bytes (openssl rand -base64 32)');
  process.exit(1);
}
const url = process.env.DATABASE_URL ?? 'sqlite:./data/bank.db';
if (url.startsWith('sqlite:./data/')) mkdirSync('data', { recursive: true });

const app = await createBankApp(await openBankStore(url));
await app.start();
const server = await createHttpServer({ tandem: app, auth: { secret } });
const address = await server.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`bank listening on ${address}`);

// Stop cleanly on Ctrl-C or a supervisor's SIGTERM: finish requests, stop projections, close the store.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server
      .close()
      .then(() => app.close())
      .then(() => process.exit(0));
  });
}
