import Database from 'better-sqlite3';
import type { BaselineDb, BaselineOrder, OrderOutcome } from './baseline-app.js';
import { productPage, type PageRow } from './baseline-schema.js';

/** Thrown inside the order transaction to roll it back; the order is answered 'sold-out'. */
export class SoldOut extends Error {}

/**
 * `filename` on one better-sqlite3 connection, as most apps use it: WAL, synchronous=FULL (the
 * same durability as Tandem's log), a busy timeout. Foreign keys are each shape's own choice
 * (the realistic one turns them on after its seed).
 */
export function openSqliteFile(filename: string): Database.Database {
  const db = new Database(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** What differs between the catalog shapes on SQLite; everything else {@link sqliteBaselineDb} shares. */
export interface SqliteShape {
  /** The page's rows at `now` (ISO time) for `productId`. */
  pageRows(now: string, productId: string): PageRow[];
  /** The product's stock, `null` or `undefined` when there is none. */
  stockOf(productId: string): number | null | undefined;
  /** The order line INSERT; its values are order_id and then a line from {@link SqliteShape.price}. */
  readonly insertLineSql: string;
  /**
   * Inside the order's transaction, after the customer and duplicate checks: price and decrement
   * `items` (the order's, in product order), or throw {@link SoldOut}. Returns the total and each
   * order line's values after order_id.
   */
  price(
    items: BaselineOrder['items'],
    order: BaselineOrder,
    now: string,
  ): { total: number; lines: readonly (readonly unknown[])[] };
}

/**
 * The single model's data access on `db` for one catalog shape: the page, the order in a
 * `BEGIN IMMEDIATE` transaction (SQLite's write lock: customer and duplicate checks, the shape's
 * {@link SqliteShape.price}, the order row and its lines) and the stock check. Both shapes shared
 * this code line for line.
 */
export function sqliteBaselineDb(db: Database.Database, shape: SqliteShape): BaselineDb {
  const customer = db.prepare<[string], { n: number }>('SELECT 1 AS n FROM customers WHERE customer_id = ?');
  const exists = db.prepare<[string], { n: number }>('SELECT 1 AS n FROM orders WHERE order_id = ?');
  const insertOrder = db.prepare(
    'INSERT INTO orders (order_id, customer_id, total, shipping_address, placed_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertLine = db.prepare(shape.insertLineSql);

  const place = db.transaction((order: BaselineOrder, now: string): OrderOutcome => {
    if (customer.get(order.customerId) === undefined) return 'unknown-customer';
    if (exists.get(order.orderId) !== undefined) return 'duplicate';
    const items = [...order.items].sort((a, b) => a.productId.localeCompare(b.productId));
    const { total, lines } = shape.price(items, order, now);
    insertOrder.run(order.orderId, order.customerId, total, JSON.stringify(order.shippingAddress), now);
    for (const line of lines) insertLine.run(order.orderId, ...line);
    return 'placed';
  });

  return {
    async page(productId) {
      return productPage(shape.pageRows(new Date().toISOString(), productId));
    },
    async placeOrder(order) {
      try {
        return place.immediate(order, new Date().toISOString());
      } catch (error) {
        if (error instanceof SoldOut) return 'sold-out';
        throw error;
      }
    },
    async stock(productIds) {
      return Object.fromEntries(productIds.map((id) => [id, shape.stockOf(id) ?? Number.NaN]));
    },
    async close() {
      db.close();
    },
  };
}
