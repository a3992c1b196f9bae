import { describe, it } from 'node:test';
import { deciderSpec } from '@tandem/testing';
import { orderDecider, type OrderCommand, type OrderEvent } from '@tandem/example-shop';

const spec = deciderSpec(orderDecider);
const at = '2026-11-22T12:00:00.000Z';
const line = { productId: 'p1', name: 'Kettle', unitPrice: 2_500, quantity: 2, lineTotal: 5_000 };
const address = { line1: '1 Main St', city: 'Fresno', state: 'CA', zip: '93650' };
const place: OrderCommand = {
  type: 'Place',
  orderId: 'o1',
  customerId: 'alice',
  customerName: 'Alice',
  customerState: 'CA',
  items: [line, { ...line, productId: 'p2', quantity: 1, lineTotal: 2_500 }],
  shippingAddress: address,
  at,
};
const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    orderId: 'o1',
    customerId: 'alice',
    customerName: 'Alice',
    customerState: 'CA',
    items: [line, { ...line, productId: 'p2', quantity: 1, lineTotal: 2_500 }],
    total: 7_500,
    shippingAddress: address,
    placedAt: at,
  },
};
const paid: OrderEvent = { type: 'PaymentConfirmed', data: { orderId: 'o1', confirmedAt: at } };
const shipped: OrderEvent = { type: 'OrderShipped', data: { orderId: 'o1', shippedAt: at } };
const cancel = (by: string, asAdmin = false): OrderCommand => ({
  type: 'Cancel',
  orderId: 'o1',
  by,
  asAdmin,
  at,
});
const cancelled = (by: string): OrderEvent => ({
  type: 'OrderCancelled',
  data: {
    orderId: 'o1',
    cancelledBy: by,
    cancelledAt: at,
    items: [
      { productId: 'p1', quantity: 2 },
      { productId: 'p2', quantity: 1 },
    ],
  },
});

describe('order decider', () => {
  it('places an order once, with its total', () => {
    spec.given([]).when(place).then([placed]);
    spec.given([placed]).when(place).thenRejects('domain-rule', 'already exists');
  });

  it('goes payment_pending → paid → shipped, and nothing else', () => {
    spec.given([placed]).when({ type: 'ConfirmPayment', orderId: 'o1', at }).then([paid]);
    spec.given([placed, paid]).when({ type: 'Ship', orderId: 'o1', at }).then([shipped]);
    spec
      .given([placed])
      .when({ type: 'Ship', orderId: 'o1', at })
      .thenRejects('domain-rule', 'only paid orders ship');
    spec
      .given([placed, paid])
      .when({ type: 'ConfirmPayment', orderId: 'o1', at })
      .thenRejects('domain-rule', 'not awaiting payment');
    spec.given([]).when({ type: 'ConfirmPayment', orderId: 'o1', at }).thenRejects('not-found');
    spec.given([]).when({ type: 'Ship', orderId: 'o1', at }).thenRejects('not-found');
  });

  it('neither takes payment for nor ships a cancelled order', () => {
    spec
      .given([placed, cancelled('alice')])
      .when({ type: 'ConfirmPayment', orderId: 'o1', at })
      .thenRejects('domain-rule', 'not awaiting payment');
    spec
      .given([placed, paid, cancelled('root')])
      .when({ type: 'Ship', orderId: 'o1', at })
      .thenRejects('domain-rule', 'only paid orders ship');
  });

  it('lets the owner or an admin cancel before shipping, and hides the order from strangers', () => {
    spec
      .given([placed])
      .when(cancel('alice'))
      .then([cancelled('alice')]);
    spec
      .given([placed, paid])
      .when(cancel('root', true))
      .then([cancelled('root')]);
    spec.given([placed]).when(cancel('mallory')).thenRejects('not-found');
    spec.given([]).when(cancel('alice')).thenRejects('not-found');
    spec
      .given([placed, paid, shipped])
      .when(cancel('alice'))
      .thenRejects('domain-rule', 'cannot be cancelled');
    spec
      .given([placed, cancelled('alice')])
      .when(cancel('alice'))
      .thenRejects('domain-rule', 'cannot be cancelled');
  });
});
