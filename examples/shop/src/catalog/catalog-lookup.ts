import type { SqlExecutor } from '@tandem/core';

export interface ProductRow {
  readonly productId: string;
  readonly name: string;
  readonly price: number;
  /** The best running promotion's discount, 0 when none. */
  readonly percentOff: number;
}

/** Price after the promotion, in whole cents (rounded half up). */
export function effectivePrice(price: number, percentOff: number): number {
  return Math.round((price * (100 - percentOff)) / 100);
}

/** A product with its price and best running promotion at `at` (ISO time), or undefined. */
export async function findProduct(
  sql: SqlExecutor,
  productId: string,
  at: string,
): Promise<ProductRow | undefined> {
  const [row] = await sql.query<{ product_id: string; name: string; price: number }>(
    `SELECT p.product_id, p.name, pr.price
       FROM shop_products p JOIN shop_prices pr ON pr.product_id = p.product_id
      WHERE p.product_id = ?`,
    [productId],
  );
  if (row === undefined) return undefined;
  const [promo] = await sql.query<{ percent_off: number | null }>(
    `SELECT MAX(percent_off) AS percent_off FROM shop_promotions
      WHERE product_id = ? AND active = 1 AND (ends_at IS NULL OR ends_at > ?)`,
    [productId, at],
  );
  return {
    productId: row.product_id,
    name: row.name,
    price: Number(row.price),
    percentOff: Number(promo?.percent_off ?? 0),
  };
}

/** A registered customer, or undefined. */
export async function findCustomer(
  sql: SqlExecutor,
  customerId: string,
): Promise<{ name: string; state: string } | undefined> {
  const [row] = await sql.query<{ name: string; state: string }>(
    'SELECT name, state FROM shop_customers WHERE customer_id = ?',
    [customerId],
  );
  return row === undefined ? undefined : { name: row.name, state: row.state };
}
