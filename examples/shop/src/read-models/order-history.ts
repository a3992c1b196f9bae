import { defineCollection, defineProjection, eachEvent } from '@tandem/core';
import type { OrderStatus } from '../orders/order-decider.js';
import type { ShopEvent } from './shop-event.js';
import { statusChange } from './status-change.js';

/** One line of a customer's history, bucketed by the month it was placed in. */
export interface OrderHistoryEntry {
  readonly customerId: string;
  /** `YYYY-MM`, the time bucket. */
  readonly month: string;
  readonly orderId: string;
  readonly placedAt: string;
  readonly total: number;
  readonly itemCount: number;
  readonly status: OrderStatus;
}

export const orderHistory = defineCollection<OrderHistoryEntry>({
  name: 'history',
  indexes: [{ fields: ['customerId', 'month', 'placedAt'] }, { fields: ['customerId', 'placedAt'] }],
});

export const orderHistoryProjection = defineProjection.for<ShopEvent>()({
  name: 'order-history',
  version: 1,
  events: ['OrderPlaced', 'PaymentConfirmed', 'OrderShipped', 'OrderCancelled'],
  collections: { history: orderHistory },
  apply: eachEvent(async (event, { collections: { history } }) => {
    // Keyed by order id: status events name only the order, and an order belongs to one customer.
    switch (event.type) {
      case 'OrderPlaced':
        await history.upsert(event.data.orderId, {
          customerId: event.data.customerId,
          month: event.data.placedAt.slice(0, 7),
          orderId: event.data.orderId,
          placedAt: event.data.placedAt,
          total: event.data.total,
          itemCount: event.data.items.reduce((n, line) => n + line.quantity, 0),
          status: 'payment_pending',
        });
        return;
      default: {
        const change = statusChange(event);
        if (change !== undefined) await history.patch(change.orderId, { status: change.status });
        return;
      }
    }
  }),
});
