import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cancelTimer, scheduleTimer } from '@tandem/core';
import { workflowSpec } from '@tandem/testing';
import {
  defaultPaymentTimeoutMs,
  paymentDeadline,
  paymentTimeoutMs,
  type PaymentDeadlineInput,
} from '@tandem/example-shop';

const at = '2026-11-22T12:00:00.000Z';
const placed: PaymentDeadlineInput = {
  type: 'OrderPlaced',
  data: {
    orderId: 'o1',
    customerId: 'alice',
    customerName: 'Alice',
    customerState: 'CA',
    items: [{ productId: 'p1', name: 'Kettle', unitPrice: 2_500, quantity: 2, lineTotal: 5_000 }],
    total: 5_000,
    shippingAddress: { line1: '1 Main St', city: 'Fresno', state: 'CA', zip: '93650' },
    placedAt: at,
  },
};
const paid: PaymentDeadlineInput = { type: 'PaymentConfirmed', data: { orderId: 'o1', confirmedAt: at } };
const cancelled: PaymentDeadlineInput = {
  type: 'OrderCancelled',
  data: { orderId: 'o1', cancelledBy: 'alice', cancelledAt: at, items: [{ productId: 'p1', quantity: 2 }] },
};

const spec = workflowSpec(paymentDeadline(60_000));
const deadline = scheduleTimer({
  timerId: 'deadline',
  afterMs: 60_000,
  command: { type: 'CancelUnpaidOrder', data: { orderId: 'o1' } },
});

describe('the payment-deadline workflow', () => {
  it('schedules CancelUnpaidOrder after the timeout when an order is placed', () => {
    spec.given([]).when(placed).then([deadline]);
  });

  it('cancels the deadline when the order is paid first', () => {
    spec
      .given([placed])
      .when(paid)
      .then([cancelTimer('deadline')]);
  });

  it('cancels the deadline when the order is cancelled first', () => {
    spec
      .given([placed])
      .when(cancelled)
      .then([cancelTimer('deadline')]);
  });

  it('does nothing for a paid order cancelled later: its deadline is gone already', () => {
    spec.given([placed, paid]).when(cancelled).then([]);
  });

  it('does nothing for a payment or a cancellation of an order it never saw placed', () => {
    spec.given([]).when(paid).then([]);
    spec.given([]).when(cancelled).then([]);
  });

  it('is keyed by the order id', () => {
    const { key } = paymentDeadline(1).definition;
    assert.equal(
      key({
        ...placed,
        eventId: 'e',
        streamId: 'order-o1',
        streamVersion: 1,
        position: 1,
        schemaVersion: 1,
        metadata: {},
        recordedAt: at,
      }),
      'o1',
    );
  });

  it('refuses a timeout that is not a whole number of milliseconds', () => {
    assert.throws(() => paymentDeadline(-1), RangeError);
    assert.throws(() => paymentDeadline(1.5), RangeError);
  });
});

describe('TANDEM_PAYMENT_TIMEOUT_MS', () => {
  it('defaults to 15 minutes, and reads whole milliseconds', () => {
    assert.equal(paymentTimeoutMs({}), defaultPaymentTimeoutMs);
    assert.equal(defaultPaymentTimeoutMs, 900_000);
    assert.equal(paymentTimeoutMs({ TANDEM_PAYMENT_TIMEOUT_MS: ' 200 ' }), 200);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['15m', '-1', '1.5', '1e3', '99999999999999'])
      assert.throws(() => paymentTimeoutMs({ TANDEM_PAYMENT_TIMEOUT_MS: bad }), /TANDEM_PAYMENT_TIMEOUT_MS/);
  });
});
