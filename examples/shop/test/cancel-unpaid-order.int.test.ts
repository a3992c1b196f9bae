import { describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { handlerSpec, type GivenEvent } from '@tandem/testing';
import { CancelUnpaidOrder, paymentDeadlinePrincipal } from '@tandem/example-shop';
import { RecordShipmentNotification } from '../src/customer-notifications/record-shipment-notification.js';
import { at, orderPlaced, paymentConfirmed, stockAdjusted } from './fixtures/shop-events.js';

const alice: Principal = { id: 'alice', roles: ['customer'] };
const admin: Principal = { id: 'admin', roles: ['admin'] };
const system = paymentDeadlinePrincipal;
const options = { name: 'shop', clock: () => new Date(at), user: system };

/** An order of 2 kettles and 1 toaster, each reserved from its stock. */
const placed: GivenEvent[] = [
  stockAdjusted('p1', 5, 5),
  stockAdjusted('p2', 3, 3),
  orderPlaced('o1', 'alice', [
    ['p1', 'Kettle', 2_000, 2],
    ['p2', 'Toaster', 5_000, 1],
  ]),
  {
    type: 'StockReserved',
    data: { productId: 'p1', orderId: 'o1', quantity: 2, stock: 3 },
    streamId: 'inventory-p1',
  },
  {
    type: 'StockReserved',
    data: { productId: 'p2', orderId: 'o1', quantity: 1, stock: 2 },
    streamId: 'inventory-p2',
  },
];
const shipped: GivenEvent = {
  type: 'OrderShipped',
  data: { orderId: 'o1', shippedAt: at },
  streamId: 'order-o1',
};

describe('CancelUnpaidOrder (the payment deadline’s command)', () => {
  const spec = handlerSpec(CancelUnpaidOrder, options);

  it('cancels an order still awaiting payment and releases what it reserved, in one commit', async () => {
    await spec
      .given(placed)
      .when({ data: { orderId: 'o1' } })
      .then({
        'order-o1': [
          {
            type: 'OrderCancelled',
            data: {
              orderId: 'o1',
              cancelledBy: 'workflow:payment-deadline',
              cancelledAt: at,
              items: [
                { productId: 'p1', quantity: 2 },
                { productId: 'p2', quantity: 1 },
              ],
            },
          },
        ],
        'inventory-p1': [
          { type: 'StockReleased', data: { productId: 'p1', orderId: 'o1', quantity: 2, stock: 5 } },
        ],
        'inventory-p2': [
          { type: 'StockReleased', data: { productId: 'p2', orderId: 'o1', quantity: 1, stock: 3 } },
        ],
      });
  });

  it('does nothing to a paid, shipped or cancelled order, or one that does not exist', async () => {
    await spec
      .given([...placed, paymentConfirmed('o1')])
      .when({ data: { orderId: 'o1' } })
      .then({});
    await spec
      .given([...placed, paymentConfirmed('o1'), shipped])
      .when({ data: { orderId: 'o1' } })
      .then({});
    await spec
      .given([])
      .when({ data: { orderId: 'o1' } })
      .then({});
  });

  it('is the shop’s own: neither a customer nor an admin may send it', async () => {
    await spec
      .given(placed)
      .when({ data: { orderId: 'o1' }, user: alice })
      .thenRefuses('forbidden');
    await spec
      .given(placed)
      .when({ data: { orderId: 'o1' }, user: admin })
      .thenRefuses('forbidden');
  });
});

describe('RecordShipmentNotification (the shipment-notifications reaction’s command)', () => {
  const spec = handlerSpec(RecordShipmentNotification, options);

  it('records one notice for the customer of a shipped order, and none a second time', async () => {
    const notice = {
      type: 'CustomerNotified',
      data: { orderId: 'o1', customerId: 'alice', kind: 'order-shipped', at },
    };
    await spec
      .given([...placed, paymentConfirmed('o1'), shipped])
      .when({ data: { orderId: 'o1' } })
      .then({ 'notification-o1': [notice] });
    await spec
      .given([...placed, paymentConfirmed('o1'), shipped, { ...notice, streamId: 'notification-o1' }])
      .when({ data: { orderId: 'o1' } })
      .then({});
  });

  it('refuses an order that has not shipped, or does not exist, and a customer sending it', async () => {
    await spec
      .given(placed)
      .when({ data: { orderId: 'o1' } })
      .thenRefuses('domain-rule', 'not shipped');
    await spec
      .given([])
      .when({ data: { orderId: 'o1' } })
      .thenRefuses('not-found');
    await spec
      .given([...placed, paymentConfirmed('o1'), shipped])
      .when({ data: { orderId: 'o1' }, user: alice })
      .thenRefuses('forbidden');
  });
});
