import { defineCollection, defineProjection, eachEvent } from '@tandem/core';
import type { ShopEvent } from './shop-event.js';

/** Stock per product, for the warehouse screen. */
export interface InventoryLevel {
  readonly productId: string;
  readonly name: string;
  readonly stock: number;
}

export const inventoryLevels = defineCollection<InventoryLevel>({
  name: 'levels',
  indexes: [{ fields: ['stock'] }],
});

export const inventoryLevelsProjection = defineProjection.for<ShopEvent>()({
  name: 'inventory-levels',
  version: 1,
  events: ['ProductCreated', 'StockAdjusted', 'StockReserved', 'StockReleased'],
  collections: { levels: inventoryLevels },
  apply: eachEvent(async (event, { collections: { levels } }) => {
    switch (event.type) {
      case 'ProductCreated':
        await levels.upsert(event.data.productId, {
          productId: event.data.productId,
          name: event.data.name,
          stock: 0,
        });
        return;
      case 'StockAdjusted':
      case 'StockReserved':
      case 'StockReleased':
        await levels.patch(event.data.productId, { stock: event.data.stock });
        return;
      default:
        return;
    }
  }),
});
