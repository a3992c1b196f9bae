import { defineCommand, reject, type CommandRequest, type Principal } from '@tandem/core';
import { z } from 'zod';
import { cartDecider, cartItem } from './cart-decider.js';

/** The cart decider through Tandem's pipeline: load the stream, fold, decide, append at its version. */
export const AddCartItem = defineCommand({
  type: 'AddCartItem',
  schema: z.strictObject({
    cartId: z.string().min(1).max(100),
    sku: z.string().min(1),
    quantity: z.number().int().min(1),
    price: z.number().int().min(0),
  }),
}).eventSourced({
  stream: ({ data }) => `cart-${data.cartId}`,
  decider: cartDecider(reject),
  command: ({ data }) => ({
    type: 'AddCartItem',
    data: { sku: data.sku, quantity: data.quantity, price: data.price },
  }),
});

const shopper: Principal = { id: 'bench-shopper', roles: ['customer'] };

/** Command number `index` on cart `cartId`, with its own idempotency key. */
export function addCartItemRequest(cartId: string, index: number): CommandRequest {
  return {
    type: 'AddCartItem',
    commandId: `${cartId}-${index}`,
    user: shopper,
    data: { cartId, ...cartItem(index) },
  };
}
