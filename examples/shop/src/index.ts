export { createShopApp, shopCommands, shopProjections, shopQueries, type ShopApp } from './shop-app.js';
export { seedProductData, seedProductId, seedProducts } from './seed.js';
export {
  inventoryDecider,
  type InventoryCommand,
  type InventoryState,
} from './inventory/inventory-decider.js';
export { inventoryStream, type InventoryEvent } from './inventory/inventory-events.js';
export {
  orderDecider,
  type OrderCommand,
  type OrderState,
  type OrderStatus,
} from './orders/order-decider.js';
export { orderStream, type OrderEvent, type OrderLine } from './orders/order-events.js';
export { customerStream, productStream, type CatalogEvent } from './catalog/catalog-events.js';
