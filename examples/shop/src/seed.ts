import type { Principal, Tandem } from '@tandem/core';

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

/** The id of demo product number `i` (1-based). */
export function seedProductId(i: number): string {
  return `p-${String(i).padStart(5, '0')}`;
}

/**
 * The CreateProduct data of demo product number `i` (1-based). Exported so that benchmarks can
 * build a single-model baseline holding exactly the rows the shop's seed creates.
 */
export function seedProductData(i: number) {
  const n = String(i).padStart(5, '0');
  return {
    productId: seedProductId(i),
    name: `${adjectives[i % adjectives.length]} ${nouns[i % nouns.length]} ${n}`,
    description: `Demo product number ${i}`,
    category: categories[i % categories.length] ?? 'misc',
    price: 500 + ((i * 737) % 20_000),
    initialStock: (i * 13) % 200,
  };
}

/**
 * Creates `count` demo products through the command pipeline. Each command id is derived from the
 * product number, so seeding twice replays instead of duplicating. `concurrency` commands run at
 * once (default 1): a large catalog seeds several times faster when the store can group commits.
 */
export async function seedProducts(
  app: Tandem,
  count: number,
  log: (line: string) => void = () => {},
  concurrency = 1,
): Promise<number> {
  const admin: Principal = { id: 'seed', roles: ['admin'] };
  let created = 0;
  let done = 0;
  let next = 1;
  const worker = async () => {
    for (let i = next++; i <= count; i = next++) {
      const outcome = await app.execute({
        type: 'CreateProduct',
        commandId: `seed-product-${String(i).padStart(5, '0')}`,
        user: admin,
        data: seedProductData(i),
      });
      if (!outcome.ok) throw outcome.error;
      if (!outcome.replayed) created += 1;
      done += 1;
      if (done % 250 === 0) log(`  ${done}/${count}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return created;
}
