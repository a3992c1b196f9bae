import { fold, type Principal, type Tandem } from '@tandem/core';
import { openStore } from '@tandem/cli';
import { createHttpServer } from '@tandem/http';
import {
  createShopApp,
  inventoryDecider,
  inventoryStream,
  seedProducts,
  shopProjections,
  type InventoryEvent,
} from '@tandem/example-shop';
import {
  catalogFromEnv,
  customerId,
  productNumber,
  seedProduct,
  type FlashSaleCatalog,
} from '../flash-sale/flash-sale-catalog.js';
import { seedSaleHistory } from '../flash-sale/seed-sale-history.js';
import { announceReady, exitOnSignal, listenLocal, unreachableRateLimits } from './spawn-server.js';

// The shop from examples/shop on BENCH_DATABASE_URL, seeded for the flash sale, over HTTP.
// Extra routes for the benchmark only: GET /bench/lag (projection lag samples) and /bench/stock.

const admin: Principal = { id: 'bench-admin', roles: ['admin'] };

async function run(app: Tandem, type: string, commandId: string, data: unknown, user = admin) {
  const outcome = await app.execute({ type, commandId, user, data });
  if (!outcome.ok) throw outcome.error;
}

/** The seed module's products, then the sale: hot stock, a promotion on each, the customers. */
async function seedSale(app: Tandem, catalog: FlashSaleCatalog): Promise<void> {
  await seedProducts(app, catalog.products, undefined, 64);
  await seedSaleHistory(app, catalog);
  const setStock = async (id: string, stock: number) => {
    const delta = stock - seedProduct(productNumber(id)).initialStock;
    if (delta !== 0)
      await run(app, 'AdjustInventory', `sale-stock-${id}`, {
        productId: id,
        delta,
        reason: delta > 0 ? 'restock' : 'manual-adjustment',
      });
  };
  if (catalog.soldOutProbe !== undefined)
    await setStock(catalog.soldOutProbe.productId, catalog.soldOutProbe.stock);
  for (const id of catalog.hot) {
    await setStock(id, catalog.hotStock);
    await run(app, 'StartPromotion', `sale-promo-${id}`, {
      promotionId: `sale-${id}`,
      productId: id,
      percentOff: catalog.percentOff,
    });
  }
  for (let k = 1; k <= catalog.customers; k++) {
    const id = customerId(k);
    await run(
      app,
      'RegisterCustomer',
      `register-${id}`,
      { name: `Customer ${k}`, state: 'CA' },
      {
        id,
        roles: ['customer'],
      },
    );
  }
}

const catalog = catalogFromEnv(process.env.BENCH_CATALOG);
const secret = process.env.BENCH_SECRET ?? 'bench-secret-bench-secret-bench-secret';
const store = await openStore(process.env.BENCH_DATABASE_URL ?? 'sqlite::memory:');
const app = await createShopApp(store);
await app.start();
const seedStart = performance.now();
await seedSale(app, catalog);
const daemon = app.projections;
if (daemon === undefined) throw new Error('The shop has no projections');
const names = shopProjections.map((p) => p.name);
if (!(await daemon.waitFor(names, await app.events.headPosition(), 300_000)))
  throw new Error('Projections did not catch up with the seed');

const server = await createHttpServer({ tandem: app, auth: { secret }, rateLimit: unreachableRateLimits });
let lags: number[] = [];
let pending = 0;
// Lag as the projection status defines it: from the order's commit (its last event's recordedAt,
// stamped in the transaction) until every shop projection has passed its position.
server.addHook('onResponse', async (request, reply) => {
  if (reply.statusCode !== 200 || !request.url.startsWith('/commands/PlaceOrder')) return;
  const position = Number(reply.getHeader('tandem-position'));
  pending += 1;
  try {
    const [event] = await app.events.readAll({ after: position - 1, limit: 1 });
    const committedAt = event?.position === position ? Date.parse(event.recordedAt) : Date.now();
    const reached = await daemon.waitFor(names, position, 60_000);
    lags.push(reached ? Math.max(0, Date.now() - committedAt) : Number.POSITIVE_INFINITY);
  } finally {
    pending -= 1;
  }
});
server.get('/bench/lag', async () => {
  const samples = lags;
  lags = [];
  return { samples: samples.map((s) => (Number.isFinite(s) ? s : 60_000)), pending };
});
server.get<{ Querystring: { ids: string } }>('/bench/stock', async (request) => {
  const stock: Record<string, number> = {};
  for (const id of request.query.ids.split(',')) {
    const stream = await app.events.readStream(inventoryStream(id));
    stock[id] = fold(inventoryDecider, stream.events as unknown as InventoryEvent[]).stock;
  }
  return stock;
});
const url = await listenLocal(server);
exitOnSignal(async () => {
  await server.close();
  await app.close();
});
const seedSeconds = (performance.now() - seedStart) / 1000;
announceReady({ url, secret, store: store.name, seedSeconds });
