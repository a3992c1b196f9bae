import type { BaselineDb } from './baseline-app.js';
import type { FlashSaleCatalog } from './flash-sale-catalog.js';
import { numbered, openPgPool, pgBaselineDb } from './pg-baseline-db.js';
import {
  historyOf,
  realisticDdl,
  realisticPageSql,
  realisticPriceSql,
  realisticSeed,
} from './realistic-schema.js';
import { homeWarehouseFirst, takeFromWarehouses } from './take-from-warehouses.js';

/** The pg array type of each seeded column, for `unnest`. */
const arrayType = (column: string) =>
  /^(warehouse_id|price|stock|percent_off)$/.test(column) ? 'int[]' : 'text[]';

/**
 * The realistic single model on PostgreSQL through a pg pool of `poolSize` (as the small shape):
 * the page is the one four-table query; an order is one transaction that locks the product's
 * warehouse rows (`SELECT ... FOR UPDATE`, products and warehouses in a fixed order so two orders
 * cannot deadlock), prices the line, takes the units from the customer's nearest warehouse first,
 * decrements those rows and inserts the order. Seeded in one transaction, a batch of rows per
 * `INSERT ... SELECT FROM unnest(...)`, then `ANALYZE`d as a team's migration would.
 */
export async function openRealisticPg(
  connectionString: string,
  schema: string,
  catalog: FlashSaleCatalog,
  poolSize = 10,
): Promise<BaselineDb> {
  const warehouses = historyOf(catalog).warehouses;
  const pool = await openPgPool(connectionString, schema, poolSize, realisticDdl);
  const seed = await pool.connect();
  try {
    await seed.query('BEGIN');
    // The seed is consistent by construction: skip the per-row foreign-key triggers while loading,
    // as a bulk load would (the constraints hold for the orders of the run).
    await seed.query('SET LOCAL session_replication_role = replica');
    for (const batch of realisticSeed(catalog, Date.now())) {
      const columns = batch.columns.map((c, k) => `$${k + 1}::${arrayType(c)}`);
      await seed.query(
        `INSERT INTO ${batch.table} (${batch.columns.join(', ')}) SELECT * FROM unnest(${columns.join(', ')})`,
        batch.columns.map((_, k) => batch.rows.map((row) => row[k] ?? null)),
      );
    }
    await seed.query('COMMIT');
    // Fresh statistics and visibility map, as after any bulk load (index-only scans need it).
    await seed.query('VACUUM ANALYZE products, warehouses, prices, inventory, promotions, customers');
  } finally {
    seed.release();
  }
  const price = numbered(realisticPriceSql);

  return pgBaselineDb(pool, {
    pageSql: numbered(realisticPageSql),
    pageValues: (now, productId) => [now, now, now, productId],
    stockSql:
      'SELECT product_id, SUM(stock) AS stock FROM inventory WHERE product_id = ANY($1) GROUP BY product_id',
    async price(client, order, now) {
      const customer = await client.query({
        name: 'customer',
        text: 'SELECT 1 FROM customers WHERE customer_id = $1',
        values: [order.customerId],
      });
      if (customer.rowCount === 0) return 'unknown-customer';
      const items = [...order.items].sort((a, b) =>
        a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0,
      );
      let total = 0;
      const lines: [string, number, number, number][] = [];
      for (const item of items) {
        const locked = await client.query<{ warehouse_id: number; stock: number }>({
          name: 'lock',
          text: 'SELECT warehouse_id, stock FROM inventory WHERE product_id = $1 ORDER BY warehouse_id FOR UPDATE',
          values: [item.productId],
        });
        const taken = takeFromWarehouses(
          homeWarehouseFirst(locked.rows, order.customerId, warehouses),
          item.quantity,
        );
        if (taken === undefined) return 'sold-out';
        const priced = await client.query<{ price: number | null; percent_off: number | null }>({
          name: 'price',
          text: price,
          values: [item.productId, now, item.productId, now, now],
        });
        const row = priced.rows[0];
        if (row?.price === null || row?.price === undefined) return 'sold-out';
        const unitPrice = Math.round((Number(row.price) * (100 - Number(row.percent_off ?? 0))) / 100);
        total += unitPrice * item.quantity;
        for (const [warehouse, quantity] of taken) {
          await client.query({
            name: 'decrement',
            text: 'UPDATE inventory SET stock = stock - $1 WHERE product_id = $2 AND warehouse_id = $3',
            values: [quantity, item.productId, warehouse],
          });
          lines.push([item.productId, warehouse, quantity, unitPrice]);
        }
      }
      return { total, lines };
    },
    insertLine: {
      name: 'line',
      text: 'INSERT INTO order_lines (order_id, product_id, warehouse_id, quantity, unit_price) VALUES ($1, $2, $3, $4, $5)',
    },
  });
}
