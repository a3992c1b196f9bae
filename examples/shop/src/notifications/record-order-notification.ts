import type { RecordedEvent, Transaction } from '@tandem/core';
import { orderNotification } from './order-notification.js';

/**
 * The notifications service's handler: writes the customer notification for one order event in
 * `tx`, the consumer's transaction, so it commits together with the inbox claim of the event or
 * not at all. Later events of an order are addressed to the customer its OrderPlaced named, from
 * this service's own table (JetStream delivers one order's events in order while handlers succeed).
 * An event type it does not notify about writes nothing and is acknowledged.
 */
export async function recordOrderNotification(event: RecordedEvent, tx: Transaction): Promise<void> {
  const notification = orderNotification(event);
  if (notification === undefined) return;
  let customerId = notification.customerId;
  if (customerId === null) {
    const [placed] = await tx.sql.query<{ customer_id: string | null }>(
      "SELECT customer_id FROM order_notifications WHERE order_id = ? AND kind = 'OrderPlaced'",
      [notification.orderId],
    );
    customerId = placed?.customer_id ?? null;
  }
  await tx.sql.execute(
    'INSERT INTO order_notifications (event_id, position, order_id, kind, customer_id, message, created_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?)',
    [
      notification.eventId,
      event.position,
      notification.orderId,
      notification.kind,
      customerId,
      notification.message,
      new Date().toISOString(),
    ],
  );
}
