import type { RecordedEvent } from '@tandem/core';
import type { OrderEvent } from '../orders/order-events.js';

/** One message to a customer about their order, as the notifications service records it. */
export interface OrderNotification {
  /** The order event it was written for: one notification per event. */
  readonly eventId: string;
  readonly orderId: string;
  /** The event type (`OrderPlaced`...): what happened to the order. */
  readonly kind: OrderEvent['type'];
  /**
   * Who to tell, when the event names them: only OrderPlaced carries the customer. For the later
   * events the service looks the customer up in its own record of the order's OrderPlaced.
   */
  readonly customerId: string | null;
  /** The text to send. */
  readonly message: string;
}

/** Cents as dollars, the way a receipt shows them. */
function dollars(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

/** Whether `event` is one of the order events this service knows. */
function isOrderEvent(event: RecordedEvent): event is RecordedEvent & OrderEvent {
  return (
    event.type === 'OrderPlaced' ||
    event.type === 'PaymentConfirmed' ||
    event.type === 'OrderShipped' ||
    event.type === 'OrderCancelled'
  );
}

/**
 * The customer notification for an order event, or undefined for an event type this service does
 * not notify about (a later version of the shop may add some; they are acknowledged, not failed).
 */
export function orderNotification(event: RecordedEvent): OrderNotification | undefined {
  if (!isOrderEvent(event)) return undefined;
  const base = { eventId: event.eventId, orderId: event.data.orderId, kind: event.type };
  switch (event.type) {
    case 'OrderPlaced': {
      const units = event.data.items.reduce((sum, line) => sum + line.quantity, 0);
      return {
        ...base,
        customerId: event.data.customerId,
        message: `Thank you, ${event.data.customerName}: we have your order of ${units} item${units === 1 ? '' : 's'} (${dollars(event.data.total)}).`,
      };
    }
    case 'PaymentConfirmed':
      return { ...base, customerId: null, message: 'Your payment is confirmed; your order is being packed.' };
    case 'OrderShipped':
      return { ...base, customerId: null, message: 'Your order is on its way.' };
    case 'OrderCancelled':
      return {
        ...base,
        customerId: null,
        message: `Your order is cancelled; the ${event.data.items.length} reserved product${event.data.items.length === 1 ? ' is' : 's are'} released.`,
      };
  }
}
