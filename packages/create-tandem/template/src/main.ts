import { randomBytes } from 'node:crypto';
import { signToken } from '@tandem/http';
import { openSqliteStore } from '@tandem/sqlite';
import { createApp } from './app.js';
import { createServer } from './server.js';

// `npm start`: the app on embedded SQLite, over HTTP.
const store = await openSqliteStore({ filename: process.env['DATABASE_FILE'] ?? 'data/app.db' });
const app = await createApp(store);
await app.start();
// Without TANDEM_SECRET, a secret for this run only: tokens from an earlier run stop working.
const secret = process.env['TANDEM_SECRET'] ?? randomBytes(32).toString('base64url');
const server = await createServer(app, secret);
const url = await server.listen({ port: Number(process.env['PORT'] ?? 3000), host: '127.0.0.1' });
const token = await signToken({ sub: 'dev', role: 'user' }, secret, { expiresIn: '12h' });
process.stdout.write(`Listening on ${url}\nToken (12 h): ${token}\n`);

async function stop() {
  await server.close();
  await app.close();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stop().catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  });
}
