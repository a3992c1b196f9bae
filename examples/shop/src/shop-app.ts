import { createTandem, type Store, type Tandem } from '@tandem/core';
import {
  AdjustProductPrice,
  CreateProduct,
  EndPromotion,
  RegisterCustomer,
  StartPromotion,
} from './catalog/catalog-commands.js';
import { catalogMigrations } from './catalog/catalog-tables.js';
import { AdjustInventory } from './inventory/adjust-inventory.js';
import { CancelOrder, ConfirmPayment, ShipOrder } from './orders/order-lifecycle.js';
import { PlaceOrder } from './orders/place-order.js';

/** Every command of the shop. */
export const shopCommands = [
  RegisterCustomer,
  CreateProduct,
  AdjustProductPrice,
  StartPromotion,
  EndPromotion,
  AdjustInventory,
  PlaceOrder,
  ConfirmPayment,
  ShipOrder,
  CancelOrder,
];

/** The shop on any store that has SQL (SQLite, and PostgreSQL when it lands). */
export function createShopApp(store: Store): Promise<Tandem> {
  return createTandem({ name: 'shop', store, commands: shopCommands, migrations: catalogMigrations });
}
