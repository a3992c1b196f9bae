import { reject, TandemError, type Decider } from '@tandem/core';
import type { OrderEvent, OrderLine, ShippingAddress } from './order-events.js';

export type OrderStatus = 'payment_pending' | 'paid' | 'shipped' | 'cancelled';

export type OrderState =
  | { readonly status: 'none' }
  | { readonly status: OrderStatus; readonly customerId: string; readonly items: readonly OrderLine[] };

export type OrderCommand =
  | {
      type: 'Place';
      orderId: string;
      customerId: string;
      customerName: string;
      customerState: string;
      items: OrderLine[];
      shippingAddress: ShippingAddress;
      at: string;
    }
  | { type: 'ConfirmPayment'; orderId: string; at: string }
  | { type: 'Ship'; orderId: string; at: string }
  | { type: 'Cancel'; orderId: string; by: string; asAdmin: boolean; at: string };

function notFound(orderId: string): never {
  throw new TandemError('not-found', `Order ${orderId} not found`);
}

/** An order's life: payment_pending → paid → shipped, or cancelled before shipping. */
export const orderDecider: Decider<OrderCommand, OrderState, OrderEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve(state, event) {
    switch (event.type) {
      case 'OrderPlaced':
        return { status: 'payment_pending', customerId: event.data.customerId, items: event.data.items };
      case 'PaymentConfirmed':
        return state.status === 'none' ? state : { ...state, status: 'paid' };
      case 'OrderShipped':
        return state.status === 'none' ? state : { ...state, status: 'shipped' };
      case 'OrderCancelled':
        return state.status === 'none' ? state : { ...state, status: 'cancelled' };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'Place': {
        if (state.status !== 'none') reject(`Order ${command.orderId} already exists`);
        const { type: _type, at, ...order } = command;
        const total = order.items.reduce((sum, line) => sum + line.lineTotal, 0);
        return [{ type: 'OrderPlaced', data: { ...order, total, placedAt: at } }];
      }
      case 'ConfirmPayment':
        if (state.status === 'none') notFound(command.orderId);
        if (state.status !== 'payment_pending')
          reject(`Order ${command.orderId} is ${state.status}, not awaiting payment`);
        return [{ type: 'PaymentConfirmed', data: { orderId: command.orderId, confirmedAt: command.at } }];
      case 'Ship':
        if (state.status === 'none') notFound(command.orderId);
        if (state.status !== 'paid')
          reject(`Order ${command.orderId} is ${state.status}; only paid orders ship`);
        return [{ type: 'OrderShipped', data: { orderId: command.orderId, shippedAt: command.at } }];
      case 'Cancel':
        // A stranger learns nothing about someone else's order, not even that it exists.
        if (state.status === 'none' || (!command.asAdmin && state.customerId !== command.by))
          notFound(command.orderId);
        if (state.status === 'shipped' || state.status === 'cancelled')
          reject(`Order ${command.orderId} is ${state.status} and cannot be cancelled`);
        return [
          {
            type: 'OrderCancelled',
            data: {
              orderId: command.orderId,
              cancelledBy: command.by,
              cancelledAt: command.at,
              items: state.items.map((line) => ({ productId: line.productId, quantity: line.quantity })),
            },
          },
        ];
    }
  },
};
