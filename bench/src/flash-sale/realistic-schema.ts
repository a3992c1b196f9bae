import { customersAndOrdersDdl } from './baseline-schema.js';
import { customerId, seedProduct, type CatalogHistory, type FlashSaleCatalog } from './flash-sale-catalog.js';

/**
 * The single model as teams usually store these facts: a price history (the current price is the
 * latest `valid_from` not in the future), stock per warehouse (the page sums it, an order locks and
 * decrements warehouse rows), and promotions with date ranges that stay in the table once ended.
 * Portable SQL (SQLite and pg). Times are ISO-8601 UTC text, so text order is time order.
 *
 * Indexes, the obvious ones and nothing exotic: every primary key; prices (product_id, valid_from)
 * as its key, which answers "latest price at or before now" with one descending seek; inventory
 * (product_id, warehouse_id) as its key, which the page's sum and the order's lock both range-scan,
 * and (warehouse_id) for the foreign key; promotions (product_id, ends_at), which skips a
 * product's ended promotions instead of reading them all; order_lines by their key.
 */
export const realisticDdl = `
  CREATE TABLE products (
    product_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL
  );
  CREATE TABLE warehouses (
    warehouse_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL
  );
  CREATE TABLE prices (
    product_id TEXT NOT NULL REFERENCES products (product_id),
    valid_from TEXT NOT NULL,
    price INTEGER NOT NULL,
    PRIMARY KEY (product_id, valid_from)
  );
  CREATE TABLE inventory (
    product_id TEXT NOT NULL REFERENCES products (product_id),
    warehouse_id INTEGER NOT NULL REFERENCES warehouses (warehouse_id),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    PRIMARY KEY (product_id, warehouse_id)
  );
  CREATE INDEX inventory_warehouse ON inventory (warehouse_id);
  CREATE TABLE promotions (
    promotion_id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (product_id),
    percent_off INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT
  );
  CREATE INDEX promotions_product_ends ON promotions (product_id, ends_at);
  ${customersAndOrdersDdl}
  CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    product_id TEXT NOT NULL REFERENCES products (product_id),
    warehouse_id INTEGER NOT NULL REFERENCES warehouses (warehouse_id),
    quantity INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id, warehouse_id)
  );
`;

/**
 * The product page as ONE query over the four tables, written the way teams write it: the current
 * price by a correlated MAX, the stock summed over warehouses with GROUP BY, the running promotions
 * by a LEFT JOIN on their date range (one row each). Parameters: now, now, now, the product.
 * Its rows are {@link PageRow}s, so `productPage` builds the same document as the small shape.
 */
export const realisticPageSql = `
  SELECT p.product_id, p.name, p.description, p.category, pr.price,
         COALESCE(SUM(i.stock), 0) AS stock,
         pm.promotion_id, pm.percent_off, pm.ends_at
    FROM products p
    JOIN prices pr
      ON pr.product_id = p.product_id
     AND pr.valid_from = (SELECT MAX(h.valid_from) FROM prices h
                           WHERE h.product_id = p.product_id AND h.valid_from <= ?)
    LEFT JOIN inventory i ON i.product_id = p.product_id
    LEFT JOIN promotions pm
      ON pm.product_id = p.product_id AND pm.starts_at <= ? AND (pm.ends_at IS NULL OR pm.ends_at > ?)
   WHERE p.product_id = ?
   GROUP BY p.product_id, p.name, p.description, p.category, pr.price,
            pm.promotion_id, pm.percent_off, pm.ends_at
   ORDER BY pm.promotion_id`;

/**
 * In the order transaction, after the product's warehouse rows are locked: its price and best
 * running promotion at `now`. Parameters: product, now, product, now, now.
 */
export const realisticPriceSql = `
  SELECT (SELECT price FROM prices WHERE product_id = ? AND valid_from <= ?
           ORDER BY valid_from DESC LIMIT 1) AS price,
         (SELECT MAX(percent_off) FROM promotions
           WHERE product_id = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)) AS percent_off`;

/** The rows of one product, per table, in insertion order. */
export interface ProductRows {
  readonly product: [string, string, string, string];
  readonly prices: [string, string, number][];
  readonly inventory: [string, number, number][];
  readonly promotions: [string, string, number, string, string | null][];
}

const day = 86_400_000;
// The seed's times repeat across products (a few thousand distinct ones): formatting each once
// keeps a large seed fast.
const isoCache = new Map<number, string>();
function iso(ms: number): string {
  let text = isoCache.get(ms);
  if (text === undefined) {
    if (isoCache.size > 100_000) isoCache.clear();
    text = new Date(ms).toISOString();
    isoCache.set(ms, text);
  }
  return text;
}

/** The history of a `realistic` catalog, or an error naming what is missing. */
export function historyOf(catalog: FlashSaleCatalog): CatalogHistory {
  if (catalog.history === undefined) throw new Error('A realistic catalog needs its history');
  return catalog.history;
}

/** Stock of product number `i` when the sale starts (the same on both sides). */
export function startingStock(catalog: FlashSaleCatalog, i: number): number {
  const p = seedProduct(i);
  if (catalog.soldOutProbe?.productId === p.productId) return catalog.soldOutProbe.stock;
  return catalog.hot.includes(p.productId) ? catalog.hotStock : p.initialStock;
}

/**
 * Historic prices of product `i`, oldest first, ending with the current one (half a day old), and
 * for every fifth product and the hot ones a price change already scheduled two days ahead.
 * The current price is the shop's seed price, so both sides show the same page.
 */
