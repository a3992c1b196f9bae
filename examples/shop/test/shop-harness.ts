import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fold, type Tandem } from '@tandem/core';
import { createHttpServer, signToken } from '@tandem/http';
import type { Store } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { openSqliteStore } from '@tandem/sqlite';
import { createShopApp, inventoryDecider, inventoryStream, type InventoryEvent } from '@tandem/example-shop';

export const secret = 'shop-test-secret-shop-test-secret';
export const address = { line1: '1 Main St', city: 'Fresno', state: 'CA', zip: '93650' } as const;

const schemas: string[] = [];

/**
 * The id the server generated for a placed order, from PlaceOrder's answer (`ids.orderId`):
 * customers cannot choose order ids, so tests learn them here. Fails unless the order was placed.
 */
export function orderIdOf(response: { statusCode: number; body: string } | undefined): string {
  assert.ok(response !== undefined, 'no answer');
  assert.equal(response.statusCode, 200, response.body);
  const orderId = (JSON.parse(response.body) as { ids?: { orderId?: unknown } }).ids?.orderId;
  assert.equal(typeof orderId, 'string', response.body);
  return orderId as string;
}

/**
 * The store the shop suites run on: SQLite by default; PostgreSQL (a fresh schema per harness)
 * when TANDEM_SHOP_STORE=postgres, which the `*.postgres.e2e.test.ts` files set.
 */
async function openShopStore(sqliteFile: string): Promise<Store> {
  if (process.env.TANDEM_SHOP_STORE !== 'postgres') return openSqliteStore({ filename: sqliteFile });
  const url = await postgresTestUrl();
  if (url === undefined) throw new Error('TANDEM_SHOP_STORE=postgres needs a PostgreSQL server');
  const schema = `t_shop_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
  schemas.push(schema);
  return openPostgresStore({ connectionString: url, schema, max: 20, pollIntervalMs: 20 });
}

/** Drops the PostgreSQL schemas this process created (a no-op on SQLite). */
export async function dropShopSchemas(): Promise<void> {
  const url = schemas.length === 0 ? undefined : await postgresTestUrl();
  if (url !== undefined) await dropSchemas(url, schemas.splice(0));
}

/** A shop on its own database, served in-process, with helpers for requests and checks. */
export async function shopHarness() {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-shop-'));
  const store = await openShopStore(join(dir, 'shop.db'));
  const app: Tandem = await createShopApp(store);
  await app.start();
  const server = await createHttpServer({
    tandem: app,
    auth: { secret },
    bodyLimit: 16 * 1024,
    readYourWritesWaitMs: 300,
  });
  const tokens = new Map<string, string>();
  const token = async (sub: string, role = 'customer') => {
    const key = `${sub}/${role}`;
    if (!tokens.has(key)) tokens.set(key, await signToken({ sub, role }, secret));
    return tokens.get(key) ?? '';
  };

  const post = async (
    type: string,
    body: unknown,
    /** `key`: the Idempotency-Key; a fresh one unless given, none when `null`. */
    options: { as?: string; role?: string; key?: string | null; headers?: Record<string, string> } = {},
  ) =>
    server.inject({
      method: 'POST',
      url: `/commands/${type}`,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await token(options.as ?? 'admin', options.role ?? (options.as === undefined ? 'admin' : 'customer'))}`,
        ...(options.key === null ? {} : { 'idempotency-key': options.key ?? randomUUID() }),
        ...options.headers,
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const get = async (
    name: string,
    query: Record<string, string>,
    options: { as?: string; role?: string; minPosition?: number } = {},
  ) =>
    server.inject({
      method: 'GET',
      url: `/queries/${name}`,
      query,
      headers: {
        ...(options.as === undefined
          ? {}
          : { authorization: `Bearer ${await token(options.as, options.role ?? 'customer')}` }),
        ...(options.minPosition === undefined ? {} : { 'tandem-min-position': String(options.minPosition) }),
      },
    });

  return {
    app,
    store,
    server,
    token,
    post,
    get,
    /** Registers a customer (idempotently per name). */
    async register(customer: string, state = 'CA') {
      const response = await post(
        'RegisterCustomer',
        { name: customer, state },
        { as: customer, key: `register-${customer}` },
      );
      if (response.statusCode !== 200) throw new Error(response.body);
    },
    async product(productId: string, stock: number, price = 1_000) {
      const response = await post(
        'CreateProduct',
        {
          productId,
          name: `Product ${productId}`,
          description: 'd',
          category: 'c',
          price,
          initialStock: stock,
        },
        { key: `create-${productId}` },
      );
      if (response.statusCode !== 200) throw new Error(response.body);
    },
    /** The stock a product's inventory stream folds to. */
    async stock(productId: string): Promise<number> {
      const stream = await app.events.readStream(inventoryStream(productId));
      return fold(inventoryDecider, stream.events as unknown as InventoryEvent[]).stock;
    },
    /** Everything a refused command must leave untouched: the log and the catalog tables. */
    async snapshot() {
      // The payment-deadline workflow and the shipment-notifications reaction write after the
      // commands they follow: let them catch up first, so that what changes between two snapshots
      // is what the requests between them wrote.
      const daemon = app.projections;
      const background = ['payment-deadline', 'shipment-notifications'];
      for (let head = -1, next = await app.events.headPosition(); daemon !== undefined && next !== head;) {
        head = next;
        assert.ok(await daemon.waitFor(background, head, 15_000), 'the workflow and the reaction caught up');
        next = await app.events.headPosition();
      }
      const tables = await store.transaction(async (tx) => ({
        customers: await tx.sql.query('SELECT * FROM shop_customers ORDER BY customer_id'),
        products: await tx.sql.query('SELECT * FROM shop_products ORDER BY product_id'),
        prices: await tx.sql.query('SELECT * FROM shop_prices ORDER BY product_id'),
        promotions: await tx.sql.query('SELECT * FROM shop_promotions ORDER BY promotion_id'),
        idempotency: await tx.sql.query('SELECT command_id FROM tandem_idempotency ORDER BY command_id'),
        // The log as committed, read in the same transaction: `headPosition()` on PostgreSQL stops
        // below any open transaction on the server (a reader's safe bound), so it can move while
        // nothing is written here, when another test's transaction ends.
        log: await tx.sql.query('SELECT COUNT(*) AS events, MAX(position) AS last FROM tandem_events'),
      }));
      return { tables: JSON.stringify(tables) };
    },
    async close() {
      await server.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
      await dropShopSchemas();
    },
  };
}

export type ShopHarness = Awaited<ReturnType<typeof shopHarness>>;
