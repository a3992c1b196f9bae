import {
  createTandem,
  type ProjectionLogger,
  type Store,
  type StreamDeciders,
  type Tandem,
  type TandemOptions,
} from '@tandem/core';
import {
  AdjustProductPrice,
  CreateProduct,
  EndPromotion,
  RegisterCustomer,
  StartPromotion,
} from './catalog/catalog-commands.js';
import { catalogMigrations } from './catalog/catalog-tables.js';
import { AdjustInventory } from './inventory/adjust-inventory.js';
import { inventoryDecider } from './inventory/inventory-decider.js';
import { orderDecider } from './orders/order-decider.js';
import { RecordShipmentNotification } from './customer-notifications/record-shipment-notification.js';
import { shipmentNotifications } from './customer-notifications/shipment-notifications.js';
import { CancelUnpaidOrder } from './orders/cancel-unpaid-order.js';
import { CancelOrder, ConfirmPayment, ShipOrder } from './orders/order-lifecycle.js';
import { paymentDeadline } from './orders/payment-deadline.js';
import { defaultPaymentTimeoutMs } from './orders/payment-timeout.js';
import { PlaceOrder } from './orders/place-order.js';
import { shopQueries } from './queries/shop-queries.js';
import { customerNotificationsProjection } from './read-models/customer-notifications.js';
import { inventoryLevelsProjection } from './read-models/inventory-levels.js';
import { orderHistoryProjection } from './read-models/order-history.js';
import { orderSummariesProjection } from './read-models/order-summaries.js';
import { productPagesProjection } from './read-models/product-pages.js';
import { revenueProjection } from './read-models/revenue.js';

/** Where `npm start` and `npm run tandem` keep the shop when DATABASE_URL is unset (relative to examples/shop). */
export const shopDatabaseUrl = 'sqlite:./data/shop.db';

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
  CancelUnpaidOrder,
  RecordShipmentNotification,
];

/**
 * The shop's read models: the seeds' five (one OrderPlaced fans out to all of the order ones) and
 * the customer notifications the shipment-notifications reaction records.
 */
export const shopProjections = [
  productPagesProjection,
  orderSummariesProjection,
  orderHistoryProjection,
  inventoryLevelsProjection,
  revenueProjection,
  customerNotificationsProjection,
];

/** The shop's reactions: commands that follow events. */
export const shopReactions = [shipmentNotifications];

export { shopQueries };

/**
 * The shop's deciders by stream-id prefix, so the admin API's stream page shows each order's and
 * each product's stock state after every event.
 */
export const shopDeciders = {
  'order-': orderDecider,
  'inventory-': inventoryDecider,
} satisfies StreamDeciders;

/** The shop's application type: its registries type `execute`, `query` and `@tandem/client`. */
export type ShopApp = Tandem<typeof shopCommands, typeof shopQueries>;

/** Options of {@link createShopApp}. */
export type ShopAppOptions = Pick<
  TandemOptions,
  'daemon' | 'cursorKey' | 'readStores' | 'projections' | 'timers'
> & {
  /** Where the projection daemon and failed audit writes are reported (the process logger). */
  readonly logger?: ProjectionLogger;
  /**
   * How long an order may await payment before the payment-deadline workflow cancels it and
   * releases its stock, in milliseconds; default 15 minutes (the command line reads
   * TANDEM_PAYMENT_TIMEOUT_MS).
   */
  readonly paymentTimeoutMs?: number;
};

/**
 * The shop on any store that has SQL (SQLite or PostgreSQL). Read models live in the store's own
 * read store, except the order summaries when `readStores.redis` is given (the command line opens
 * it from REDIS_URL): key lookups of an order's status are what Redis serves best. `projections`
 * are run beside the shop's own (the command line's relays, such as `relay-nats`). Call `start()`
 * to run the projections, the payment-deadline workflow, the shipment-notifications reaction and
 * the scheduler that fires the timers (payment deadlines, promotion ends). `logger` (the command
 * line's process logger) is where the projection daemon and failed audit writes are reported, so
 * they land in the same log as the requests.
 */
export function createShopApp(store: Store, options: ShopAppOptions = {}): Promise<ShopApp> {
  const { logger, readStores, projections, paymentTimeoutMs, ...rest } = options;
  return createTandem({
    ...rest,
    ...(logger === undefined
      ? {}
      : {
          daemon: { ...rest.daemon, logger: rest.daemon?.logger ?? logger },
          onAuditError: (error: unknown) => logger.error({ err: error }, 'audit write failed'),
        }),
    name: 'shop',
    store,
    commands: shopCommands,
    migrations: catalogMigrations,
    // Plus what the command line adds: the relays NATS_URL and RABBITMQ_URL configure.
    projections: [...shopProjections, ...(projections ?? [])],
    reactions: shopReactions,
    workflows: [paymentDeadline(paymentTimeoutMs ?? defaultPaymentTimeoutMs)],
    // Unbound, `redis` means the store's own read store: the shop runs without Redis too.
    readStores: { redis: readStores?.['redis'] },
    queries: shopQueries,
    deciders: shopDeciders,
  });
}
