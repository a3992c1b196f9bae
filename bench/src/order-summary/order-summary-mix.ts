import { productId } from '../flash-sale/flash-sale-catalog.js';
import type { PlannedRequest } from '../flash-sale/open-loop-driver.js';
import { seedRates, type SaleTarget } from '../flash-sale/sale-mix.js';
import { orderProducts, type SeededOrder } from './order-summary-store.js';

/** Orders among all requests at the seeds' ratio (400 a minute to 50,000 page views). */
const orderShare = seedRates.ordersPerSecond / (seedRates.ordersPerSecond + seedRates.pageViewsPerSecond);

/** Request n's seeded order: a fixed scatter over all of them, the same sequence for every store. */
export function orderIndex(n: number, orders: number): number {
  return (n * 2_654_435_761) % orders;
}

/** GET of one order's summary as its owner: the path and the owner's bearer token. */
export function orderSummaryRead(order: SeededOrder, tokens: readonly string[]): PlannedRequest {
  return {
    kind: 'read',
    method: 'GET',
    path: `/queries/GetOrderSummary?orderId=${encodeURIComponent(order.orderId)}`,
    headers: { authorization: `Bearer ${tokens[(order.customer - 1) % tokens.length] ?? ''}` },
  };
}

/**
 * The flash sale's mix with the page views replaced by order-status reads: orders spread evenly
 * among the reads at the seeds' ratio (so 8x is 6,667 GetOrderSummary and 53 PlaceOrder a second),
 * each read of a seeded order by its owner, each order one item of a product with ample stock.
 * PlaceOrder keeps the order summaries' projection writing while they are read.
 */
export function orderSummaryMix(
  target: SaleTarget,
  orders: readonly SeededOrder[],
  tokens: readonly string[],
  label: string,
) {
  return (n: number): PlannedRequest => {
    const isOrder = Math.floor((n + 1) * orderShare) > Math.floor(n * orderShare);
    if (isOrder)
      return target.order(`${label}-${n}`, 1 + (n % tokens.length), productId(1 + (n % orderProducts)), 1);
    const order = orders[orderIndex(n, orders.length)];
    if (order === undefined) throw new Error('No seeded orders');
    return orderSummaryRead(order, tokens);
  };
}
