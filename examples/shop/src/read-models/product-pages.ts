import { defineCollection, defineProjection, eachEvent } from '@tandem/core';
import { effectivePrice } from '../catalog/catalog-lookup.js';
import type { ShopEvent } from './shop-event.js';

export interface Promotion {
  readonly promotionId: string;
  readonly percentOff: number;
  readonly endsAt: string | null;
}

/** The product page: the seeds' four-table join (product, price, promotion, stock) as one document. */
export interface ProductPage {
  readonly productId: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: number;
  readonly effectivePrice: number;
  /** The best running promotion, or null. */
  readonly promotion: Promotion | null;
  /** Every running promotion, so ending one reveals the next best. */
  readonly promotions: readonly Promotion[];
  readonly stock: number;
  readonly inStock: boolean;
}

const sortable = ['effectivePrice', 'name'];
export const productPages = defineCollection<ProductPage>({
  name: 'products',
  // Every combination SearchProducts can ask for: optional category and inStock, sorted by price or name.
  indexes: [['category', 'inStock'], ['category'], ['inStock'], []].flatMap((eq) =>
    sortable.map((s) => ({ fields: [...eq, s] })),
  ),
  search: { fields: ['name', 'description', 'category'] },
});

function withPromotions(page: ProductPage, promotions: readonly Promotion[]): ProductPage {
  const best = promotions.reduce<Promotion | null>(
    (b, p) => (b === null || p.percentOff > b.percentOff ? p : b),
    null,
  );
  return {
    ...page,
    promotions,
    promotion: best,
    effectivePrice: effectivePrice(page.price, best?.percentOff ?? 0),
  };
}

export const productPagesProjection = defineProjection.for<ShopEvent>()({
  name: 'product-pages',
  version: 1,
  events: [
    'ProductCreated',
    'ProductPriceAdjusted',
    'PromotionStarted',
    'PromotionEnded',
    'StockAdjusted',
    'StockReserved',
    'StockReleased',
  ],
  collections: { products: productPages },
  onError: 'skip',
  apply: eachEvent(async (event, { collections: { products } }) => {
    switch (event.type) {
      case 'ProductCreated': {
        const { productId, name, description, category, price } = event.data;
        await products.upsert(productId, {
          productId,
          name,
          description,
          category,
          price,
          effectivePrice: price,
          promotion: null,
          promotions: [],
          stock: 0,
          inStock: false,
        });
        return;
      }
      case 'ProductPriceAdjusted': {
        const page = await products.get(event.data.productId);
        if (page !== undefined)
          await products.upsert(
            page.productId,
            withPromotions({ ...page, price: event.data.price }, page.promotions),
          );
        return;
      }
      case 'PromotionStarted': {
        const page = await products.get(event.data.productId);
        const { promotionId, percentOff, endsAt } = event.data;
        if (page !== undefined)
          await products.upsert(
            page.productId,
            withPromotions(page, [...page.promotions, { promotionId, percentOff, endsAt }]),
          );
        return;
      }
      case 'PromotionEnded': {
        const page = await products.get(event.data.productId);
        if (page !== undefined) {
          await products.upsert(
            page.productId,
            withPromotions(
              page,
              page.promotions.filter((p) => p.promotionId !== event.data.promotionId),
            ),
          );
        }
        return;
      }
      case 'StockAdjusted':
      case 'StockReserved':
      case 'StockReleased':
        // Inventory events carry the stock after them, so the page never recomputes it.
        await products.patch(event.data.productId, {
          stock: event.data.stock,
          inStock: event.data.stock > 0,
        });
        return;
      default:
        return;
    }
  }),
});
