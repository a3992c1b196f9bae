import type { OrderStatus } from '../orders/order-decider.js';
import type { ShopEvent } from './shop-event.js';

/** The order status an event moves to, and when; undefined for events that change no status. */
export function statusChange(
  event: ShopEvent,
): { orderId: string; status: OrderStatus; at: string } | undefined {
  switch (event.type) {
    case 'OrderPlaced':
      return { orderId: event.data.orderId, status: 'payment_pending', at: event.data.placedAt };
    case 'PaymentConfirmed':
      return { orderId: event.data.orderId, status: 'paid', at: event.data.confirmedAt };
    case 'OrderShipped':
      return { orderId: event.data.orderId, status: 'shipped', at: event.data.shippedAt };
    case 'OrderCancelled':
      return { orderId: event.data.orderId, status: 'cancelled', at: event.data.cancelledAt };
    default:
      return undefined;
  }
}
