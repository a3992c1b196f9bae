import { quantile } from '../summarize.js';
import type { BaselineDb } from './baseline-app.js';
import { productId, type FlashSaleCatalog } from './flash-sale-catalog.js';
import { hotReadShare } from './sale-mix.js';

/**
 * The page query alone, timed in-process (no HTTP): one value per run, each over `samples` reads.
 */
export interface PageQueryLatency {
  readonly samples: number;
  /** The sale's mix: hotReadShare of the pages on the hot products, the rest across the catalog. */
  readonly mixP50Ms: number[];
  readonly mixP99Ms: number[];
  /** Products drawn uniformly from the whole catalog (the first run meets them cold). */
  readonly catalogP50Ms: number[];
  readonly catalogP99Ms: number[];
}

/**
 * Times `runs` x `samples` sequential page reads of each kind through the baseline's own data access: what
 * one page view costs the database before any HTTP or concurrency. A fixed pseudo-random sequence,
 * so every run reads the same products.
 */
export async function pageQueryLatency(
  db: BaselineDb,
  catalog: FlashSaleCatalog,
  samples: number,
  runs: number,
): Promise<PageQueryLatency> {
  let seed = 12_345;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const anyProduct = () => productId(1 + Math.floor(random() * catalog.products));
  const time = async (pick: () => string) => {
    const ms: number[] = [];
    for (let n = 0; n < samples; n++) {
      const id = pick();
      const start = performance.now();
      const page = await db.page(id);
      ms.push(performance.now() - start);
      if (page === undefined) throw new Error(`No page for ${id}`);
    }
    return ms;
  };
  const result: PageQueryLatency = {
    samples,
    mixP50Ms: [],
    mixP99Ms: [],
    catalogP50Ms: [],
    catalogP99Ms: [],
  };
  for (let r = 0; r < runs; r++) {
    // Catalog-wide first, so the first run's reads meet the cache as the seed left it.
    const catalogWide = await time(anyProduct);
    const mix = await time(() =>
      random() < hotReadShare
        ? (catalog.hot[Math.floor(random() * catalog.hot.length)] ?? productId(1))
        : anyProduct(),
    );
    result.mixP50Ms.push(quantile(mix, 0.5));
    result.mixP99Ms.push(quantile(mix, 0.99));
    result.catalogP50Ms.push(quantile(catalogWide, 0.5));
    result.catalogP99Ms.push(quantile(catalogWide, 0.99));
  }
  return result;
}
