import { defineCommand, hasRole, requireRole, type StreamEvents } from '@tandem/core';
import { z } from 'zod';
import { inventoryDecider } from '../inventory/inventory-decider.js';
import { inventoryStream } from '../inventory/inventory-events.js';
import { entityId } from '../entity-id.js';
import { orderDecider } from './order-decider.js';
import { orderStream } from './order-events.js';

const orderRef = z.strictObject({ orderId: entityId });

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
  const cancelled = orderDecider.decide(
    {
      type: 'Cancel',
      orderId: data.orderId,
      by: user.id,
      asAdmin: hasRole(user, 'admin'),
      at: metadata.timestamp,
    },
    order,
  );
  const releases: StreamEvents[] = [];
  for (const event of cancelled) {
    if (event.type !== 'OrderCancelled') continue;
    for (const item of event.data.items) {
      const inventory = await streams.load(inventoryStream(item.productId), inventoryDecider);
      releases.push({
        streamId: inventoryStream(item.productId),
        events: inventoryDecider.decide(
          { type: 'Release', productId: item.productId, orderId: data.orderId },
          inventory,
        ),
      });
    }
  }
  return [{ streamId: orderStream(data.orderId), events: cancelled }, ...releases];
});
