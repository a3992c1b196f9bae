import { defineCollection, defineProjection, eachEvent } from '@tandem/core';
import type { OrderStatus } from '../orders/order-decider.js';
import type { OrderLine, ShippingAddress } from '../orders/order-events.js';
import type { ShopEvent } from './shop-event.js';
import { statusChange } from './status-change.js';

/** One order, denormalized: lines with names and prices as ordered, the customer's name and state. */
export interface OrderSummary {
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly customerId: string;
  readonly customerName: string;
  readonly customerState: string;
  readonly items: readonly OrderLine[];
  readonly total: number;
  readonly shippingAddress: ShippingAddress;
  readonly placedAt: string;
  readonly updatedAt: string;
}

export const orderSummaries = defineCollection<OrderSummary>({
  name: 'orders',
  // FindOrders: "payment_pending orders in California by amount" is one index range.
  indexes: [{ fields: ['status', 'customerState', 'total'] }, { fields: ['status', 'total'] }],
});

export const orderSummariesProjection = defineProjection.for<ShopEvent>()({
  name: 'order-summaries',
  version: 1,
  // Key lookups (GetOrderSummary, "the user's current order status") and two declared ranges:
  // what Redis serves best. `createShopApp` binds `redis` to REDIS_URL's store, or to the default.
  readStore: 'redis',
  events: ['OrderPlaced', 'PaymentConfirmed', 'OrderShipped', 'OrderCancelled'],
  collections: { orders: orderSummaries },
  // Summaries are keyed by order id, their streams `order-<id>`: the stream ids would miss them.
  // The events that patch a summary read it; OrderPlaced writes one whole and reads nothing.
  reads: { orders: (event) => (event.type === 'OrderPlaced' ? undefined : event.data.orderId) },
  apply: eachEvent(async (event, { collections: { orders } }) => {
    switch (event.type) {
      case 'OrderPlaced':
        await orders.upsert(event.data.orderId, {
          ...event.data,
          status: 'payment_pending',
          updatedAt: event.data.placedAt,
        });
        return;
      default: {
        const change = statusChange(event);
        if (change !== undefined)
          await orders.patch(change.orderId, { status: change.status, updatedAt: change.at });
        return;
      }
    }
  }),
});
