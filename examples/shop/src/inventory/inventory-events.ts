/** Why stock changed. `initial` comes from CreateProduct; the rest from AdjustInventory. */
export type AdjustmentReason = 'initial' | 'restock' | 'sale' | 'return' | 'manual-adjustment';

/** Events of an `inventory-<productId>` stream. Each carries the stock after it, for read models. */
export type InventoryEvent =
  | {
      type: 'StockAdjusted';
      data: { productId: string; delta: number; reason: AdjustmentReason; stock: number };
    }
  | { type: 'StockReserved'; data: { productId: string; orderId: string; quantity: number; stock: number } }
  | { type: 'StockReleased'; data: { productId: string; orderId: string; quantity: number; stock: number } };

/** The stream of a product's stock. */
export const inventoryStream = (productId: string) => `inventory-${productId}`;
