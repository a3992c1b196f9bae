import type { Principal, Tandem } from '@tandem/core';
import { productNumber, seedProduct, type FlashSaleCatalog } from './flash-sale-catalog.js';
import { historyOf, priceHistory } from './realistic-schema.js';

const admin: Principal = { id: 'bench-history', roles: ['admin'] };

/** Runs `count` commands `concurrency` at a time, in order of their index within each wave. */
async function inWaves(count: number, concurrency: number, run: (k: number) => Promise<void>) {
  for (let start = 0; start < count; start += concurrency)
    await Promise.all(Array.from({ length: Math.min(concurrency, count - start) }, (_, k) => run(start + k)));
}

async function execute(app: Tandem, type: string, commandId: string, data: unknown) {
  const outcome = await app.execute({ type, commandId, user: admin, data });
  if (!outcome.ok) throw outcome.error;
}

/**
 * The hot products' history of a `realistic` catalog, through the shop's own commands before the
 * sale: every past price as an AdjustProductPrice ending at the current one, and every past
 * promotion as a StartPromotion then an EndPromotion (the shop has no back-dated promotions, so
 * they start and end now; what stays behind is the same: ended promotion rows and their events).
 * Cold products' history is not replayed: nothing the shop does per request reads it (its page is
 * a projection document, its orders read the current price row and the running promotions), and
 * replaying ~100 commands for each of thousands of products would take minutes.
 * Returns the number of commands run.
 */
export async function seedSaleHistory(app: Tandem, catalog: FlashSaleCatalog): Promise<number> {
  if (catalog.shape !== 'realistic') return 0;
  const h = historyOf(catalog);
  const now = Date.now();
  let commands = 0;
  await Promise.all(
    catalog.hot.map(async (id) => {
      const i = productNumber(id);
      // Past prices oldest first, waves of 32 (order inside a wave does not matter: the last
      // wave is the current price alone, so the shop ends on the same price as the baseline).
      const past = priceHistory(catalog, i, now)
        .filter(([at]) => Date.parse(at) <= now)
        .map(([, price]) => price);
      const current = seedProduct(i).price;
      const changes = [...past.slice(0, -1), current].filter((p, k, all) => k === 0 || p !== all[k - 1]);
      await inWaves(changes.length - 1, 32, (k) =>
        execute(app, 'AdjustProductPrice', `history-price-${id}-${k}`, { productId: id, price: changes[k] }),
      );
      await execute(app, 'AdjustProductPrice', `history-price-${id}-current`, {
        productId: id,
        price: current,
      });
      await inWaves(h.hotPastPromotions, 32, async (k) => {
        const promotionId = `promo-${id}-${k + 1}`;
        await execute(app, 'StartPromotion', `history-start-${promotionId}`, {
          promotionId,
          productId: id,
          percentOff: 5 + ((i + k + 1) % 40),
        });
        await execute(app, 'EndPromotion', `history-end-${promotionId}`, { promotionId });
      });
      commands += changes.length + 2 * h.hotPastPromotions;
    }),
  );
  return commands;
}
