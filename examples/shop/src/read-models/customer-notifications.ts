import { defineCollection, defineProjection, eachEvent } from '@tandem/core';
import type { NotificationKind } from '../customer-notifications/customer-notification-events.js';
import type { ShopEvent } from './shop-event.js';

/** One notification, as ListMyNotifications shows it. */
export interface CustomerNotification {
  /** The id of the `CustomerNotified` event: one document per notification. */
  readonly notificationId: string;
  readonly customerId: string;
  readonly orderId: string;
  readonly kind: NotificationKind;
  /** When it was recorded (ISO-8601). */
  readonly at: string;
}

export const customerNotifications = defineCollection<CustomerNotification>({
  name: 'notifications',
  // What ListMyNotifications asks: a customer's own or (admin) everyone's, optionally one order's.
  indexes: [
    { fields: ['customerId', 'at'] },
    { fields: ['customerId', 'orderId', 'at'] },
    { fields: ['orderId', 'at'] },
    { fields: ['at'] },
  ],
});

/** The shop's own record of what each customer was told (when no NATS service does it). */
export const customerNotificationsProjection = defineProjection.for<ShopEvent>()({
  name: 'customer-notifications',
  version: 1,
  events: ['CustomerNotified'],
  collections: { notifications: customerNotifications },
  apply: eachEvent(async (event, { collections: { notifications } }) => {
    if (event.type !== 'CustomerNotified') return;
    const { orderId, customerId, kind, at } = event.data;
    await notifications.upsert(event.eventId, {
      notificationId: event.eventId,
      customerId,
      orderId,
      kind,
      at,
    });
  }),
});
