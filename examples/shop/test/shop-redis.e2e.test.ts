import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Tandem } from '@tandem/core';
import { createCli, loadConfig, serve } from '@tandem/cli';
import { signToken } from '@tandem/http';
import { openRedisReadStore } from '@tandem/redis';
import { eventually } from '@tandem/testing';
import { deletePrefixes, OwnRedisServer, redisTestUrl, uniquePrefix } from '@tandem/redis/testing';
import { createShopApp } from '@tandem/example-shop';
import { shopDatabaseUrl } from '../src/shop-app.js';
import { orderSummaries } from '../src/read-models/order-summaries.js';
import { orderWorkload } from './fixtures/order-workload.js';

const url = await redisTestUrl();
const dir = mkdtempSync(join(tmpdir(), 'tandem-shop-redis-'));
const prefixes: string[] = [];
const secret = 'shop-redis-secret-shop-redis-secret-32';

/** Places one order of product p1 for `buyer`; its id and the position to read it back at. */
async function placeOrder(
  app: Pick<Tandem, 'execute'>,
  buyer: { readonly id: string; readonly roles: readonly string[] },
  commandId: string,
): Promise<{ readonly orderId: string; readonly position: number }> {
  const placed = await app.execute({
    type: 'PlaceOrder',
    data: {
      items: [{ productId: 'p1', quantity: 1 }],
      shippingAddress: { line1: '1 Main St', city: 'Austin', state: 'TX', zip: '73301' },
    },
    user: buyer,
    commandId,
  });
  assert.ok(placed.ok, placed.ok ? '' : placed.error.message);
  const orderId = placed.result.ids['orderId'];
  assert.ok(orderId !== undefined);
  return { orderId, position: placed.result.position };
}

describe(
  'the shop with REDIS_URL: order summaries in Redis, the rest in SQL',
  { skip: url === undefined ? 'no Redis server' : false },
  () => {
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      if (url !== undefined) await deletePrefixes(url, prefixes);
    });

    it('serves GetOrderSummary from Redis with read-your-writes, and the command line sees it there', async () => {
      const prefix = uniquePrefix('shop');
      prefixes.push(prefix);
      const env = {
        DATABASE_URL: `sqlite:${join(dir, 'shop.db')}`,
        REDIS_URL: url ?? '',
        TANDEM_REDIS_PREFIX: prefix,
        TANDEM_SECRET: secret,
        PORT: '0',
      };
      const config = loadConfig(env, { databaseUrl: shopDatabaseUrl });
      const running = await serve({ config, createApp: createShopApp, env, log: () => {}, logger: false });
      try {
        const daemon = running.app.projections;
        assert.ok(daemon !== undefined);
        assert.equal(daemon.readStoreOf('order-summaries').name, 'redis');
        assert.equal(daemon.readStoreOf('order-history').name, 'sqlite', 'the other read models stay in SQL');
        const workload = orderWorkload(running.app);
        await workload.seed(100);
        const buyer = { id: 'b2', roles: ['customer'] };
        const { orderId, position } = await placeOrder(running.app, buyer, 'redis-order-1');
        const token = await signToken({ sub: buyer.id, role: 'customer' }, running.auth, { expiresIn: '5m' });
        const response = await fetch(`${running.url}/queries/GetOrderSummary?orderId=${orderId}`, {
          headers: { authorization: `Bearer ${token}`, 'tandem-min-position': String(position) },
        });
        assert.equal(response.status, 200, await response.clone().text());
        const summary = (await response.json()) as { orderId: string; status: string };
        assert.equal(summary.orderId, orderId);
        assert.equal(summary.status, 'payment_pending');
        // It is in Redis, under the configured prefix: read it there directly.
        const direct = openRedisReadStore({ url: url ?? '', prefix });
        try {
          const stored = await direct.activeReader('order-summaries', orderSummaries).get(orderId);
          assert.equal(stored?.orderId, orderId);
        } finally {
          await direct.close();
        }
        // An operator's `tandem projections status` opens the same stores, and sees it caught up.
        const out: string[] = [];
        const cli = createCli({
          name: 'tandem',
          description: 'test',
          createApp: createShopApp,
          databaseUrl: shopDatabaseUrl,
          write: (line) => out.push(line),
          output: { writeOut: (s) => out.push(s), writeErr: () => {} },
          env,
        });
        await cli.parseAsync(['projections', 'status'], { from: 'user' });
        const row = out.find((line) => line.startsWith('order-summaries'));
        assert.ok(row !== undefined, out.join('\n'));
        assert.match(row, /running|catching-up/);
      } finally {
        await running.close();
      }
    });

    it('a Redis restarted while the shop is idle: 503 problem+json meanwhile, never an empty answer, then rebuilt by itself', async () => {
      const server = await OwnRedisServer.start();
      const env = {
        DATABASE_URL: `sqlite:${join(dir, 'idle.db')}`,
        REDIS_URL: server.url,
        TANDEM_SECRET: secret,
        PORT: '0',
      };
      const config = loadConfig(env, { databaseUrl: shopDatabaseUrl });
      const running = await serve({ config, createApp: createShopApp, env, log: () => {}, logger: false });
      try {
        await orderWorkload(running.app).seed(100);
        const buyer = { id: 'b3', roles: ['customer'] };
        const { orderId, position } = await placeOrder(running.app, buyer, 'redis-idle-order');
        const token = await signToken({ sub: buyer.id, role: 'customer' }, running.auth, { expiresIn: '5m' });
        const get = () =>
          fetch(`${running.url}/queries/GetOrderSummary?orderId=${orderId}`, {
            headers: {
              authorization: `Bearer ${token}`,
              'tandem-min-position': String(position),
            },
          });
        assert.equal((await get()).status, 200);
        const head = await running.app.events.headPosition();

        await server.restart();
        // No command from here on: only the daemon's idle probe can find the loss and rebuild.
        const refusals: string[] = [];
        await eventually(
          async () => {
            const response = await get();
            if (response.status === 200) {
              const summary = (await response.json()) as { orderId: string; status: string };
              assert.equal(summary.orderId, orderId, 'never an empty or partial read model');
              return true;
            }
            assert.equal(response.status, 503, await response.clone().text());
            assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
            const problem = (await response.json()) as { code: string; details?: { reason?: string } };
            assert.equal(problem.code, 'unavailable');
            assert.match(problem.details?.reason ?? '', /^read-model-(not-ready|lost)$/);
            refusals.push(problem.details?.reason ?? '');
            return false;
          },
          { message: 'the idle shop rebuilds its Redis read model', timeoutMs: 30_000 },
        );
        assert.ok(refusals.length > 0, 'the emptied Redis was refused before the rebuild was active');
        assert.equal(await running.app.events.headPosition(), head, 'no event was needed');
      } finally {
        await running.close();
        await server.stop();
      }
    });
  },
);
