import { defineCommand, reject, requireRole, type StreamEvents } from '@tandem/core';
import { z } from 'zod';
import { effectivePrice, findCustomer, findProduct } from '../catalog/catalog-lookup.js';
import { inventoryDecider } from '../inventory/inventory-decider.js';
import { inventoryStream } from '../inventory/inventory-events.js';
import { entityId } from '../entity-id.js';
import { usState } from '../us-states.js';
import { orderDecider } from './order-decider.js';
import { orderStream, type OrderLine } from './order-events.js';

export interface Unavailable {
  readonly productId: string;
  readonly requested: number;
  readonly available: number;
}

/**
 * Reserves stock on every product and opens the order in ONE commit: the order stream and each
 * inventory stream are appended together, each guarded by the version it was read at. Either all
 * reservations and the order exist, or none do; a concurrent order on the same product makes this
 * one retry against the new stock.
 */
/** The most of one product one order may hold. */
const maxQuantity = 1_000;

export const PlaceOrder = defineCommand({
  type: 'PlaceOrder',
  schema: z.strictObject({
    orderId: entityId,
    items: z
      .array(z.strictObject({ productId: entityId, quantity: z.number().int().min(1).max(maxQuantity) }))
      .min(1)
      .max(50)
      .superRefine((items, context) => {
        // Lines of one product are one line (see the handler): the cap holds for their sum, or
        // fifty lines of 1,000 would order 50,000 of one product.
        const totals = new Map<string, number>();
        items.forEach((item, index) => {
          const total = (totals.get(item.productId) ?? 0) + item.quantity;
          totals.set(item.productId, total);
          if (total > maxQuantity && total - item.quantity <= maxQuantity)
            context.addIssue({
              code: 'custom',
              path: [index, 'quantity'],
              message: `At most ${maxQuantity} of one product per order, over all its lines`,
            });
        });
      }),
    shippingAddress: z.strictObject({
      line1: z.string().trim().min(1).max(200),
      city: z.string().trim().min(1).max(100),
      state: usState,
      zip: z.string().regex(/^\d{5}(-\d{4})?$/, 'a US ZIP code'),
    }),
  }),
  // Generated only, from the customer and the idempotency key: a customer who could choose order
  // ids could probe others' orders ("already exists") or take an id before its owner does.
  generatedIds: ['orderId'],
  authorize: requireRole('customer'),
}).eventSourcedMany(async ({ data, user, metadata }, streams, sql) => {
  const customer = await findCustomer(sql, user.id);
  if (customer === undefined) reject('Register as a customer before ordering');
  const order = await streams.load(orderStream(data.orderId), orderDecider);

  // The same product twice in one order is one line: quantities add up.
  const quantities = new Map<string, number>();
  for (const item of data.items)
    quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);

  const lines: OrderLine[] = [];
  const unavailable: Unavailable[] = [];
  const reservations: StreamEvents[] = [];
  // Load (and on PostgreSQL, lock) the inventories in one order, sorted, so that two orders for
  // the same products cannot deadlock; the lines keep the customer's order.
  const inventories = new Map<string, Awaited<ReturnType<typeof loadInventory>>>();
  const loadInventory = (productId: string) => streams.load(inventoryStream(productId), inventoryDecider);
  for (const productId of [...quantities.keys()].sort())
    inventories.set(productId, await loadInventory(productId));
  for (const [productId, quantity] of quantities) {
    const product = await findProduct(sql, productId, metadata.timestamp);
    const inventory = inventories.get(productId) ?? (await loadInventory(productId));
    if (product === undefined || inventory.stock < quantity) {
      unavailable.push({
        productId,
        requested: quantity,
        available: product === undefined ? 0 : inventory.stock,
      });
      continue;
    }
    const unitPrice = effectivePrice(product.price, product.percentOff);
    lines.push({ productId, name: product.name, unitPrice, quantity, lineTotal: unitPrice * quantity });
    reservations.push({
      streamId: inventoryStream(productId),
      events: inventoryDecider.decide(
        { type: 'Reserve', productId, orderId: data.orderId, quantity },
        inventory,
      ),
    });
  }
  if (unavailable.length > 0) reject('Some items are not available in the quantity ordered', { unavailable });

  const placed = orderDecider.decide(
    {
      type: 'Place',
      orderId: data.orderId,
      customerId: user.id,
      customerName: customer.name,
      customerState: customer.state,
      items: lines,
      shippingAddress: data.shippingAddress,
      at: metadata.timestamp,
    },
    order,
  );
  return [{ streamId: orderStream(data.orderId), events: placed }, ...reservations];
});
