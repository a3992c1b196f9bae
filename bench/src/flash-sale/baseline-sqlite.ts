import type { FlashSaleCatalog } from './flash-sale-catalog.js';
import type { BaselineDb } from './baseline-app.js';
import { baselineDdl, pageSql, seedStatements, type PageRow } from './baseline-schema.js';
import { openSqliteFile, SoldOut, sqliteBaselineDb } from './sqlite-baseline-db.js';

/**
 * The single model on one better-sqlite3 connection, as most apps use it: WAL, synchronous=FULL
 * (the same durability as Tandem's log), the page as a four-table join, and each order in a
 * `BEGIN IMMEDIATE` transaction (SQLite's write lock) that checks and decrements the stock.
 */
export function openSqliteBaseline(filename: string, catalog: FlashSaleCatalog): BaselineDb {
  const db = openSqliteFile(filename);
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
  const decrement = db.prepare('UPDATE inventory SET stock = stock - ? WHERE product_id = ?');
  const stock = db.prepare<[string], { stock: number }>('SELECT stock FROM inventory WHERE product_id = ?');

  return sqliteBaselineDb(db, {
    pageRows: (now, productId) => page.all(now, productId),
    stockOf: (productId) => stock.get(productId)?.stock,
    insertLineSql: 'INSERT INTO order_lines (order_id, product_id, quantity, unit_price) VALUES (?, ?, ?, ?)',
    price(items, _order, now) {
      let total = 0;
      const lines = items.map((item) => {
        const row = line.get(now, item.productId);
        if (row === undefined || row.stock < item.quantity) throw new SoldOut();
        const unitPrice = Math.round((row.price * (100 - (row.percent_off ?? 0))) / 100);
        total += unitPrice * item.quantity;
        decrement.run(item.quantity, item.productId);
        return [item.productId, item.quantity, unitPrice];
      });
      return { total, lines };
    },
  });
}
