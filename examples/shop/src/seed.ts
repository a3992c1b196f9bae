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

/**
 * Creates `count` demo products through the command pipeline. Each command id is derived from the
 * product number, so seeding twice replays instead of duplicating.
 */
export async function seedProducts(
  app: Tandem,
  count: number,
  log: (line: string) => void = () => {},
): Promise<number> {
  const admin: Principal = { id: 'seed', roles: ['admin'] };
  let created = 0;
  for (let i = 1; i <= count; i++) {
    const n = String(i).padStart(5, '0');
    const outcome = await app.execute({
      type: 'CreateProduct',
      commandId: `seed-product-${n}`,
      user: admin,
      data: {
        productId: `p-${n}`,
        name: `${adjectives[i % adjectives.length]} ${nouns[i % nouns.length]} ${n}`,
        description: `Demo product number ${i}`,
        category: categories[i % categories.length],
        price: 500 + ((i * 737) % 20_000),
        initialStock: (i * 13) % 200,
      },
    });
    if (!outcome.ok) throw outcome.error;
    if (!outcome.replayed) created += 1;
    if (i % 250 === 0) log(`  ${i}/${count}`);
  }
  return created;
}
