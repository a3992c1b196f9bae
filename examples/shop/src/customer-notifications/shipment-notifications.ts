import { defineReaction } from '@tandem/core';
import { systemRole } from '../orders/cancel-unpaid-order.js';
import type { OrderEvent } from '../orders/order-events.js';

/**
 * Tells the customer when their order ships: on each `OrderShipped`, sends
 * RecordShipmentNotification as `reaction:shipment-notifications` (role `system`). Its command's
 * idempotency key derives from the event, so a redelivered OrderShipped notifies no one twice.
 */
export const shipmentNotifications = defineReaction<OrderEvent>({
  name: 'shipment-notifications',
  events: ['OrderShipped'],
  principal: { id: 'reaction:shipment-notifications', roles: [systemRole] },
  react: (event) =>
    event.type === 'OrderShipped'
      ? [{ type: 'RecordShipmentNotification', data: { orderId: event.data.orderId } }]
      : [],
});
