import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedEvent } from '@tandem/core';
import { orderNotification } from '../src/notifications/order-notification.js';

const recorded = (type: string, data: object): RecordedEvent => ({
  eventId: `e-${type}`,
  type,
  streamId: 'order-o1',
  streamVersion: 1,
  position: 7,
  schemaVersion: 1,
  data,
  metadata: {},
  recordedAt: '2026-11-22T12:00:00.000Z',
});
const line = { productId: 'p1', name: 'Kettle', unitPrice: 2_500, quantity: 2, lineTotal: 5_000 };

describe('orderNotification', () => {
  it('writes one message per order event, to the customer when the event names them', () => {
    const placed = orderNotification(
      recorded('OrderPlaced', {
        orderId: 'o1',
        customerId: 'alice',
        customerName: 'Alice',
        customerState: 'CA',
        items: [line, { ...line, productId: 'p2', quantity: 1, lineTotal: 2_500 }],
        total: 7_500,
        shippingAddress: { line1: '1 Main St', city: 'Fresno', state: 'CA', zip: '93650' },
        placedAt: '2026-11-22T12:00:00.000Z',
      }),
    );
    assert.deepEqual(placed, {
      eventId: 'e-OrderPlaced',
      orderId: 'o1',
      kind: 'OrderPlaced',
      customerId: 'alice',
      message: 'Thank you, Alice: we have your order of 3 items ($75.00).',
    });
    const later = [
      recorded('PaymentConfirmed', { orderId: 'o1', confirmedAt: 'x' }),
      recorded('OrderShipped', { orderId: 'o1', shippedAt: 'x' }),
      recorded('OrderCancelled', {
        orderId: 'o1',
        cancelledBy: 'alice',
        cancelledAt: 'x',
        items: [{ productId: 'p1', quantity: 2 }],
      }),
    ].map(orderNotification);
    assert.deepEqual(
      later.map((n) => [n?.kind, n?.orderId, n?.customerId]),
      [
        ['PaymentConfirmed', 'o1', null],
        ['OrderShipped', 'o1', null],
        ['OrderCancelled', 'o1', null],
      ],
    );
    assert.match(later[2]?.message ?? '', /cancelled; the 1 reserved product is released/);
  });

  it('ignores event types it does not notify about', () => {
    assert.equal(orderNotification(recorded('OrderGiftWrapped', { orderId: 'o1' })), undefined);
    assert.equal(orderNotification(recorded('StockReserved', { productId: 'p1' })), undefined);
  });
});
