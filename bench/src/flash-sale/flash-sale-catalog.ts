import { seedProductData, seedProductId } from '@tandem/example-shop';

/**
 * The catalog both sides of the flash sale serve. Products follow the shop's seed module
 * (examples/shop/src/seed.ts), whose formula the baseline reuses so both hold the same rows.
 */
export interface FlashSaleCatalog {
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
