import { defineCollection, defineProjection, type DocumentWriter } from '@tandem/core';
import type { ShopEvent } from './shop-event.js';

/** Revenue of one day (orders placed minus orders cancelled, in cents). */
export interface DailyRevenue {
  readonly day: string;
  readonly revenue: number;
  readonly orders: number;
}

/** Revenue of one product on one day. */
export interface ProductDayRevenue {
  readonly day: string;
  readonly productId: string;
  readonly name: string;
  readonly revenue: number;
  readonly quantity: number;
}

/** What an order contributed, kept so a cancellation can take exactly that back. */
interface Contribution {
  readonly day: string;
  readonly lines: readonly {
    readonly productId: string;
    readonly name: string;
    readonly lineTotal: number;
    readonly quantity: number;
  }[];
}

export const dailyRevenue = defineCollection<DailyRevenue>({ name: 'daily', indexes: [{ fields: ['day'] }] });
export const productDayRevenue = defineCollection<ProductDayRevenue>({
  name: 'product_days',
  indexes: [{ fields: ['day'] }],
});
const contributions = defineCollection<Contribution>({ name: 'contributions' });

/**
 * Pre-aggregated totals per day and per product-day. Batch-aware: a batch's changes are summed in
 * memory and written once per touched document, which is what makes catch-up fast.
 */
export const revenueProjection = defineProjection.for<ShopEvent>()({
  name: 'revenue',
  version: 1,
  events: ['OrderPlaced', 'OrderCancelled'],
  collections: { daily: dailyRevenue, productDays: productDayRevenue, contributions },
  async apply(events, { collections }) {
    const days = new Map<string, DailyRevenue>();
    const productDays = new Map<string, ProductDayRevenue>();
    const day = async (key: string) =>
      days.get(key) ?? (await collections.daily.get(key)) ?? { day: key, revenue: 0, orders: 0 };
    const productDay = async (key: string, fresh: ProductDayRevenue) =>
      productDays.get(key) ?? (await collections.productDays.get(key)) ?? fresh;
    const add = async (c: Contribution, sign: 1 | -1) => {
      const d = await day(c.day);
      days.set(c.day, {
        ...d,
        revenue: d.revenue + sign * c.lines.reduce((n, l) => n + l.lineTotal, 0),
        orders: d.orders + sign,
      });
      for (const line of c.lines) {
        const key = `${c.day}/${line.productId}`;
        const p = await productDay(key, {
          day: c.day,
          productId: line.productId,
          name: line.name,
          revenue: 0,
          quantity: 0,
        });
        productDays.set(key, {
          ...p,
          revenue: p.revenue + sign * line.lineTotal,
          quantity: p.quantity + sign * line.quantity,
        });
      }
    };
    for (const event of events) {
      switch (event.type) {
        case 'OrderPlaced': {
          const contribution: Contribution = {
            day: event.data.placedAt.slice(0, 10),
            lines: event.data.items,
          };
          await collections.contributions.upsert(event.data.orderId, contribution);
          await add(contribution, 1);
          break;
        }
        case 'OrderCancelled': {
          const contribution = await collections.contributions.get(event.data.orderId);
          if (contribution !== undefined) {
            await add(contribution, -1);
            await collections.contributions.delete(event.data.orderId);
          }
          break;
        }
        default:
          break;
      }
    }
    await writeAll(collections.daily, days);
    await writeAll(collections.productDays, productDays);
  },
});

async function writeAll<Doc extends object>(
  collection: DocumentWriter<Doc>,
  docs: Map<string, Doc>,
): Promise<void> {
  for (const [key, doc] of docs) await collection.upsert(key, doc);
}
