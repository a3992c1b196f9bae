import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { address, orderIdOf, shopHarness, type ShopHarness } from './shop-harness.js';

interface Page<T> {
  items: T[];
  nextCursor?: string;
}

describe('the shop read side over HTTP', () => {
  let shop: ShopHarness;
  let last = 0;
  /** The suite's names for its orders, to the ids the server gave them. */
  const orders = new Map<string, string>();
  const order = (name: string): string => {
    const id = orders.get(name);
    assert.ok(id !== undefined, name);
    return id;
  };
  const track = (response: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
    assert.equal(response.statusCode, 200, response.body);
    last = Math.max(last, Number(response.headers['tandem-position']));
    return response;
  };

  before(async () => {
    shop = await shopHarness();
    track(
      await shop.post(
        'CreateProduct',
        {
          productId: 'kettle',
          name: 'Steel Kettle',
          description: 'Boils water fast',
          category: 'kitchen',
          price: 3_000,
          initialStock: 10,
        },
        { key: 'p1' },
      ),
    );
    track(
      await shop.post(
        'CreateProduct',
        {
          productId: 'teapot',
          name: 'Teapot',
          description: 'Porcelain, for tea',
          category: 'kitchen',
          price: 2_000,
          initialStock: 0,
        },
        { key: 'p2' },
      ),
    );
    track(
      await shop.post(
        'CreateProduct',
        {
          productId: 'hose',
          name: 'Garden Hose',
          description: 'Twenty metres',
          category: 'garden',
          price: 1_500,
          initialStock: 5,
        },
        { key: 'p3' },
      ),
    );
    track(
      await shop.post(
        'StartPromotion',
        { promotionId: 'sale', productId: 'kettle', percentOff: 10 },
        { key: 'promo' },
      ),
    );
    await shop.register('ann', 'CA');
    await shop.register('bob', 'NY');
    const place = async (
      name: string,
      customer: string,
      items: { productId: string; quantity: number }[],
    ) => {
      const placed = await shop.post(
        'PlaceOrder',
        { items, shippingAddress: address },
        { as: customer, key: name },
      );
      orders.set(name, orderIdOf(track(placed)));
    };
    await place('ann-1', 'ann', [{ productId: 'kettle', quantity: 2 }]);
    await place('ann-2', 'ann', [{ productId: 'hose', quantity: 1 }]);
    await place('bob-1', 'bob', [
      { productId: 'kettle', quantity: 1 },
      { productId: 'hose', quantity: 4 },
    ]);
    track(await shop.post('ConfirmPayment', { orderId: order('ann-2') }));
  });
  after(() => shop.close());

  it('GetProductPage: product, price, promotion and stock in one document, for anyone', async () => {
    const response = await shop.get('GetProductPage', { productId: 'kettle' }, { minPosition: last });
    assert.equal(response.statusCode, 200, response.body);
    // Sent as stored (no re-serialization), with the header a serialized object gets.
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    const page = response.json<Record<string, unknown>>();
    assert.deepEqual(
      { ...page, promotions: undefined },
      {
        productId: 'kettle',
        name: 'Steel Kettle',
        description: 'Boils water fast',
        category: 'kitchen',
        price: 3_000,
        effectivePrice: 2_700,
        promotion: { promotionId: 'sale', percentOff: 10, endsAt: null },
        promotions: undefined,
        stock: 7,
        inStock: true,
      },
    );
    assert.equal((await shop.get('GetProductPage', { productId: 'nope' })).statusCode, 404);
  });

  it('SearchProducts: full text plus filters, sorted, paged', async () => {
    const text = (await shop.get('SearchProducts', { q: 'kett' }, { minPosition: last })).json<
      Page<{ productId: string }>
    >();
    assert.deepEqual(
      text.items.map((p) => p.productId),
      ['kettle'],
    );
    const kitchen = (await shop.get('SearchProducts', { category: 'kitchen', sort: '-price' })).json<
      Page<{ productId: string }>
    >();
    assert.deepEqual(
      kitchen.items.map((p) => p.productId),
      ['kettle', 'teapot'],
    );
    const inStock = (await shop.get('SearchProducts', { inStock: 'true', sort: 'price' })).json<
      Page<{ productId: string }>
    >();
    assert.deepEqual(
      inStock.items.map((p) => p.productId),
      ['kettle'],
      'the hose sold out (5 - 1 - 4)',
    );
    const first = (await shop.get('SearchProducts', { limit: '2' })).json<Page<{ productId: string }>>();
    const second = (await shop.get('SearchProducts', { limit: '2', cursor: first.nextCursor ?? '' })).json<
      Page<{ productId: string }>
    >();
    assert.deepEqual(
      [...first.items, ...second.items].map((p) => p.productId),
      ['hose', 'kettle', 'teapot'],
    );
    const bad = await shop.get('SearchProducts', { sort: 'random' });
    assert.equal(bad.statusCode, 400);
    assert.equal(
      (await shop.get('SearchProducts', { q: 'kettle', colour: 'red' })).statusCode,
      400,
      'unknown params are refused',
    );
    // Issue 11: a search over the caps is refused before it costs anything (docs/read-side.md).
    const tooMany = await shop.get('SearchProducts', { q: 'a b c d e f g h i j k l m n o p q r s t' });
    assert.equal(tooMany.statusCode, 400, tooMany.body);
    assert.equal(tooMany.json<{ code: string }>().code, 'validation');
  });

  it('GetOrderSummary: the denormalized order for its owner and admins; 404 for anyone else', async () => {
    const own = await shop.get(
      'GetOrderSummary',
      { orderId: order('bob-1') },
      { as: 'bob', minPosition: last },
    );
    assert.equal(own.statusCode, 200, own.body);
    const summary = own.json<Record<string, unknown>>();
    assert.equal(summary.status, 'payment_pending');
    assert.equal(summary.customerName, 'bob');
    assert.equal(summary.total, 2_700 + 4 * 1_500);
    assert.deepEqual(summary.items, [
      { productId: 'kettle', name: 'Steel Kettle', unitPrice: 2_700, quantity: 1, lineTotal: 2_700 },
      { productId: 'hose', name: 'Garden Hose', unitPrice: 1_500, quantity: 4, lineTotal: 6_000 },
    ]);
    assert.equal(typeof summary.placedAt, 'string');
    const stranger = await shop.get('GetOrderSummary', { orderId: order('bob-1') }, { as: 'ann' });
    assert.equal(stranger.statusCode, 404, 'not 403: existence is not revealed');
    assert.equal(
      (await shop.get('GetOrderSummary', { orderId: order('bob-1') }, { as: 'root', role: 'admin' }))
        .statusCode,
      200,
    );
    assert.equal((await shop.get('GetOrderSummary', { orderId: order('bob-1') })).statusCode, 401);
  });

  it('GetMyOrders: the caller’s history, newest first, by month', async () => {
    const mine = (await shop.get('GetMyOrders', {}, { as: 'ann', minPosition: last })).json<
      Page<{ orderId: string; status: string; month: string }>
    >();
    assert.deepEqual(
      mine.items.map((o) => [o.orderId, o.status]),
      [
        [order('ann-2'), 'paid'],
        [order('ann-1'), 'payment_pending'],
      ],
    );
    const month = mine.items[0]?.month ?? '';
    assert.equal(
      (await shop.get('GetMyOrders', { month }, { as: 'ann' })).json<Page<unknown>>().items.length,
      2,
    );
    assert.equal(
      (await shop.get('GetMyOrders', { month: '1999-01' }, { as: 'ann' })).json<Page<unknown>>().items.length,
      0,
    );
    assert.equal((await shop.get('GetMyOrders', { month: 'May' }, { as: 'ann' })).statusCode, 400);
  });

  it('GetInventoryLevels: stock per product, low stock first, admins only', async () => {
    const low = await shop.get(
      'GetInventoryLevels',
      { lowStockBelow: '2' },
      { as: 'root', role: 'admin', minPosition: last },
    );
    assert.deepEqual(low.json<Page<unknown>>().items, [
      { productId: 'hose', name: 'Garden Hose', stock: 0 },
      { productId: 'teapot', name: 'Teapot', stock: 0 },
    ]);
    assert.equal((await shop.get('GetInventoryLevels', {}, { as: 'ann' })).statusCode, 403);
  });

  it('GetRevenue: pre-aggregated per day and per product', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const byDay = (
      await shop.get(
        'GetRevenue',
        { from: today, to: today, groupBy: 'day' },
        { as: 'root', role: 'admin', minPosition: last },
      )
    ).json<{ total: number; rows: { orders: number }[] }>();
    assert.equal(byDay.total, 2 * 2_700 + 1_500 + 2_700 + 6_000);
    assert.equal(byDay.rows[0]?.orders, 3);
    const byProduct = (
      await shop.get(
        'GetRevenue',
        { from: today, to: today, groupBy: 'product' },
        { as: 'root', role: 'admin' },
      )
    ).json<{ rows: { productId: string; revenue: number; quantity: number }[] }>();
    assert.deepEqual(
      byProduct.rows.map((r) => [r.productId, r.revenue, r.quantity]),
      [
        ['kettle', 8_100, 3],
        ['hose', 7_500, 5],
      ],
    );
    assert.equal(
      (await shop.get('GetRevenue', { from: today, to: today, groupBy: 'day' }, { as: 'ann' })).statusCode,
      403,
    );
  });

  it('FindOrders: payment_pending orders in one state, by amount, from an index', async () => {
    const found = (
      await shop.get(
        'FindOrders',
        { status: 'payment_pending' },
        { as: 'root', role: 'admin', minPosition: last },
      )
    ).json<Page<{ orderId: string }>>();
    assert.deepEqual(
      found.items.map((o) => o.orderId),
      [order('bob-1'), order('ann-1')],
    );
    const ca = (
      await shop.get(
        'FindOrders',
        { status: 'payment_pending', customerState: 'CA' },
        { as: 'root', role: 'admin' },
      )
    ).json<Page<{ orderId: string }>>();
    assert.deepEqual(
      ca.items.map((o) => o.orderId),
      [order('ann-1')],
    );
  });

  it('documents every query in /openapi.json with its parameters and the position header', async () => {
    const doc = (await shop.server.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<
        string,
        { get?: { parameters: { name: string; in: string; required: boolean }[]; security?: unknown } }
      >;
    }>();
    const find = doc.paths['/queries/FindOrders']?.get;
    assert.deepEqual(
      find?.parameters.map((p) => [p.name, p.in, p.required]),
      [
        ['status', 'query', true],
        ['customerState', 'query', false],
        ['limit', 'query', false],
        ['cursor', 'query', false],
        ['Tandem-Min-Position', 'header', false],
      ],
    );
    assert.equal(
      doc.paths['/queries/GetProductPage']?.get?.security,
      undefined,
      'public queries need no token',
    );
    assert.equal(Object.keys(doc.paths).filter((p) => p.startsWith('/queries/')).length, 8);
  });

  it('read-your-writes: a placed order is found at once with its position, 200 times in a row', async () => {
    await shop.product('ryw', 1_000);
    await shop.register('rita');
    for (let i = 0; i < 200; i++) {
      const placed = await shop.post(
        'PlaceOrder',
        { items: [{ productId: 'ryw', quantity: 1 }], shippingAddress: address },
        { as: 'rita', key: `ryw-${i}` },
      );
      const orderId = orderIdOf(placed);
      const position = Number(placed.headers['tandem-position']);
      const read = await shop.get('GetOrderSummary', { orderId }, { as: 'rita', minPosition: position });
      assert.equal(read.statusCode, 200, `try ${i}: ${read.body}`);
    }
  });

  it('read-your-writes: a position the read model cannot reach in time is 503 with Retry-After', async () => {
    const started = Date.now();
    const response = await shop.get(
      'GetOrderSummary',
      { orderId: order('ann-1') },
      { as: 'ann', minPosition: Number.MAX_SAFE_INTEGER }, // beyond any log, dense or not
    );
    assert.ok(Date.now() - started >= 250, 'it waited for the bound first');
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['retry-after'], '1');
    assert.equal(response.json<{ code: string }>().code, 'unavailable');
    assert.equal(
      (await shop.get('GetOrderSummary', { orderId: order('ann-1') }, { as: 'ann' })).statusCode,
      200,
      'no position: current state at once',
    );
    const bad = await shop.server.inject({
      method: 'GET',
      url: '/queries/GetProductPage?productId=kettle',
      headers: { 'tandem-min-position': 'soon' },
    });
    assert.equal(bad.statusCode, 400);
  });
});
