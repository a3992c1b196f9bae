import { defineCommand, requireRole, TandemError, type Decider } from '@tandem/core';
import { orderDecider } from '../orders/order-decider.js';
import { orderStream } from '../orders/order-events.js';
import { orderRef } from '../orders/order-lifecycle.js';
import { systemRole } from '../orders/cancel-unpaid-order.js';
import {
  notificationStream,
  type CustomerNotificationEvent,
  type NotificationKind,
} from './customer-notification-events.js';

/** The kinds of notification one order's stream has recorded so far. */
const notifiedKinds: Pick<
  Decider<never, ReadonlySet<NotificationKind>, CustomerNotificationEvent>,
  'initialState' | 'evolve'
> = {
  initialState: () => new Set(),
  evolve: (kinds, event) => new Set([...kinds, event.data.kind]),
};

/**
 * Records that the customer of a shipped order was told it shipped: `CustomerNotified` in the
 * order's `notification-<orderId>` stream, which ListMyNotifications reads (and the NATS relay
 * publishes, when one runs). Sent by the `shipment-notifications` reaction, role `system`. Once per
 * order: an order already notified gets no second event, whoever sends it again.
 */
export const RecordShipmentNotification = defineCommand({
  type: 'RecordShipmentNotification',
  description: 'Records that a shipped order’s customer was notified (the shipment-notifications reaction)',
  schema: orderRef,
  authorize: requireRole(systemRole),
}).eventSourcedMany(async ({ data, metadata }, streams) => {
  const order = await streams.load(orderStream(data.orderId), orderDecider);
  if (order.status === 'none') throw new TandemError('not-found', `Order ${data.orderId} not found`);
  if (order.status !== 'shipped')
    throw new TandemError('domain-rule', `Order ${data.orderId} is ${order.status}, not shipped`);
  const notified = await streams.load(notificationStream(data.orderId), notifiedKinds);
  if (notified.has('order-shipped')) return [];
  const event: CustomerNotificationEvent = {
    type: 'CustomerNotified',
    data: {
      orderId: data.orderId,
      customerId: order.customerId,
      kind: 'order-shipped',
      at: metadata.timestamp,
    },
  };
  return [{ streamId: notificationStream(data.orderId), events: [event] }];
});
