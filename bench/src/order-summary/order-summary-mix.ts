import { productId } from '../flash-sale/flash-sale-catalog.js';
import type { PlannedRequest } from '../flash-sale/open-loop-driver.js';
import type { SaleTarget } from '../flash-sale/sale-mix.js';
import { orderProducts, type SeededOrder } from './order-summary-store.js';

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

/** Request n's read: the summary of a seeded order (scattered by {@link orderIndex}), as its owner. */
export function orderSummaryReads(orders: readonly SeededOrder[], tokens: readonly string[]) {
  return (n: number): PlannedRequest => {
    const order = orders[orderIndex(n, orders.length)];
    if (order === undefined) throw new Error('No seeded orders');
    return orderSummaryRead(order, tokens);
  };
}

/**
 * Request n's order: one item of a product with ample stock, from customer n (mod the customers),
 * as the flash sale spells a PlaceOrder (its idempotency key `<label>-<n>`).
 */
export function placeOrders(target: SaleTarget, tokens: readonly string[], label: string) {
  return (n: number): PlannedRequest =>
    target.order(`${label}-${n}`, 1 + (n % tokens.length), productId(1 + (n % orderProducts)), 1);
}
