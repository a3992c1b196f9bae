/**
 * The catalog both sides of the flash sale serve. Products follow the shop's seed module
 * (examples/shop/src/seed.ts); the baseline repeats its formula so both hold the same rows.
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

const categories = ['kitchen', 'garden', 'books', 'toys', 'audio', 'outdoor', 'office', 'games'];
const nouns = [
  'Kettle',
  'Lamp',
  'Chair',
  'Backpack',
  'Speaker',
  'Notebook',
  'Puzzle',
  'Tent',
  'Mug',
  'Blender',
];
const adjectives = ['Compact', 'Classic', 'Deluxe', 'Eco', 'Pro', 'Mini', 'Smart', 'Vintage'];

/** The id of product number `i` (1-based), as the shop's seed names it. */
export function productId(i: number): string {
  return `p-${String(i).padStart(5, '0')}`;
}

/** The number of a product id made by {@link productId}. */
export function productNumber(id: string): number {
  return Number(id.slice('p-'.length));
}

/** Product number `i` as the shop's `seedProducts` creates it. */
export function seedProduct(i: number) {
  const n = String(i).padStart(5, '0');
  return {
    productId: productId(i),
    name: `${adjectives[i % adjectives.length]} ${nouns[i % nouns.length]} ${n}`,
    description: `Demo product number ${i}`,
    category: categories[i % categories.length] ?? 'misc',
    price: 500 + ((i * 737) % 20_000),
    initialStock: (i * 13) % 200,
  };
}

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
