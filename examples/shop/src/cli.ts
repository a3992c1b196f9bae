import { createCli, openStore } from '@tandem/cli';
import { InvalidArgumentError } from 'commander';
import { seedProducts } from './seed.js';
import { createShopApp, shopDatabaseUrl } from './shop-app.js';

const program = createCli({
  name: 'tandem',
  description: 'The Tandem shop: serve it, mint tokens, read the audit trail, seed demo data',
  createApp: createShopApp,
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
        const app = await createShopApp(await openStore(config.databaseUrl));
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
