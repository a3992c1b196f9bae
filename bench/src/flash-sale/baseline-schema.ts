import { customerId, seedProduct, type FlashSaleCatalog } from './flash-sale-catalog.js';

/**
 * The customers and orders tables, the same in both catalog shapes (the order transactions of
 * `pg-baseline-db.ts` and `sqlite-baseline-db.ts` write them for either). Portable SQL.
 */
export const customersAndOrdersDdl = `
  CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL
  );
  CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (customer_id),
    total INTEGER NOT NULL,
    shipping_address TEXT NOT NULL,
    placed_at TEXT NOT NULL
  );
`;

/**
 * The single model, normalized the way most teams would: products, prices, inventory and
 * promotions (the page joins all four), plus customers and orders. Portable SQL (SQLite and pg).
 */
export const baselineDdl = `
  CREATE TABLE products (
    product_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL
  );
  CREATE TABLE prices (
    product_id TEXT PRIMARY KEY REFERENCES products (product_id),
    price INTEGER NOT NULL
  );
  CREATE TABLE inventory (
    product_id TEXT PRIMARY KEY REFERENCES products (product_id),
    stock INTEGER NOT NULL CHECK (stock >= 0)
  );
  CREATE TABLE promotions (
    promotion_id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (product_id),
    percent_off INTEGER NOT NULL,
    ends_at TEXT,
    active INTEGER NOT NULL
  );
  CREATE INDEX promotions_product ON promotions (product_id, active);
  ${customersAndOrdersDdl}
  CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    product_id TEXT NOT NULL REFERENCES products (product_id),
    quantity INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
  );
`;

/** The product page: the four-table join. Parameters: the time (for promotion ends), the product. */
export const pageSql = `
  SELECT p.product_id, p.name, p.description, p.category, pr.price, i.stock,
         pm.promotion_id, pm.percent_off, pm.ends_at
    FROM products p
    JOIN prices pr ON pr.product_id = p.product_id
    JOIN inventory i ON i.product_id = p.product_id
    LEFT JOIN promotions pm
      ON pm.product_id = p.product_id AND pm.active = 1 AND (pm.ends_at IS NULL OR pm.ends_at > ?)
   WHERE p.product_id = ?
   ORDER BY pm.promotion_id`;

/** A row of {@link pageSql}. */
export interface PageRow {
  product_id: string;
  name: string;
  description: string;
  category: string;
  price: number;
  stock: number;
  promotion_id: string | null;
  percent_off: number | null;
  ends_at: string | null;
}

/** The same document the shop's GetProductPage returns, built from the join's rows. */
export function productPage(rows: readonly PageRow[]) {
  const [first] = rows;
  if (first === undefined) return undefined;
  const promotions = rows
    .filter((r) => r.promotion_id !== null)
    .map((r) => ({
      promotionId: r.promotion_id ?? '',
      percentOff: Number(r.percent_off),
      endsAt: r.ends_at,
    }));
  const best = promotions.reduce<(typeof promotions)[number] | null>(
    (b, p) => (b === null || p.percentOff > b.percentOff ? p : b),
    null,
  );
  const price = Number(first.price);
  const stock = Number(first.stock);
  return {
    productId: first.product_id,
    name: first.name,
    description: first.description,
    category: first.category,
    price,
    effectivePrice: Math.round((price * (100 - (best?.percentOff ?? 0))) / 100),
    promotion: best,
    promotions,
    stock,
    inStock: stock > 0,
  };
}

/** Every seed statement, as (sql, params) pairs with `?` placeholders. */
export function seedStatements(catalog: FlashSaleCatalog): [string, unknown[]][] {
  const statements: [string, unknown[]][] = [];
  for (let i = 1; i <= catalog.products; i++) {
    const p = seedProduct(i);
    const hot = catalog.hot.includes(p.productId);
    const probe = catalog.soldOutProbe?.productId === p.productId;
    const stock = probe ? (catalog.soldOutProbe?.stock ?? 0) : hot ? catalog.hotStock : p.initialStock;
    statements.push(
      [
        'INSERT INTO products (product_id, name, description, category) VALUES (?, ?, ?, ?)',
        [p.productId, p.name, p.description, p.category],
      ],
      ['INSERT INTO prices (product_id, price) VALUES (?, ?)', [p.productId, p.price]],
      ['INSERT INTO inventory (product_id, stock) VALUES (?, ?)', [p.productId, stock]],
    );
    if (hot)
      statements.push([
        'INSERT INTO promotions (promotion_id, product_id, percent_off, ends_at, active) VALUES (?, ?, ?, NULL, 1)',
        [`sale-${p.productId}`, p.productId, catalog.percentOff],
      ]);
  }
  for (let k = 1; k <= catalog.customers; k++)
    statements.push([
      'INSERT INTO customers (customer_id, name, state) VALUES (?, ?, ?)',
      [customerId(k), `Customer ${k}`, 'CA'],
    ]);
  return statements;
}
