export {
  createShopApp,
  shopCommands,
  shopDeciders,
  shopProjections,
  shopQueries,
  shopReactions,
  type ShopApp,
  type ShopAppOptions,
} from './shop-app.js';
export {
  deadlineTimer,
  paymentDeadline,
  paymentDeadlinePrincipal,
  type PaymentDeadlineInput,
  type PaymentDeadlineState,
} from './orders/payment-deadline.js';
export { defaultPaymentTimeoutMs, paymentTimeoutMs } from './orders/payment-timeout.js';
export { CancelUnpaidOrder, systemRole } from './orders/cancel-unpaid-order.js';
export { promotionEndTimer } from './catalog/catalog-commands.js';
export {
  notificationStream,
  type CustomerNotificationEvent,
  type NotificationKind,
} from './customer-notifications/customer-notification-events.js';
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
