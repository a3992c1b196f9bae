import Database from 'better-sqlite3';
import type { FlashSaleCatalog } from './flash-sale-catalog.js';
import type { BaselineDb, BaselineOrder, OrderOutcome } from './baseline-app.js';
import { baselineDdl, pageSql, productPage, seedStatements, type PageRow } from './baseline-schema.js';

class SoldOut extends Error {}

/**
 * The single model on one better-sqlite3 connection, as most apps use it: WAL, synchronous=FULL
 * (the same durability as Tandem's log), the page as a four-table join, and each order in a
 * `BEGIN IMMEDIATE` transaction (SQLite's write lock) that checks and decrements the stock.
 */
export function openSqliteBaseline(filename: string, catalog: FlashSaleCatalog): BaselineDb {
  const db = new Database(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec(baselineDdl);
  db.transaction(() => {
    for (const [sql, params] of seedStatements(catalog)) db.prepare(sql).run(...params);
  })();

  const page = db.prepare<[string, string], PageRow>(pageSql);
  const line = db.prepare<[string, string], { stock: number; price: number; percent_off: number | null }>(
    `SELECT i.stock, pr.price,
            (SELECT MAX(percent_off) FROM promotions pm
              WHERE pm.product_id = i.product_id AND pm.active = 1 AND (pm.ends_at IS NULL OR pm.ends_at > ?)) AS percent_off
       FROM inventory i JOIN prices pr ON pr.product_id = i.product_id
      WHERE i.product_id = ?`,
  );
  const customer = db.prepare<[string], { n: number }>('SELECT 1 AS n FROM customers WHERE customer_id = ?');
  const exists = db.prepare<[string], { n: number }>('SELECT 1 AS n FROM orders WHERE order_id = ?');
  const decrement = db.prepare('UPDATE inventory SET stock = stock - ? WHERE product_id = ?');
  const insertOrder = db.prepare(
    'INSERT INTO orders (order_id, customer_id, total, shipping_address, placed_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertLine = db.prepare(
    'INSERT INTO order_lines (order_id, product_id, quantity, unit_price) VALUES (?, ?, ?, ?)',
  );
  const stock = db.prepare<[string], { stock: number }>('SELECT stock FROM inventory WHERE product_id = ?');

  const place = db.transaction((order: BaselineOrder, now: string): OrderOutcome => {
    if (customer.get(order.customerId) === undefined) return 'unknown-customer';
    if (exists.get(order.orderId) !== undefined) return 'duplicate';
    const lines = [...order.items].sort((a, b) => a.productId.localeCompare(b.productId));
    let total = 0;
    const priced = lines.map((item) => {
      const row = line.get(now, item.productId);
      if (row === undefined || row.stock < item.quantity) throw new SoldOut();
      const unitPrice = Math.round((row.price * (100 - (row.percent_off ?? 0))) / 100);
      total += unitPrice * item.quantity;
      decrement.run(item.quantity, item.productId);
      return { ...item, unitPrice };
    });
    insertOrder.run(order.orderId, order.customerId, total, JSON.stringify(order.shippingAddress), now);
    for (const item of priced) insertLine.run(order.orderId, item.productId, item.quantity, item.unitPrice);
    return 'placed';
  });

  return {
    async page(productId) {
      return productPage(page.all(new Date().toISOString(), productId));
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
      return Object.fromEntries(productIds.map((id) => [id, stock.get(id)?.stock ?? Number.NaN]));
    },
    async close() {
      db.close();
    },
  };
}
