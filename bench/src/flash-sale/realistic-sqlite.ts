import type Database from 'better-sqlite3';
import type { BaselineDb } from './baseline-app.js';
import type { PageRow } from './baseline-schema.js';
import type { FlashSaleCatalog } from './flash-sale-catalog.js';
import {
  historyOf,
  realisticDdl,
  realisticPageSql,
  realisticPriceSql,
  realisticSeed,
} from './realistic-schema.js';
import { openSqliteFile, SoldOut, sqliteBaselineDb } from './sqlite-baseline-db.js';
import { homeWarehouseFirst, takeFromWarehouses } from './take-from-warehouses.js';

/**
 * The realistic single model on one better-sqlite3 connection (WAL, synchronous=FULL, as the
 * small shape): the page is the one four-table query; an order runs in a `BEGIN IMMEDIATE`
 * transaction (SQLite's write lock) that reads each product's warehouse rows, takes the units
 * from the customer's nearest warehouse first, and decrements those rows.
 * Seeded in one transaction with prepared inserts, then `ANALYZE`d as a team's migration would.
 */
export function openRealisticSqlite(filename: string, catalog: FlashSaleCatalog): BaselineDb {
  const warehouses = historyOf(catalog).warehouses;
  const db = openSqliteFile(filename);
  db.exec(realisticDdl);
  const inserts = new Map<string, Database.Statement>();
  db.transaction(() => {
    for (const batch of realisticSeed(catalog, Date.now())) {
      let insert = inserts.get(batch.table);
      if (insert === undefined) {
        insert = db.prepare(
          `INSERT INTO ${batch.table} (${batch.columns.join(', ')}) VALUES (${batch.columns.map(() => '?').join(', ')})`,
        );
        inserts.set(batch.table, insert);
      }
      for (const row of batch.rows) insert.run(...row);
    }
  })();
  db.exec('ANALYZE');
  // Checked from here on; the seed is consistent by construction and loads faster unchecked.
  db.pragma('foreign_keys = ON');

  const page = db.prepare<[string, string, string, string], PageRow>(realisticPageSql);
  const rowsOf = db.prepare<[string], { warehouse_id: number; stock: number }>(
    'SELECT warehouse_id, stock FROM inventory WHERE product_id = ? ORDER BY warehouse_id',
  );
  const priceOf = db.prepare<
    [string, string, string, string, string],
    { price: number | null; percent_off: number | null }
  >(realisticPriceSql);
  const decrement = db.prepare(
    'UPDATE inventory SET stock = stock - ? WHERE product_id = ? AND warehouse_id = ?',
  );
  const stock = db.prepare<[string], { stock: number | null }>(
    'SELECT SUM(stock) AS stock FROM inventory WHERE product_id = ?',
  );

  return sqliteBaselineDb(db, {
    pageRows: (now, productId) => page.all(now, now, now, productId),
    stockOf: (productId) => stock.get(productId)?.stock,
    insertLineSql:
      'INSERT INTO order_lines (order_id, product_id, warehouse_id, quantity, unit_price) VALUES (?, ?, ?, ?, ?)',
    price(items, order, now) {
      let total = 0;
      const lines: [string, number, number, number][] = [];
      for (const item of items) {
        const price = priceOf.get(item.productId, now, item.productId, now, now);
        if (price?.price === null || price?.price === undefined) throw new SoldOut();
        const rows = homeWarehouseFirst(rowsOf.all(item.productId), order.customerId, warehouses);
        const taken = takeFromWarehouses(rows, item.quantity);
        if (taken === undefined) throw new SoldOut();
        const unitPrice = Math.round((price.price * (100 - (price.percent_off ?? 0))) / 100);
        total += unitPrice * item.quantity;
        for (const [warehouse, quantity] of taken) {
          decrement.run(quantity, item.productId, warehouse);
          lines.push([item.productId, warehouse, quantity, unitPrice]);
        }
      }
      return { total, lines };
    },
  });
}
