import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { createHttpServer, signToken } from '@tandem/http';
import { openSqliteStore } from '@tandem/sqlite';
import { eventually, startInMemoryTracing, type InMemoryTracing } from '@tandem/testing';
import { createShopApp, shopProjections } from '../src/shop-app.js';

const secret = 'place-order-trace-secret-place-order-trace';
const admin: Principal = { id: 'admin', roles: ['admin'] };
const customer: Principal = { id: 'carol', roles: ['customer'] };

describe('a PlaceOrder, followed in one trace', () => {
  let tracing: InMemoryTracing;
  before(() => {
    tracing = startInMemoryTracing();
  });
  after(() => tracing.stop());

  it('runs from the request through the command to every shop projection, and to a query that waited for it', async () => {
    const store = await openSqliteStore({ filename: ':memory:' });
    const shop = await createShopApp(store);
    await shop.start();
    const server = await createHttpServer({ tandem: shop, auth: { secret }, rateLimit: false });
    try {
      // Given a product in stock and a registered customer
      const created = await shop.execute({
        type: 'CreateProduct',
        data: {
          productId: 'lamp',
          name: 'Lamp',
          description: '',
          category: 'home',
          price: 2_500,
          initialStock: 10,
        },
        user: admin,
        commandId: 'create-lamp',
      });
      assert.ok(created.ok);
      const registered = await shop.execute({
        type: 'RegisterCustomer',
        data: { name: 'Carol', state: 'OR' },
        user: customer,
        commandId: 'register-carol',
      });
      assert.ok(registered.ok);

      // When the customer places an order over HTTP
      const token = await signToken({ sub: customer.id, role: 'customer' }, secret);
      const placed = await server.inject({
        method: 'POST',
        url: '/commands/PlaceOrder',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': 'order-1',
        },
        payload: {
          items: [{ productId: 'lamp', quantity: 2 }],
          shippingAddress: { line1: '1 Main St', city: 'Portland', state: 'OR', zip: '97201' },
        },
      });
      assert.equal(placed.statusCode, 200, placed.body);
      const { ids, position } = placed.json<{ ids: { orderId: string }; position: number }>();

      // Then its trace starts at the request and holds the command and its steps
      const [request] = tracing.named('HTTP POST /commands/:type');
      assert.ok(request, 'the request span');
      const traceId = request.spanContext().traceId;
      const [command] = tracing.named('tandem.command PlaceOrder');
      assert.equal(command?.spanContext().traceId, traceId);
      assert.equal(command?.parentSpanContext?.spanId, request.spanContext().spanId);

      // And the batch span of every one of the five projections PlaceOrder's events reach links to it
      const placing: readonly string[] = ['OrderPlaced', 'StockReserved'];
      const ordered = shopProjections.filter((p) =>
        (p.events as readonly string[]).some((type) => placing.includes(type)),
      );
      assert.equal(ordered.length, 5);
      for (const projection of ordered) {
        const batch = await eventually(
          () =>
            tracing
              .named(`tandem.projection ${projection.name}`)
              .find((span) => span.links.some((link) => link.context.traceId === traceId)),
          {
            timeoutMs: 10_000,
            message: `${projection.name} applied the order under a span linked to its trace`,
          },
        );
        assert.ok(Number(batch.attributes['tandem.batch.last_position']) >= position - 1);
      }

      // And a read-your-writes query links to the command it waited for
      const summary = await server.inject({
        method: 'GET',
        url: `/queries/GetOrderSummary?orderId=${ids.orderId}`,
        headers: { authorization: `Bearer ${token}`, 'tandem-min-position': String(position) },
      });
      assert.equal(summary.statusCode, 200, summary.body);
      const [query] = tracing.named('tandem.query GetOrderSummary');
      assert.equal(query?.attributes['tandem.query.min_position'], position);
      assert.deepEqual(
        query?.links.map((link) => link.context.traceId),
        [traceId],
      );
    } finally {
      await server.close();
      await shop.close();
    }
  });
});
