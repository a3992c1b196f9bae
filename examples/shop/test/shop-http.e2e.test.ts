import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { address, shopHarness, type ShopHarness } from './shop-harness.js';

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
          { orderId: `order-${buyer}`, items: [{ productId: 'hot', quantity: 1 }], shippingAddress: address },
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
    const body = {
      orderId: 'carol-1',
      items: [{ productId: 'calm', quantity: 2 }],
      shippingAddress: address,
    };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => shop.post('PlaceOrder', body, { as: 'carol', key: 'carol-key' })),
    );
    assert.ok(responses.every((r) => r.statusCode === 200));
    assert.equal(new Set(responses.map((r) => r.body)).size, 1);
    const order = await shop.app.events.readStream('order-carol-1');
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
    const placed = await shop.post(
      'PlaceOrder',
      { orderId: 'erin-1', items: [{ productId: 'c', quantity: 3 }], shippingAddress: address },
      { as: 'erin', key: 'erin-1' },
    );
    assert.equal(placed.statusCode, 200, placed.body);
    assert.equal(await shop.stock('c'), 1);
    const stranger = await shop.post('CancelOrder', { orderId: 'erin-1' }, { as: 'mallory' });
    assert.equal(stranger.statusCode, 404);
    assert.equal(stranger.json<{ code: string }>().code, 'not-found');
    const owner = await shop.post('CancelOrder', { orderId: 'erin-1' }, { as: 'erin' });
    assert.equal(owner.statusCode, 200, owner.body);
    assert.equal(await shop.stock('c'), 4);
    const again = await shop.post('CancelOrder', { orderId: 'erin-1' }, { as: 'erin' });
    assert.equal(again.statusCode, 422);
  });

  it('runs the admin lifecycle: confirm payment, ship, and refuses to ship twice', async () => {
    await shop.product('d', 2);
    await shop.register('fay');
    await shop.post(
      'PlaceOrder',
      { orderId: 'fay-1', items: [{ productId: 'd', quantity: 1 }], shippingAddress: address },
      { as: 'fay', key: 'fay-1' },
    );
    assert.equal((await shop.post('ShipOrder', { orderId: 'fay-1' })).statusCode, 422);
    assert.equal((await shop.post('ConfirmPayment', { orderId: 'fay-1' })).statusCode, 200);
    assert.equal((await shop.post('ShipOrder', { orderId: 'fay-1' })).statusCode, 200);
    assert.equal((await shop.post('ShipOrder', { orderId: 'fay-1' })).statusCode, 422);
    assert.equal((await shop.post('ConfirmPayment', { orderId: 'nope' })).statusCode, 404);
    assert.equal(
      (await shop.post('AdjustInventory', { productId: 'ghost', delta: 1, reason: 'restock' })).statusCode,
      404,
    );
  });

  it('answers every class of bad input with its status and code and changes nothing', async () => {
    await shop.product('e', 1);
    await shop.register('gus');
    await shop.post(
      'PlaceOrder',
      { orderId: 'gus-1', items: [{ productId: 'e', quantity: 1 }], shippingAddress: address },
      { as: 'gus', key: 'gus-1' },
    );
    const order = { items: [{ productId: 'e', quantity: 1 }], shippingAddress: address };
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
      ['missing key', () => shop.post('PlaceOrder', order, { as: 'gus' }), 400, 'idempotency-key-required'],
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
        'same key, other payload',
        () => shop.post('PlaceOrder', { ...order, orderId: 'other' }, { as: 'gus', key: 'gus-1' }),
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
});
