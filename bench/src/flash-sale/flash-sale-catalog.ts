import { seedProductData, seedProductId } from '@tandem/example-shop';

/**
 * How the single model stores the catalog. `small`: one row per product in each table, primary-key
 * lookups only (the best case for the baseline). `realistic`: price history, stock per warehouse,
 * promotions with date ranges and many expired rows (see realistic-schema.ts).
 */
export type CatalogShape = 'small' | 'realistic';

/** The history depth of the `realistic` shape. */
export interface CatalogHistory {
  /** Warehouses; the page sums a product's stock over the ones that hold it. */
  readonly warehouses: number;
  /** Days of price history: hot products change price daily, the others every `coldPriceEveryDays`. */
  readonly priceDays: number;
  readonly coldPriceEveryDays: number;
  /** Past (ended) promotions of each hot product; cold product i has i % (coldPastPromotions + 1). */
  readonly hotPastPromotions: number;
  readonly coldPastPromotions: number;
}

/**
 * The catalog both sides of the flash sale serve. Products follow the shop's seed module
 * (examples/shop/src/seed.ts), whose formula the baseline reuses so both hold the same rows.
 */
export interface FlashSaleCatalog {
  /** Default `small`. */
  readonly shape?: CatalogShape;
  /** Required for the `realistic` shape. */
  readonly history?: CatalogHistory;
  readonly products: number;
  /** The products the sale concentrates on. */
  readonly hot: readonly string[];
  /** Stock of each hot product when the sale starts. */
  readonly hotStock: number;
  /** The sale's discount on the hot products. */
  readonly percentOff: number;
  /** Registered customers who place the orders. */
  readonly customers: number;
  /** A product with little stock that a burst of orders tries to oversell after the steps. */
  readonly soldOutProbe?: { readonly productId: string; readonly stock: number };
}

/** The id of product number `i` (1-based), as the shop's seed names it. */
export const productId = seedProductId;

/** The number of a product id made by {@link productId}. */
export function productNumber(id: string): number {
  return Number(id.slice('p-'.length));
}

/** Product number `i` as the shop's `seedProducts` creates it. */
export const seedProduct = seedProductData;

/** The customer ids orders come from. */
export function customerId(k: number): string {
  return `c-${k}`;
}

export const shippingAddress = { line1: '1 Main St', city: 'Fresno', state: 'CA', zip: '93650' };

/** The catalog as an environment variable for server processes, and back. */
export const catalogToEnv = (catalog: FlashSaleCatalog) => JSON.stringify(catalog);
export const catalogFromEnv = (value: string | undefined): FlashSaleCatalog => {
  if (value === undefined) throw new Error('BENCH_CATALOG is not set');
  return JSON.parse(value) as FlashSaleCatalog;
};
