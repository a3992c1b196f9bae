import type { FlashSaleCatalog } from './flash-sale-catalog.js';
import type { BaselineDb } from './baseline-app.js';
import { baselineDdl, pageSql, seedStatements } from './baseline-schema.js';
import { numbered, openPgPool, pgBaselineDb } from './pg-baseline-db.js';

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
  const pool = await openPgPool(connectionString, schema, poolSize, baselineDdl);
  const seed = await pool.connect();
  try {
    await seed.query('BEGIN');
    for (const [sql, params] of seedStatements(catalog)) await seed.query(numbered(sql), params);
    await seed.query('COMMIT');
  } finally {
    seed.release();
  }

  return pgBaselineDb(pool, {
    pageSql: numbered(pageSql),
    pageValues: (now, productId) => [now, productId],
    stockSql: 'SELECT product_id, stock FROM inventory WHERE product_id = ANY($1)',
    async price(client, order, now) {
      const ids = [...new Set(order.items.map((i) => i.productId))].sort();
      const customer = await client.query('SELECT 1 FROM customers WHERE customer_id = $1', [
        order.customerId,
      ]);
      if (customer.rowCount === 0) return 'unknown-customer';
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
        if (row === undefined || row.stock < item.quantity) return 'sold-out';
        const unitPrice = Math.round((row.price * (100 - (row.percent_off ?? 0))) / 100);
        total += unitPrice * item.quantity;
        lines.push([item.productId, item.quantity, unitPrice]);
        row.stock -= item.quantity;
        await client.query('UPDATE inventory SET stock = stock - $1 WHERE product_id = $2', [
          item.quantity,
          item.productId,
        ]);
      }
      return { total, lines };
    },
    // Unnamed, as before the fold: the small shape's order statements are not prepared.
    insertLine: {
      text: 'INSERT INTO order_lines (order_id, product_id, quantity, unit_price) VALUES ($1, $2, $3, $4)',
    },
  });
}
