/**
 * The notifications service's own tables, in its own database (SQLite or PostgreSQL: the SQL is
 * common to both). Tandem's own migrations add `tandem_inbox` beside them.
 *
 * `order_notifications` has no unique key on `event_id`, on purpose: the inbox claim, committed in
 * the same transaction as the row, is what makes each event once. A unique key would turn an event
 * applied twice into a failing handler (retried, then dead-lettered) and hide it; without one, the
 * topology test counts rows per event id and sees it.
 */
export const notificationMigrations = [
  {
    id: '001-order-notifications',
    sql:
      'CREATE TABLE order_notifications (' +
      'event_id TEXT NOT NULL, ' +
      'position BIGINT NOT NULL, ' +
      'order_id TEXT NOT NULL, ' +
      'kind TEXT NOT NULL, ' +
      'customer_id TEXT, ' +
      'message TEXT NOT NULL, ' +
      'created_at TEXT NOT NULL)',
  },
  {
    id: '002-order-notifications-by-order',
    sql: 'CREATE INDEX order_notifications_by_order ON order_notifications (order_id, kind)',
  },
] as const;
