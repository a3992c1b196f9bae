/** A line as ordered: name and price frozen at order time, so read models need no join. */
export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  /** Effective unit price in cents (after any promotion). */
  readonly unitPrice: number;
  readonly quantity: number;
  readonly lineTotal: number;
}

export interface ShippingAddress {
  readonly line1: string;
  readonly city: string;
  readonly state: string;
  readonly zip: string;
}

/** Events of an `order-<orderId>` stream. */
export type OrderEvent =
  | {
      type: 'OrderPlaced';
      data: {
        orderId: string;
        customerId: string;
        customerName: string;
        customerState: string;
        items: OrderLine[];
        total: number;
        shippingAddress: ShippingAddress;
        placedAt: string;
      };
    }
  | { type: 'PaymentConfirmed'; data: { orderId: string; confirmedAt: string } }
  | { type: 'OrderShipped'; data: { orderId: string; shippedAt: string } }
  | {
      type: 'OrderCancelled';
      data: {
        orderId: string;
        cancelledBy: string;
        cancelledAt: string;
        items: { productId: string; quantity: number }[];
      };
    };

/** The stream of one order. */
export const orderStream = (orderId: string) => `order-${orderId}`;
