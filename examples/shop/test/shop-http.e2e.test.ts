import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { address, orderIdOf, shopHarness, type ShopHarness } from './shop-harness.js';

/** A problem's body without its `instance`: the request id differs from one request to the next. */
function withoutRequest(body: string): string {
  return body.replace(/,"instance":"urn:tandem:request:[0-9a-f-]+"/, '');
}

describe('the shop over HTTP', () => {
  let shop: ShopHarness;
  before(async () => {
    shop = await shopHarness();
  });
  after(() => shop.close());

  it('sells exactly the stock to 50 concurrent buyers and never goes negative', async () => {
    await shop.product('hot', 10);
    const buyers = Array.from({ length: 50 }, (_, i) => `buyer-${i}`);
    for (const buyer of buyers) await shop.register(buyer);
    const responses = await Promise.all(
      buyers.map((buyer) =>
        shop.post(
          'PlaceOrder',
          { items: [{ productId: 'hot', quantity: 1 }], shippingAddress: address },
          { as: buyer, key: `place-${buyer}` },
        ),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(','));
    assert.ok(
      statuses.every((s) => s === 200 || s === 422 || s === 409),
      statuses.join(','),
    );
    for (const r of responses.filter((r) => r.statusCode === 422)) {
      assert.deepEqual(r.json<{ details: unknown }>().details, {
        unavailable: [{ productId: 'hot', requested: 1, available: 0 }],
      });
    }
    assert.equal(await shop.stock('hot'), 0);
  });

  it('gives 20 concurrent requests with one Idempotency-Key one order and one body', async () => {
    await shop.product('calm', 100);
    await shop.register('carol');
    const body = { items: [{ productId: 'calm', quantity: 2 }], shippingAddress: address };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => shop.post('PlaceOrder', body, { as: 'carol', key: 'carol-key' })),
    );
    assert.ok(responses.every((r) => r.statusCode === 200));
    assert.equal(new Set(responses.map((r) => r.body)).size, 1);
    const order = await shop.app.events.readStream(`order-${orderIdOf(responses[0])}`);
    assert.equal(order.events.length, 1);
    assert.equal(await shop.stock('calm'), 98);
  });

  it('places an order with names and promotional prices frozen in, atomically across streams', async () => {
    await shop.product('a', 5, 2_000);
    await shop.product('b', 5, 1_000);
    const promo = await shop.post('StartPromotion', { productId: 'a', percentOff: 25 }, { key: 'promo-a' });
    assert.equal(promo.statusCode, 200, promo.body);
    await shop.register('dave', 'NY');
    const response = await shop.post(
      'PlaceOrder',
      {
        items: [
          { productId: 'a', quantity: 1 },
          { productId: 'b', quantity: 2 },
          { productId: 'a', quantity: 1 },
        ],
        shippingAddress: address,
      },
      { as: 'dave', key: 'dave-1' },
    );
    assert.equal(response.statusCode, 200, response.body);
    const { ids, position } = response.json<{ ids: { orderId: string }; position: number }>();
    assert.equal(response.headers['tandem-position'], String(position));
    const [placed] = (await shop.app.events.readStream(`order-${ids.orderId}`)).events;
    const { placedAt, ...data } = placed?.data as { placedAt: string };
    assert.ok(Math.abs(Date.parse(placedAt) - Date.now()) < 60_000, placedAt);
    assert.deepEqual(data, {
      orderId: ids.orderId,
      customerId: 'dave',
      customerName: 'dave',
      customerState: 'NY',
      items: [
        { productId: 'a', name: 'Product a', unitPrice: 1_500, quantity: 2, lineTotal: 3_000 },
        { productId: 'b', name: 'Product b', unitPrice: 1_000, quantity: 2, lineTotal: 2_000 },
      ],
      total: 5_000,
      shippingAddress: address,
    });
    const commit = (await shop.app.events.readAll({ after: position - 3, limit: 3 })).map((e) => [
      e.streamId,
      e.type,
    ]);
    assert.deepEqual(commit, [
      [`order-${ids.orderId}`, 'OrderPlaced'],
      ['inventory-a', 'StockReserved'],
      ['inventory-b', 'StockReserved'],
    ]);
    assert.equal(await shop.stock('a'), 3);
  });

  it('lets the owner cancel (stock comes back) and hides the order from strangers', async () => {
    await shop.product('c', 4);
    await shop.register('erin');
    await shop.register('mallory');
    const orderId = orderIdOf(
      await shop.post(
        'PlaceOrder',
        { items: [{ productId: 'c', quantity: 3 }], shippingAddress: address },
        { as: 'erin', key: 'erin-1' },
      ),
    );
    assert.equal(await shop.stock('c'), 1);
    const stranger = await shop.post('CancelOrder', { orderId }, { as: 'mallory' });
    assert.equal(stranger.statusCode, 404);
    assert.equal(stranger.json<{ code: string }>().code, 'not-found');
    const owner = await shop.post('CancelOrder', { orderId }, { as: 'erin' });
    assert.equal(owner.statusCode, 200, owner.body);
    assert.equal(await shop.stock('c'), 4);
    const again = await shop.post('CancelOrder', { orderId }, { as: 'erin' });
    assert.equal(again.statusCode, 422);
  });

  it('runs the admin lifecycle: confirm payment, ship, and refuses to ship twice', async () => {
    await shop.product('d', 2);
    await shop.register('fay');
    const orderId = orderIdOf(
      await shop.post(
        'PlaceOrder',
        { items: [{ productId: 'd', quantity: 1 }], shippingAddress: address },
        { as: 'fay', key: 'fay-1' },
      ),
    );
    assert.equal((await shop.post('ShipOrder', { orderId })).statusCode, 422);
    assert.equal((await shop.post('ConfirmPayment', { orderId })).statusCode, 200);
    assert.equal((await shop.post('ShipOrder', { orderId })).statusCode, 200);
    assert.equal((await shop.post('ShipOrder', { orderId })).statusCode, 422);
    assert.equal((await shop.post('ConfirmPayment', { orderId: 'nope' })).statusCode, 404);
    assert.equal(
      (await shop.post('AdjustInventory', { productId: 'ghost', delta: 1, reason: 'restock' })).statusCode,
      404,
    );
  });

  it('answers every class of bad input with its status and code and changes nothing', async () => {
    await shop.product('e', 1);
    await shop.register('gus');
    const order = { items: [{ productId: 'e', quantity: 1 }], shippingAddress: address };
    orderIdOf(await shop.post('PlaceOrder', order, { as: 'gus', key: 'gus-1' }));
    const cases: [string, () => ReturnType<ShopHarness['post']>, number, string][] = [
      [
        'unknown field',
        () => shop.post('PlaceOrder', { ...order, coupon: 'FREE' }, { as: 'gus', key: 'b1' }),
        400,
        'validation',
      ],
      [
        'bad state code',
        () => shop.post('RegisterCustomer', { name: 'X', state: 'ZZ' }, { as: 'new', key: 'b2' }),
        400,
        'validation',
      ],
      [
        'bad zip',
        () =>
          shop.post(
            'PlaceOrder',
            { ...order, shippingAddress: { ...address, zip: '9' } },
            { as: 'gus', key: 'b3' },
          ),
        400,
        'validation',
      ],
      [
        'negative price',
        () =>
          shop.post('CreateProduct', { name: 'n', description: '', category: 'c', price: -1 }, { key: 'b4' }),
        400,
        'validation',
      ],
      [
        'malformed JSON',
        () => shop.post('PlaceOrder', '{"items": [', { as: 'gus', key: 'b5' }),
        400,
        'validation',
      ],
      [
        'missing key',
        () => shop.post('PlaceOrder', order, { as: 'gus', key: null }),
        400,
        'idempotency-key-required',
      ],
      [
        'no token',
        () => shop.post('PlaceOrder', order, { key: 'b6', headers: { authorization: '' } }),
        401,
        'unauthenticated',
      ],
      [
        'customer sends admin command',
        () => shop.post('AdjustInventory', { productId: 'e', delta: 5, reason: 'restock' }, { as: 'gus' }),
        403,
        'forbidden',
      ],
      ['admin places an order', () => shop.post('PlaceOrder', order, { key: 'b7' }), 403, 'forbidden'],
      ['unknown command', () => shop.post('UpdateOrder', {}, { as: 'gus' }), 404, 'unknown-command'],
      [
        'body too large',
        () => shop.post('PlaceOrder', { ...order, pad: 'x'.repeat(20_000) }, { as: 'gus', key: 'b8' }),
        413,
        'payload-too-large',
      ],
      [
        'not JSON',
        () =>
          shop.post('PlaceOrder', 'items=e', {
            as: 'gus',
            key: 'b9',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
        415,
        'unsupported-media-type',
      ],
      [
        'short stock',
        () =>
          shop.post(
            'PlaceOrder',
            {
              ...order,
              items: [
                { productId: 'e', quantity: 1 },
                { productId: 'zzz', quantity: 2 },
              ],
            },
            { as: 'gus', key: 'b10' },
          ),
        422,
        'domain-rule',
      ],
      [
        'unregistered customer',
        () => shop.post('PlaceOrder', order, { as: 'stranger', key: 'b11' }),
        422,
        'domain-rule',
      ],
      [
        'client-chosen order id',
        () => shop.post('PlaceOrder', { ...order, orderId: 'mine' }, { as: 'gus', key: 'b13' }),
        400,
        'validation',
      ],
      [
        'same key, other payload',
        () =>
          shop.post(
            'PlaceOrder',
            { ...order, items: [{ productId: 'e', quantity: 2 }] },
            { as: 'gus', key: 'gus-1' },
          ),
        422,
        'idempotency-mismatch',
      ],
    ];
    for (const [name, send, status, code] of cases) {
      const before = await shop.snapshot();
      const response = await send();
      assert.equal(response.statusCode, status, `${name}: ${response.body}`);
      assert.match(String(response.headers['content-type']), /application\/problem\+json/, name);
      assert.equal(response.json<{ code: string }>().code, code, name);
      assert.equal(response.body.includes('    at '), false, `${name}: no stack`);
      assert.deepEqual(await shop.snapshot(), before, `${name}: log and tables unchanged`);
    }
    const short = await shop.post(
      'PlaceOrder',
      {
        ...order,
        items: [
          { productId: 'e', quantity: 1 },
          { productId: 'zzz', quantity: 2 },
        ],
      },
      { as: 'gus', key: 'b12' },
    );
    assert.deepEqual(short.json<{ details: unknown }>().details, {
      unavailable: [
        { productId: 'e', requested: 1, available: 0 },
        { productId: 'zzz', requested: 2, available: 0 },
      ],
    });
    const audit = await shop.store.audit.list({ commandId: 'b2' });
    assert.equal(audit[0]?.outcome, 'invalid', 'refusals are audited');
  });

  it('scopes an Idempotency-Key to its customer: one key from two customers is two orders', async () => {
    await shop.product('shared', 10);
    await shop.register('hana');
    await shop.register('ivan');
    const body = { items: [{ productId: 'shared', quantity: 1 }], shippingAddress: address };
    const place = (customer: string) => shop.post('PlaceOrder', body, { as: customer, key: 'same-key' });
    // Sent together, same key and same body: unscoped, one would be taken for a retry of the other.
    const [hana, ivan] = await Promise.all([place('hana'), place('ivan')]);
    const orders = { hana: orderIdOf(hana), ivan: orderIdOf(ivan) };
    assert.notEqual(orders.hana, orders.ivan);
    assert.equal(hana.headers['idempotent-replayed'], undefined, 'hana: a new command');
    assert.equal(ivan.headers['idempotent-replayed'], undefined, 'ivan: a new command');
    assert.equal(await shop.stock('shared'), 8, 'two orders reserved stock');
    for (const [customer, first] of [
      ['hana', hana],
      ['ivan', ivan],
    ] as const) {
      const retry = await place(customer);
      assert.equal(retry.statusCode, 200, retry.body);
      assert.equal(retry.headers['idempotent-replayed'], 'true', customer);
      assert.equal(retry.body, first.body, `${customer} gets their own answer back`);
      const [placed] = (await shop.app.events.readStream(`order-${orders[customer]}`)).events;
      assert.equal((placed?.data as { customerId: string }).customerId, customer);
    }
    assert.equal(await shop.stock('shared'), 8, 'the retries changed nothing');
  });

  it('refuses a customer-chosen order id with one answer, whether or not that order exists', async () => {
    await shop.product('probe', 10);
    await shop.register('jane');
    await shop.register('kim');
    const body = { items: [{ productId: 'probe', quantity: 1 }], shippingAddress: address };
    const kimOrder = orderIdOf(await shop.post('PlaceOrder', body, { as: 'kim', key: 'kim-1' }));
    const before = await shop.snapshot();
    // Kim's existing order, and an id of the same shape that no order has ever had.
    const taken = await shop.post(
      'PlaceOrder',
      { ...body, orderId: kimOrder },
      { as: 'jane', key: 'jane-1' },
    );
    const unused = await shop.post(
      'PlaceOrder',
      { ...body, orderId: randomUUID() },
      { as: 'jane', key: 'jane-2' },
    );
    assert.equal(taken.statusCode, 400, taken.body);
    const problem = taken.json<{ code: string; details: unknown }>();
    assert.equal(problem.code, 'validation');
    assert.deepEqual(problem.details, { issues: [{ path: 'orderId', message: 'Generated by the server' }] });
    // Nothing in the answer tells Jane which of the two ids exists.
    assert.equal(unused.statusCode, taken.statusCode);
    assert.equal(unused.headers['content-type'], taken.headers['content-type']);
    assert.equal(unused.json<{ code: string }>().code, 'validation');
    assert.equal(withoutRequest(unused.body), withoutRequest(taken.body));
    assert.deepEqual(await shop.snapshot(), before, 'nothing written');
    assert.equal(
      (await shop.app.events.readStream(`order-${kimOrder}`)).events.length,
      1,
      'kim’s order as it was',
    );
    // Refused before the key was used: Jane's orders go through under the same keys.
    assert.notEqual(orderIdOf(await shop.post('PlaceOrder', body, { as: 'jane', key: 'jane-1' })), kimOrder);
  });

  it('answers a stranger about another customer’s order exactly as about an id that never existed', async () => {
    await shop.product('private', 10);
    await shop.register('lena');
    await shop.register('mike');
    const placed = await shop.post(
      'PlaceOrder',
      { items: [{ productId: 'private', quantity: 2 }], shippingAddress: address },
      { as: 'lena', key: 'lena-1' },
    );
    const lenaOrder = orderIdOf(placed);
    const position = Number(placed.headers['tandem-position']);
    // Lena reads her order at this position, so Mike's 404 below is not a read model lagging behind.
    const own = await shop.get(
      'GetOrderSummary',
      { orderId: lenaOrder },
      { as: 'lena', minPosition: position },
    );
    assert.equal(own.statusCode, 200, own.body);
    const random = randomUUID();
    const asMike = {
      read: (orderId: string) =>
        shop.get('GetOrderSummary', { orderId }, { as: 'mike', minPosition: position }),
      cancel: (orderId: string) => shop.post('CancelOrder', { orderId }, { as: 'mike' }),
    };
    // An answer may name the id it was asked about; nothing else in it may differ.
    const seen = (answer: Awaited<ReturnType<typeof asMike.read>>, orderId: string) => ({
      status: answer.statusCode,
      contentType: answer.headers['content-type'],
      code: answer.json<{ code: string }>().code,
      body: withoutRequest(answer.body).replaceAll(orderId, '<id>'),
    });
    for (const [name, send] of Object.entries(asMike)) {
      const theirs = seen(await send(lenaOrder), lenaOrder);
      assert.equal(theirs.status, 404, `${name}: ${theirs.body}`);
      assert.equal(theirs.code, 'not-found', name);
      assert.deepEqual(theirs, seen(await send(random), random), name);
    }
    assert.equal((await shop.app.events.readStream(`order-${lenaOrder}`)).events.length, 1, 'not cancelled');
    assert.equal(await shop.stock('private'), 8);
  });

  it('caps one product at 1,000 per order over all its lines', async () => {
    await shop.product('bulk', 5_000);
    await shop.register('nina');
    const line = (quantity: number) => ({ productId: 'bulk', quantity });
    const place = (items: { productId: string; quantity: number }[], key: string) =>
      shop.post('PlaceOrder', { items, shippingAddress: address }, { as: 'nina', key });
    const before = await shop.snapshot();
    const refusals: [string, { productId: string; quantity: number }[]][] = [
      ['cap-50-of-1000', Array.from({ length: 50 }, () => line(1_000))],
      ['cap-2-of-600', [line(600), line(600)]],
    ];
    for (const [key, items] of refusals) {
      const refused = await place(items, key);
      assert.equal(refused.statusCode, 400, `${key}: ${refused.body}`);
      const problem = refused.json<{ code: string; details: { issues: { path: string }[] } }>();
      assert.equal(problem.code, 'validation', key);
      // The line at which the product's total passes the cap.
      assert.deepEqual(
        problem.details.issues.map((issue) => issue.path),
        ['items.1.quantity'],
        key,
      );
    }
    assert.deepEqual(await shop.snapshot(), before, 'refused orders change nothing');
    const orderId = orderIdOf(await place([line(400), line(400)], 'cap-2-of-400'));
    const [placed] = (await shop.app.events.readStream(`order-${orderId}`)).events;
    const items = (placed?.data as { items: { productId: string; quantity: number }[] }).items;
    assert.deepEqual(
      items.map(({ productId, quantity }) => ({ productId, quantity })),
      [line(800)],
      'one line of 800',
    );
    assert.equal(await shop.stock('bulk'), 4_200);
  });
});
