import { createTandem, type AnyProjection, type Store } from '@tandem/core';
import { balancesProjection } from './balances.js';
import { Deposit } from './deposit.js';
import { GetBalance } from './get-balance.js';

/**
 * The application: its commands, projections and queries, on any store (SQLite here, PostgreSQL
 * later). Its type is inferred from them, so `app.execute` and `app.query` check names and data.
 * `options.projections` run beside its own: the relays to NATS or RabbitMQ that the `tandem`
 * command line (`@tandem/cli`) passes when NATS_URL or RABBITMQ_URL is set.
 */
export function createApp(store: Store, options: { readonly projections?: readonly AnyProjection[] } = {}) {
  return createTandem({
    name: 'app',
    store,
    commands: [Deposit],
    projections: [balancesProjection, ...(options.projections ?? [])],
    queries: [GetBalance],
  });
}

/** The typed application. */
export type App = Awaited<ReturnType<typeof createApp>>;