export function priceHistory(catalog: FlashSaleCatalog, i: number, now: number): [string, number][] {
  const h = historyOf(catalog);
  const p = seedProduct(i);
  const hot = catalog.hot.includes(p.productId);
  const every = hot ? 1 : h.coldPriceEveryDays;
  const count = Math.max(1, Math.floor(h.priceDays / every));
  const rows: [string, number][] = [];
  for (let k = count - 1; k >= 0; k--) {
    // Prices wander within +-10% of the seed price; the current one (k = 0) is the seed price.
    const price = k === 0 ? p.price : Math.round((p.price * (100 + (((i * 31 + k * 17) % 21) - 10))) / 100);
    rows.push([iso(now - (k * every + 0.5) * day), price]);
  }
  if (hot || i % 5 === 0) rows.push([iso(now + 2 * day), p.price + 100]);
  return rows;
}

/** Every row of product number `i` (1-based), relative to the seeding time `now`. */
export function productRows(catalog: FlashSaleCatalog, i: number, now: number): ProductRows {
  const h = historyOf(catalog);
  const p = seedProduct(i);
  const hot = catalog.hot.includes(p.productId);
  const prices = priceHistory(catalog, i, now).map(([at, price]): [string, string, number] => [
    p.productId,
    at,
    price,
  ]);

  // Hot products sit in every warehouse, the others in a quarter to all of them.
  const least = Math.max(1, Math.floor(h.warehouses / 4));
  const held = hot ? h.warehouses : least + ((i * 7) % (h.warehouses - least + 1));
  const total = startingStock(catalog, i);
  const inventory: [string, number, number][] = [];
  for (let w = 0; w < held; w++) {
    const share = Math.floor(total / held) + (w < total % held ? 1 : 0);
    inventory.push([p.productId, 1 + ((i + w) % h.warehouses), share]);
  }
  inventory.sort((a, b) => a[1] - b[1]);

  const promotions: ProductRows['promotions'] = [];
  const past = hot ? h.hotPastPromotions : i % (h.coldPastPromotions + 1);
  const spacing = hot ? 3 : 30; // days between past promotions
  for (let k = past; k >= 1; k--) {
    const starts = now - k * spacing * day;
    promotions.push([
      `promo-${p.productId}-${k}`,
      p.productId,
      5 + ((i + k) % 40),
      iso(starts),
      iso(starts + (spacing / 2) * day),
    ]);
  }
  if (hot) {
    promotions.push([`sale-${p.productId}`, p.productId, catalog.percentOff, iso(now - 3_600_000), null]);
    // Next week's promotions, already entered: not running yet, so not on the page.
    for (const k of [1, 2])
      promotions.push([
        `next-${p.productId}-${k}`,
        p.productId,
        10 * k,
        iso(now + (5 + k) * day),
        iso(now + (6 + k) * day),
      ]);
  }
  return { product: [p.productId, p.name, p.description, p.category], prices, inventory, promotions };
}

/** Table name, columns and rows of the seed, in batches of about `batchRows` rows. */
export interface SeedBatch {
  readonly table: 'products' | 'warehouses' | 'prices' | 'inventory' | 'promotions' | 'customers';
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

const columnsOf: Record<SeedBatch['table'], readonly string[]> = {
  products: ['product_id', 'name', 'description', 'category'],
  warehouses: ['warehouse_id', 'name', 'region'],
  prices: ['product_id', 'valid_from', 'price'],
  inventory: ['product_id', 'warehouse_id', 'stock'],
  promotions: ['promotion_id', 'product_id', 'percent_off', 'starts_at', 'ends_at'],
  customers: ['customer_id', 'name', 'state'],
};

/**
 * The whole seed of a `realistic` catalog as batches, parents before children, generated lazily
 * so a large catalog never sits in memory at once.
 */
export function* realisticSeed(
  catalog: FlashSaleCatalog,
  now: number,
  batchRows = 20_000,
): Generator<SeedBatch> {
  const h = historyOf(catalog);
  const regions = ['west', 'central', 'east', 'south'];
  yield {
    table: 'warehouses',
    columns: columnsOf.warehouses,
    rows: Array.from({ length: h.warehouses }, (_, w) => [
      w + 1,
      `Warehouse ${w + 1}`,
      regions[w % 4] ?? 'west',
    ]),
  };
  yield {
    table: 'customers',
    columns: columnsOf.customers,
    rows: Array.from({ length: catalog.customers }, (_, k) => [customerId(k + 1), `Customer ${k + 1}`, 'CA']),
  };
  const pending = { products: [], prices: [], inventory: [], promotions: [] } as Record<
    'products' | 'prices' | 'inventory' | 'promotions',
    (readonly (string | number | null)[])[]
  >;
  const order = ['products', 'prices', 'inventory', 'promotions'] as const;
  let size = 0;
  for (let i = 1; i <= catalog.products; i++) {
    const rows = productRows(catalog, i, now);
    pending.products.push(rows.product);
    pending.prices.push(...rows.prices);
    pending.inventory.push(...rows.inventory);
    pending.promotions.push(...rows.promotions);
    size += 1 + rows.prices.length + rows.inventory.length + rows.promotions.length;
    if (size < batchRows && i < catalog.products) continue;
    for (const table of order) {
      if (pending[table].length > 0) yield { table, columns: columnsOf[table], rows: pending[table] };
      pending[table] = [];
    }
    size = 0;
  }
}
