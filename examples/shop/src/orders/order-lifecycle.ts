import { defineCommand, hasRole, requireRole, type StreamEvents, type StreamLoader } from '@tandem/core';
import { z } from 'zod';
import { inventoryDecider } from '../inventory/inventory-decider.js';
import { inventoryStream } from '../inventory/inventory-events.js';
import { entityId } from '../entity-id.js';
import { orderDecider, type OrderCommand, type OrderState } from './order-decider.js';
import { orderStream } from './order-events.js';

/** The body of the commands that name one order. */
export const orderRef = z.strictObject({ orderId: entityId });

export const ConfirmPayment = defineCommand({
  type: 'ConfirmPayment',
  schema: orderRef,
  authorize: requireRole('admin'),
}).eventSourced({
  stream: ({ data }) => orderStream(data.orderId),
  decider: orderDecider,
  command: ({ data, metadata }) => ({
    type: 'ConfirmPayment',
    orderId: data.orderId,
    at: metadata.timestamp,
  }),
});

export const ShipOrder = defineCommand({
  type: 'ShipOrder',
  schema: orderRef,
  authorize: requireRole('admin'),
}).eventSourced({
  stream: ({ data }) => orderStream(data.orderId),
  decider: orderDecider,
  command: ({ data, metadata }) => ({ type: 'Ship', orderId: data.orderId, at: metadata.timestamp }),
});

/** Cancels an order and releases its stock, all in one commit. Owner or admin only. */
export const CancelOrder = defineCommand({
  type: 'CancelOrder',
  schema: orderRef,
  authorize: (user) => hasRole(user, 'customer') || hasRole(user, 'admin'),
}).eventSourcedMany(async ({ data, user, metadata }, streams) => {
  const order = await streams.load(orderStream(data.orderId), orderDecider);
  return cancelWithRelease(streams, order, {
    type: 'Cancel',
    orderId: data.orderId,
    by: user.id,
    asAdmin: hasRole(user, 'admin'),
    at: metadata.timestamp,
  });
});

/**
 * The writes of one cancellation: `OrderCancelled` on the order's stream and one `StockReleased` on
 * each inventory stream it reserved, to be appended in one commit. Shared by CancelOrder and
 * CancelUnpaidOrder so that every way an order ends releases its stock the same way. Throws what
 * the order decider throws (not found, shipped, already cancelled).
 */
export async function cancelWithRelease(
  streams: StreamLoader,
  order: OrderState,
  cancel: Extract<OrderCommand, { type: 'Cancel' }>,
): Promise<StreamEvents[]> {
  const cancelled = orderDecider.decide(cancel, order);
  const releases: StreamEvents[] = [];
  for (const event of cancelled) {
    if (event.type !== 'OrderCancelled') continue;
    for (const item of event.data.items) {
      const inventory = await streams.load(inventoryStream(item.productId), inventoryDecider);
      releases.push({
        streamId: inventoryStream(item.productId),
        events: inventoryDecider.decide(
          { type: 'Release', productId: item.productId, orderId: cancel.orderId },
          inventory,
        ),
      });
    }
  }
  return [{ streamId: orderStream(cancel.orderId), events: cancelled }, ...releases];
}
