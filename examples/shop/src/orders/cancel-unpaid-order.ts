import { defineCommand, requireRole } from '@tandem/core';
import { orderDecider } from './order-decider.js';
import { orderStream } from './order-events.js';
import { cancelWithRelease, orderRef } from './order-lifecycle.js';

/** The role of the shop's own processes (the payment-deadline workflow), never of a person. */
export const systemRole = 'system';

/**
 * Cancels an order whose payment deadline passed, releasing its stock, but only while it still
 * awaits payment: a paid, shipped or cancelled order gets no events (the command succeeds and does
 * nothing), so a deadline that fires just after a ConfirmPayment changes nothing. The order's
 * stream is appended under its loaded version, so a ConfirmPayment committing meanwhile makes this
 * one reload and find the order paid: exactly one of the two takes effect.
 *
 * Sent by the `payment-deadline` workflow's timer as `workflow:payment-deadline`, role `system`.
 * Tokens carry the roles their issuer signs (`tandem token --role`), so no customer token holds it.
 */
export const CancelUnpaidOrder = defineCommand({
  type: 'CancelUnpaidOrder',
  description: 'Cancels an order still awaiting payment and releases its stock (the payment deadline)',
  schema: orderRef,
  authorize: requireRole(systemRole),
}).eventSourcedMany(async ({ data, user, metadata }, streams) => {
  const order = await streams.load(orderStream(data.orderId), orderDecider);
  if (order.status !== 'payment_pending') return [];
  return cancelWithRelease(streams, order, {
    type: 'Cancel',
    orderId: data.orderId,
    by: user.id,
    asAdmin: true,
    at: metadata.timestamp,
  });
});
