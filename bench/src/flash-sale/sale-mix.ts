import { customerId, productId, shippingAddress, type FlashSaleCatalog } from './flash-sale-catalog.js';
import type { Classified, PlannedRequest } from './open-loop-driver.js';

/** The seeds' flash sale: 50,000 product-page views and 400 orders a minute. */
export const seedRates = { pageViewsPerSecond: 50_000 / 60, ordersPerSecond: 400 / 60 };

/** Share of page views on the hot products; orders all go to them. */
export const hotReadShare = 0.8;

/** How one system spells a page view and an order over HTTP. */
export interface SaleTarget {
  readonly system: string;
  /** Serves projection lag at /bench/lag. */
  readonly reportsLag: boolean;
  page(productId: string): PlannedRequest;
  /**
   * An order, named by `key`: its idempotency key on Tandem (which generates the order id), the
   * order id itself on the baseline (a single-model app that takes the client's id).
   */
  order(key: string, customer: number, productId: string, quantity: number): PlannedRequest;
  classify(request: PlannedRequest, status: number): Classified;
}

/** The shop on Tandem: GetProductPage from its projection, PlaceOrder through the pipeline. */
export function tandemTarget(system: string, tokens: readonly string[]): SaleTarget {
  return {
    system,
    reportsLag: true,
    page: (id) => ({ kind: 'read', method: 'GET', path: `/queries/GetProductPage?productId=${id}` }),
    order: (key, customer, id, quantity) => ({
      kind: 'order',
      method: 'POST',
      path: '/commands/PlaceOrder',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${tokens[(customer - 1) % tokens.length] ?? ''}`,
        'idempotency-key': key,
      },
      // No orderId: the shop generates it from the customer and the key (sending one is refused).
      body: JSON.stringify({ items: [{ productId: id, quantity }], shippingAddress }),
      productId: id,
      quantity,
    }),
    // 422 is `domain-rule`: the shop refuses an order for more than the stock.
    classify: (request, status) =>
      status === 200 ? 'ok' : request.kind === 'order' && status === 422 ? 'sold-out' : 'error',
  };
}

/** The single-model baseline: the join behind GET /products/:id, the locking POST /orders. */
export function baselineTarget(system: string): SaleTarget {
  return {
    system,
    reportsLag: false,
    page: (id) => ({ kind: 'read', method: 'GET', path: `/products/${id}` }),
    order: (key, customer, id, quantity) => ({
      kind: 'order',
      method: 'POST',
      path: '/orders',
      headers: { 'content-type': 'application/json', 'x-customer-id': customerId(customer) },
      body: JSON.stringify({ orderId: key, items: [{ productId: id, quantity }], shippingAddress }),
      productId: id,
      quantity,
    }),
    classify: (request, status) =>
      request.kind === 'read'
        ? status === 200
          ? 'ok'
          : 'error'
        : status === 201
          ? 'ok'
          : status === 422
            ? 'sold-out'
            : 'error',
  };
}

/** A cheap deterministic hash of n into 0..1, so every run and system gets the same sequence. */
function unit(n: number): number {
  const x = Math.sin(n * 12.9898 + 78.233) * 43_758.5453;
  return x - Math.floor(x);
}

/**
 * The fixed mix: orders spread evenly among page views at the seeds' ratio; page views 80% on
 * the hot products, the rest across the catalog; orders of one item on a hot product.
 */
export function saleMix(target: SaleTarget, catalog: FlashSaleCatalog, label: string) {
  const orderShare = seedRates.ordersPerSecond / (seedRates.ordersPerSecond + seedRates.pageViewsPerSecond);
  const hot = catalog.hot;
  return (n: number): PlannedRequest => {
    const isOrder = Math.floor((n + 1) * orderShare) > Math.floor(n * orderShare);
    const pick = unit(n);
    if (isOrder) {
      const id = hot[Math.floor(pick * hot.length)] ?? productId(1);
      return target.order(`${label}-${n}`, 1 + (n % catalog.customers), id, 1);
    }
    const id =
      pick < hotReadShare
        ? (hot[Math.floor((pick / hotReadShare) * hot.length)] ?? productId(1))
        : productId(1 + Math.floor(((pick - hotReadShare) / (1 - hotReadShare)) * catalog.products));
    return target.page(id);
  };
}
