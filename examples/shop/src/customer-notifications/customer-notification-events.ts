/** What a customer was told about; only shipments so far. */
export type NotificationKind = 'order-shipped';

/** Events of a `notification-<orderId>` stream: what the shop told a customer about one order. */
export type CustomerNotificationEvent = {
  type: 'CustomerNotified';
  data: { orderId: string; customerId: string; kind: NotificationKind; at: string };
};

/** The stream of the notifications about one order. */
export const notificationStream = (orderId: string) => `notification-${orderId}`;
