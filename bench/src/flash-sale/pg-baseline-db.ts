import pg from 'pg';
import type { BaselineDb, BaselineOrder, OrderOutcome } from './baseline-app.js';
import { productPage, type PageRow } from './baseline-schema.js';

/** `?` placeholders to pg's `$n`: the schema modules write portable SQL for SQLite and pg alike. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * A pg pool of `poolSize` on `schema` (created if missing, and every connection's search_path),
 * with `ddl` run in it: what both catalog shapes open before they seed.
 */
export async function openPgPool(
  connectionString: string,
  schema: string,
  poolSize: number,
  ddl: string,
): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString, max: poolSize, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await pool.query(ddl);
  return pool;
}

/** An order's checks and stock updates done: its total, and each order line's values after order_id. */
export interface PricedOrder {
  readonly total: number;
  readonly lines: readonly (readonly unknown[])[];
}

/** What differs between the catalog shapes on pg; everything else {@link pgBaselineDb} shares. */
export interface PgShape {
  /** The page query with pg placeholders, run as the prepared statement `page`. */
  readonly pageSql: string;
  /** Its parameters at `now` (ISO time) for `productId`. */
  pageValues(now: string, productId: string): unknown[];
  /** `product_id, stock` rows for the product ids in `$1`. */
  readonly stockSql: string;
  /**
   * Inside the order's transaction: the customer check, the inventory locks, prices and
   * decrements. An outcome instead of a priced order rolls the transaction back.
   */
  price(client: pg.PoolClient, order: BaselineOrder, now: string): Promise<PricedOrder | OrderOutcome>;
  /** How each order line is inserted (`text`, and a `name` to run it as a prepared statement). */
  readonly insertLine: { readonly text: string; readonly name?: string };
}

/**
 * The single model's data access on `pool` for one catalog shape: the page, the order transaction
 * (BEGIN, the shape's {@link PgShape.price}, the order row, its lines, COMMIT; ROLLBACK on any
 * other outcome or error) and the stock check. Both shapes shared this code line for line.
 */
export function pgBaselineDb(pool: pg.Pool, shape: PgShape): BaselineDb {
  return {
    async page(productId) {
      const { rows } = await pool.query<PageRow>({
        name: 'page',
        text: shape.pageSql,
        values: shape.pageValues(new Date().toISOString(), productId),
      });
      return productPage(rows);
    },
    async placeOrder(order) {
      const client = await pool.connect();
      const now = new Date().toISOString();
      try {
        await client.query('BEGIN');
        const priced = await shape.price(client, order, now);
        if (typeof priced === 'string') return await rollback(client, priced);
        const inserted = await client.query(
          `INSERT INTO orders (order_id, customer_id, total, shipping_address, placed_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING`,
          [order.orderId, order.customerId, priced.total, JSON.stringify(order.shippingAddress), now],
        );
        if (inserted.rowCount === 0) return await rollback(client, 'duplicate');
        for (const line of priced.lines)
          await client.query({ ...shape.insertLine, values: [order.orderId, ...line] });
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
      const { rows } = await pool.query<{ product_id: string; stock: number | string }>(shape.stockSql, [
        productIds,
      ]);
      return Object.fromEntries(rows.map((r) => [r.product_id, Number(r.stock)]));
    },
    close: () => pool.end(),
  };
}

async function rollback(client: pg.PoolClient, outcome: OrderOutcome): Promise<OrderOutcome> {
  await client.query('ROLLBACK');
  return outcome;
}
