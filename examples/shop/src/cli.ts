import { createCli, openStore } from '@tandem/cli';
import type { Store } from '@tandem/core';
import { InvalidArgumentError } from 'commander';
import { seedProducts } from './seed.js';
import { paymentTimeoutMs } from './orders/payment-timeout.js';
import { createShopApp, shopDatabaseUrl, type ShopAppOptions } from './shop-app.js';

// Read before anything opens: a bad value stops every subcommand with the variable's name.
const paymentTimeout = paymentTimeoutMs(process.env);
const createApp = (store: Store, options: ShopAppOptions = {}) =>
  createShopApp(store, { ...options, paymentTimeoutMs: paymentTimeout });

const program = createCli({
  name: 'tandem',
  description: 'The Tandem shop: serve it, mint tokens, read the audit trail, seed demo data',
  createApp,
  databaseUrl: shopDatabaseUrl,
  extend(cli, config) {
    cli
      .command('seed')
      .description('create demo products (idempotent: seeding twice adds nothing)')
      .option(
        '--products <n>',
        'how many products',
        (v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1)
            throw new InvalidArgumentError('Expected a positive whole number.');
          return n;
        },
        100,
      )
      .action(async (flags: { products: number }) => {
        const app = await createApp(await openStore(config.databaseUrl));
        try {
          const created = await seedProducts(app, flags.products, (line) =>
            process.stdout.write(`${line}\n`),
          );
          process.stdout.write(
            `Seeded ${created} new products (${flags.products - created} already there).\n`,
          );
        } finally {
          await app.close();
        }
      });
  },
});

await program.parseAsync(process.argv);
