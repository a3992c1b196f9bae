import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fold, type Principal, type ReadStore, type Tandem } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import {
  createShopApp,
  inventoryDecider,
  orderDecider,
  shopProjections,
  type InventoryEvent,
  type OrderEvent,
} from '@tandem/example-shop';

const admin: Principal = { id: 'admin', roles: ['admin'] };
const customers: Principal[] = [
  { id: 'c1', roles: ['customer'] },
  { id: 'c2', roles: ['customer'] },
];
const products = ['p1', 'p2', 'p3'];
const address = { line1: '1 Main St', city: 'Fresno', state: 'CA', zip: '93650' };

interface Step {
  readonly type: string;
  readonly data: object;
  readonly user: Principal;
  /**
   * The order the step acts on, by the test's own name (`o1`..`o4`): the server generates order
   * ids, so a name stands for the last order PlaceOrder made under it, and a name nothing was
   * placed under yet for an id no order has.
   */
  readonly order?: string;
}

const product = fc.constantFrom(...products);
const customer = fc.constantFrom(...customers);
const order = fc.constantFrom('o1', 'o2', 'o3', 'o4');
const step = (type: string, data: object, user: Principal = admin, order?: string): Step => ({
  type,
  data,
  user,
  ...(order === undefined ? {} : { order }),
});

/** Every run starts with the three products, so orders can succeed and stock can run out. */
const catalog: fc.Arbitrary<Step[]> = fc.tuple(
  ...products.map((p) =>
    fc
      .record({ stock: fc.integer({ min: 0, max: 6 }), price: fc.integer({ min: 0, max: 5_000 }) })
      .map(({ stock, price }) =>
        step('CreateProduct', {
          productId: p,
          name: `Product ${p}`,
          description: '',
          category: 'c',
          price,
          initialStock: stock,
        }),
      ),
  ),
);

/** Weighted toward the flows that touch several read models: orders, payments, cancellations. */
const steps: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        o: order,
        user: customer,
        items: fc.uniqueArray(fc.record({ productId: product, quantity: fc.integer({ min: 1, max: 3 }) }), {
          minLength: 1,
          maxLength: 3,
          selector: (i) => i.productId,
        }),
      })
      .map(({ o, user, items }) => step('PlaceOrder', { items, shippingAddress: address }, user, o)),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ o: order, user: fc.oneof(customer, fc.constant(admin)) })
      .map(({ o, user }) => step('CancelOrder', {}, user, o)),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ o: order, t: fc.constantFrom('ConfirmPayment', 'ShipOrder') })
      .map(({ o, t }) => step(t, {}, admin, o)),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ p: product, delta: fc.integer({ min: -3, max: 5 }).filter((d) => d !== 0) })
      .map(({ p, delta }) => step('AdjustInventory', { productId: p, delta, reason: 'manual-adjustment' })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ p: product, price: fc.integer({ min: 0, max: 5_000 }) })
      .map(({ p, price }) => step('AdjustProductPrice', { productId: p, price })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ p: product, pct: fc.integer({ min: 1, max: 90 }), id: fc.constantFrom('s1', 's2') })
      .map(({ p, pct, id }) =>
        step('StartPromotion', { promotionId: `${id}-${p}`, productId: p, percentOff: pct }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ p: product, id: fc.constantFrom('s1', 's2') })
      .map(({ p, id }) => step('EndPromotion', { promotionId: `${id}-${p}` })),
  },
);

/** Every document of every active read model, by projection and collection. */
async function snapshot(app: Tandem, readStore: ReadStore): Promise<Record<string, unknown>> {
  const all: Record<string, unknown> = {};
  for (const projection of shopProjections) {
    const namespace = await readStore.activeNamespace(projection.name);
    assert.ok(namespace !== undefined);
    for (const [key, collection] of Object.entries(projection.collections)) {
      all[`${projection.name}/${key}`] = await readStore.reader(namespace, collection).scan({ limit: 500 });
    }
  }
  return all;
}

describe('read models (property)', () => {
  it('live projections, a fresh rebuild and a pure fold of the events agree', async () => {
    await fc.assert(
      fc.asyncProperty(catalog, fc.array(steps, { minLength: 5, maxLength: 40 }), async (products, steps) => {
        const store = await openSqliteStore({ filename: ':memory:' });
        const app = await createShopApp(store);
        const readStore = store.readStore();
        try {
          await app.start();
          for (const user of customers)
            await app.execute({
              type: 'RegisterCustomer',
              data: { name: user.id, state: 'CA' },
              user,
              commandId: `reg-${user.id}`,
            });
          // Commands run while the projections tail the log (live, not after the fact).
          const named = new Map<string, string>();
          const placed: string[] = [];
          for (const [i, s] of [...products, ...steps].entries()) {
            const data =
              s.order === undefined || s.type === 'PlaceOrder'
                ? s.data
                : { ...s.data, orderId: named.get(s.order) ?? `never-placed-${s.order}` };
            const outcome = await app.commands.execute({
              type: s.type,
              data,
              user: s.user,
              commandId: `step-${i}`,
            });
            const orderId = outcome.ok ? outcome.result.ids.orderId : undefined;
            if (s.type === 'PlaceOrder' && s.order !== undefined && orderId !== undefined) {
              named.set(s.order, orderId);
              placed.push(orderId);
            }
          }
          const daemon = app.projections;
          assert.ok(daemon !== undefined);
          // The shipment reaction and the payment-deadline workflow append as they follow the log:
          // wait for everything to pass the head until the head stops moving.
          const following = daemon.projections.map((p) => p.name);
          for (let head = -1, next = await app.events.headPosition(); next !== head;) {
            head = next;
            assert.ok(await daemon.waitFor(following, head, 10_000));
            next = await app.events.headPosition();
          }
          const live = await snapshot(app, readStore);

          for (const projection of shopProjections) await daemon.rebuild(projection.name);
          assert.deepEqual(
            await snapshot(app, readStore),
            live,
            'a fresh rebuild equals the live read models',
          );

          // The oracle: fold the streams with the domain's own deciders.
          const events = await app.events.readAll({ after: 0, limit: 10_000 });
          const levels = live['inventory-levels/levels'] as { id: string; doc: { stock: number } }[];
          for (const p of ['p1', 'p2', 'p3']) {
            const stream = events.filter(
              (e) => e.streamId === `inventory-${p}`,
            ) as unknown as InventoryEvent[];
            const level = levels.find((l) => l.id === p);
            if (level !== undefined)
              assert.equal(level.doc.stock, fold(inventoryDecider, stream).stock, `stock of ${p}`);
          }
          const summaries = live['order-summaries/orders'] as {
            id: string;
            doc: { status: string; total: number };
          }[];
          assert.deepEqual(
            summaries.map((s) => s.id).sort(),
            [...placed].sort(),
            'one summary per order placed',
          );
          let revenue = 0;
          for (const o of placed) {
            const stream = events.filter((e) => e.streamId === `order-${o}`) as unknown as OrderEvent[];
            const state = fold(orderDecider, stream);
            const summary = summaries.find((s) => s.id === o);
            assert.equal(
              summary?.doc.status,
              state.status === 'none' ? undefined : state.status,
              `status of ${o}`,
            );
            if (state.status !== 'none' && state.status !== 'cancelled') revenue += summary?.doc.total ?? 0;
          }
          const days = live['revenue/daily'] as { doc: { revenue: number } }[];
          assert.equal(
            days.reduce((n, d) => n + d.doc.revenue, 0),
            revenue,
            'revenue = placed minus cancelled',
          );
        } finally {
          await app.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});
