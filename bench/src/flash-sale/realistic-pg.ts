import pg from 'pg';
import type { BaselineDb, OrderOutcome } from './baseline-app.js';
import { productPage, type PageRow } from './baseline-schema.js';
import type { FlashSaleCatalog } from './flash-sale-catalog.js';
import {
  historyOf,
  realisticDdl,
  realisticPageSql,
  realisticPriceSql,
  realisticSeed,
} from './realistic-schema.js';
import { homeWarehouseFirst, takeFromWarehouses } from './take-from-warehouses.js';

/** `?` placeholders to pg's `$n`. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

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
  const pool = new pg.Pool({ connectionString, max: poolSize, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await pool.query(realisticDdl);
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
  const page = numbered(realisticPageSql);
  const price = numbered(realisticPriceSql);

  return {
    async page(productId) {
      const now = new Date().toISOString();
      const { rows } = await pool.query<PageRow>({
        name: 'page',
        text: page,
        values: [now, now, now, productId],
      });
      return productPage(rows);
    },
    async placeOrder(order) {
      const client = await pool.connect();
      const now = new Date().toISOString();
      try {
        await client.query('BEGIN');
        const customer = await client.query({
          name: 'customer',
          text: 'SELECT 1 FROM customers WHERE customer_id = $1',
          values: [order.customerId],
        });
        if (customer.rowCount === 0) return await rollback(client, 'unknown-customer');
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
          if (taken === undefined) return await rollback(client, 'sold-out');
          const priced = await client.query<{ price: number | null; percent_off: number | null }>({
            name: 'price',
            text: price,
            values: [item.productId, now, item.productId, now, now],
          });
          const row = priced.rows[0];
          if (row?.price === null || row?.price === undefined) return await rollback(client, 'sold-out');
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
        const inserted = await client.query(
          `INSERT INTO orders (order_id, customer_id, total, shipping_address, placed_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING`,
          [order.orderId, order.customerId, total, JSON.stringify(order.shippingAddress), now],
        );
        if (inserted.rowCount === 0) return await rollback(client, 'duplicate');
        for (const line of lines)
          await client.query({
            name: 'line',
            text: 'INSERT INTO order_lines (order_id, product_id, warehouse_id, quantity, unit_price) VALUES ($1, $2, $3, $4, $5)',
            values: [order.orderId, ...line],
          });
        await client.query('COMMIT');
        return 'placed';
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async stock(productIds) {
      const { rows } = await pool.query<{ product_id: string; stock: string }>(
        'SELECT product_id, SUM(stock) AS stock FROM inventory WHERE product_id = ANY($1) GROUP BY product_id',
        [productIds],
      );
      return Object.fromEntries(rows.map((r) => [r.product_id, Number(r.stock)]));
    },
    close: () => pool.end(),
  };
}

async function rollback(client: pg.PoolClient, outcome: OrderOutcome): Promise<OrderOutcome> {
  await client.query('ROLLBACK');
  return outcome;
}
