import { defineCommand, requireRole, TandemError } from '@tandem/core';
import { z } from 'zod';
import { entityId } from '../entity-id.js';
import { inventoryDecider } from './inventory-decider.js';
import { inventoryStream } from './inventory-events.js';

export const AdjustInventory = defineCommand({
  type: 'AdjustInventory',
  schema: z.strictObject({
    productId: entityId,
    delta: z
      .number()
      .int()
      .min(-10_000_000)
      .max(10_000_000)
      .refine((n) => n !== 0, 'delta must not be zero'),
    reason: z.enum(['restock', 'sale', 'return', 'manual-adjustment']),
  }),
  authorize: requireRole('admin'),
}).eventSourcedMany(async ({ data }, streams, sql) => {
  const known = await sql.query('SELECT 1 FROM shop_products WHERE product_id = ?', [data.productId]);
  if (known.length === 0) throw new TandemError('not-found', `Product ${data.productId} not found`);
  const streamId = inventoryStream(data.productId);
  const state = await streams.load(streamId, inventoryDecider);
  return [{ streamId, events: inventoryDecider.decide({ type: 'Adjust', ...data }, state) }];
});
