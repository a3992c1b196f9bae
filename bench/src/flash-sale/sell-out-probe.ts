import { Pool } from 'undici';
import type { SaleTarget } from './sale-mix.js';

/**
 * After the steps: a burst of concurrent one-unit orders, four times the stock, on a product that
 * has little. Counts what was accepted and what the stock shows; any unit beyond the stock is an
 * oversell.
 */
export async function sellOutProbe(
  origin: string,
  target: SaleTarget,
  probe: { readonly productId: string; readonly stock: number },
  customers: number,
): Promise<string> {
  const pool = new Pool(origin, { connections: 64 });
  const attempts = probe.stock * 4;
  let accepted = 0;
  let refused = 0;
  let failed = 0;
  try {
    await Promise.all(
      Array.from({ length: attempts }, async (_, i) => {
        const request = target.order(`probe-${i}`, 1 + (i % customers), probe.productId, 1);
        const response = await pool.request({
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body,
        });
        await response.body.text();
        const outcome = target.classify(request, response.statusCode);
        if (outcome === 'ok') accepted += 1;
        else if (outcome === 'sold-out') refused += 1;
        else failed += 1;
      }),
    );
    const stock = await pool.request({ method: 'GET', path: `/bench/stock?ids=${probe.productId}` });
    const remaining = ((await stock.body.json()) as Record<string, number>)[probe.productId] ?? Number.NaN;
    const oversold = Math.max(0, accepted - probe.stock) + Math.max(0, -remaining);
    return (
      `sell-out probe: ${attempts} concurrent orders for a product with ${probe.stock} in stock: ${accepted} accepted, ` +
      `${refused} refused as sold out, ${failed} failed; stock left ${remaining}; oversells ${oversold}` +
      (remaining === probe.stock - accepted ? '.' : ` (stock does not match the accepted orders).`)
    );
  } finally {
    await pool.close();
  }
}
