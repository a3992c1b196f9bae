import { loadConfig, serve } from '@tandem/cli';
import { signToken } from '@tandem/http';
import { createShopApp } from './shop-app.js';

// `npm start`: the shop on embedded SQLite (or whatever DATABASE_URL names).
const config = loadConfig(process.env);
const running = await serve({ config, createApp: createShopApp, title: 'Tandem shop', handleSignals: true });
const adminToken = await signToken({ sub: 'admin', role: 'admin' }, running.secret, { expiresIn: '30d' });
process.stdout.write(
  [
    `Tandem shop listening on ${running.url}`,
    `Database: ${config.databaseUrl}`,
    `Admin token: ${adminToken}`,
    `Try: curl -s ${running.url}/openapi.json`,
    '',
  ].join('\n'),
);
