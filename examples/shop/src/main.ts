import { loadConfig, redactUrl, serve } from '@tandem/cli';
import { signToken } from '@tandem/http';
import { paymentTimeoutMs } from './orders/payment-timeout.js';
import { createShopApp, shopDatabaseUrl } from './shop-app.js';

// `npm start`: the shop on embedded SQLite (or whatever DATABASE_URL names).
const config = loadConfig(process.env, { databaseUrl: shopDatabaseUrl });
// Read before anything opens: a bad value stops the start with the variable's name.
const paymentTimeout = paymentTimeoutMs(process.env);
const running = await serve({
  config,
  createApp: (store, options) => createShopApp(store, { ...options, paymentTimeoutMs: paymentTimeout }),
  title: 'Tandem shop',
  handleSignals: true,
});
// An admin token on stdout is a convenience for trying the shop, valid 12 hours (less if
// TANDEM_TOKEN_MAX_LIFETIME is less). In production stdout goes to logs, where a token would
// outlive its purpose, so there the operator mints one on purpose.
const adminToken = config.production
  ? 'not printed in production; mint one with `tandem token --user <id> --role admin`'
  : await signToken({ sub: 'admin', role: 'admin' }, running.auth);
process.stdout.write(
  [
    `Tandem shop listening on ${running.url}`,
    // Never the password: this line ends up in terminals, CI output and log files.
    `Database: ${redactUrl(config.databaseUrl)}`,
    `Admin token: ${adminToken}`,
    // No line when TANDEM_CONSOLE=off left the console out.
    ...(running.server.hasRoute({ method: 'GET', url: '/console' })
      ? [`Console: ${running.url}/console/ (sign in with the admin token)`]
      : []),
    `Try: curl -s ${running.url}/openapi.json`,
    '',
  ].join('\n'),
);
