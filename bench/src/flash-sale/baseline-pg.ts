import pg from 'pg';
import type { FlashSaleCatalog } from './flash-sale-catalog.js';
import type { BaselineDb, OrderOutcome } from './baseline-app.js';
import { baselineDdl, pageSql, productPage, seedStatements, type PageRow } from './baseline-schema.js';

/** `?` placeholders to pg's `$n`. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * The single model on PostgreSQL through a pg pool of `poolSize`: the page as a four-table join,
 * each order one transaction that locks its inventory rows (`SELECT ... FOR UPDATE`, in product
 * order so two orders cannot deadlock), checks and decrements them, and inserts the order.
 */
export async function openPgBaseline(
  connectionString: string,
  schema: string,
  catalog: FlashSaleCatalog,
  poolSize = 10,
): Promise<BaselineDb> {
  const pool = new pg.Pool({ connectionString, max: poolSize, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await pool.query(baselineDdl);
  const seed = await pool.connect();
  try {
    await seed.query('BEGIN');
    for (const [sql, params] of seedStatements(catalog)) await seed.query(numbered(sql), params);
    await seed.query('COMMIT');
  } finally {
    seed.release();
  }
  const page = numbered(pageSql);

  return {
    async page(productId) {
      const { rows } = await pool.query<PageRow>({
        name: 'page',
        text: page,
        values: [new Date().toISOString(), productId],
      });
      return productPage(rows);
    },
    async placeOrder(order) {
      const client = await pool.connect();
      const now = new Date().toISOString();
      try {
        await client.query('BEGIN');
        const ids = [...new Set(order.items.map((i) => i.productId))].sort();
        const customer = await client.query('SELECT 1 FROM customers WHERE customer_id = $1', [
          order.customerId,
        ]);
        if (customer.rowCount === 0) return await rollback(client, 'unknown-customer');
        const locked = await client.query<{
          product_id: string;
          stock: number;
          price: number;
          percent_off: number | null;
        }>(
          `SELECT i.product_id, i.stock, pr.price,
                  (SELECT MAX(percent_off) FROM promotions pm
                    WHERE pm.product_id = i.product_id AND pm.active = 1 AND (pm.ends_at IS NULL OR pm.ends_at > $2)) AS percent_off
             FROM inventory i JOIN prices pr ON pr.product_id = i.product_id
            WHERE i.product_id = ANY($1) ORDER BY i.product_id FOR UPDATE OF i`,
          [ids, now],
        );
        const byId = new Map(locked.rows.map((r) => [r.product_id, r]));
        let total = 0;
        const lines: [string, number, number][] = [];
        for (const item of order.items) {
          const row = byId.get(item.productId);
          if (row === undefined || row.stock < item.quantity) return await rollback(client, 'sold-out');
          const unitPrice = Math.round((row.price * (100 - (row.percent_off ?? 0))) / 100);
          total += unitPrice * item.quantity;
          lines.push([item.productId, item.quantity, unitPrice]);
          row.stock -= item.quantity;
          await client.query('UPDATE inventory SET stock = stock - $1 WHERE product_id = $2', [
            item.quantity,
            item.productId,
          ]);
        }
        const inserted = await client.query(
          `INSERT INTO orders (order_id, customer_id, total, shipping_address, placed_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING`,
          [order.orderId, order.customerId, total, JSON.stringify(order.shippingAddress), now],
        );
        if (inserted.rowCount === 0) return await rollback(client, 'duplicate');
        for (const [productId, quantity, unitPrice] of lines)
          await client.query(
            'INSERT INTO order_lines (order_id, product_id, quantity, unit_price) VALUES ($1, $2, $3, $4)',
            [order.orderId, productId, quantity, unitPrice],
          );
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
      const { rows } = await pool.query<{ product_id: string; stock: number }>(
        'SELECT product_id, stock FROM inventory WHERE product_id = ANY($1)',
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
