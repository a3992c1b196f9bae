import type { CatalogEvent } from '../catalog/catalog-events.js';
import type { CustomerNotificationEvent } from '../customer-notifications/customer-notification-events.js';
import type { InventoryEvent } from '../inventory/inventory-events.js';
import type { OrderEvent } from '../orders/order-events.js';

/** Every event the shop writes: read models switch over this union. */
export type ShopEvent = CatalogEvent | InventoryEvent | OrderEvent | CustomerNotificationEvent;
