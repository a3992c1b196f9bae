/** Events of `product-<id>` and `customer-<id>` streams, emitted by the state-stored catalog. */
export type CatalogEvent =
  | { type: 'CustomerRegistered'; data: { customerId: string; name: string; state: string } }
  | {
      type: 'ProductCreated';
      data: { productId: string; name: string; description: string; category: string; price: number };
    }
  | { type: 'ProductPriceAdjusted'; data: { productId: string; price: number; previousPrice: number } }
  | {
      type: 'PromotionStarted';
      data: { promotionId: string; productId: string; percentOff: number; endsAt: string | null };
    }
  | { type: 'PromotionEnded'; data: { promotionId: string; productId: string } };

export const productStream = (productId: string) => `product-${productId}`;
export const customerStream = (customerId: string) => `customer-${customerId}`;
