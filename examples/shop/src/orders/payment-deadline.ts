import { cancelTimer, defineWorkflow, scheduleTimer, type Principal, type Workflow } from '@tandem/core';
import { systemRole } from './cancel-unpaid-order.js';
import type { OrderEvent } from './order-events.js';

/** The events the payment deadline follows. */
export type PaymentDeadlineInput = Extract<
  OrderEvent,
  { type: 'OrderPlaced' | 'PaymentConfirmed' | 'OrderCancelled' }
>;

/**
 * Where one order's deadline is: `none` before the order was placed, `pending` while its timer
 * may fire, `settled` once the order was paid or cancelled (the timer is cancelled, or fired).
 */
export interface PaymentDeadlineState {
  readonly deadline: 'none' | 'pending' | 'settled';
}

/** The name of each order's deadline timer (the store scopes it by workflow and order). */
export const deadlineTimer = 'deadline';

/** Who the workflow's timers send CancelUnpaidOrder as: the shop itself, never a person. */
export const paymentDeadlinePrincipal: Principal = {
  id: 'workflow:payment-deadline',
  roles: [systemRole],
};

/**
 * The payment deadline, a workflow keyed by order id: when an order is placed it schedules a
 * CancelUnpaidOrder after `timeoutMs` (on the database's clock); when the order is paid or
 * cancelled first, it cancels that timer. The timer may still fire in a race with a ConfirmPayment
 * (the cancel commits after it): CancelUnpaidOrder then finds the order paid and does nothing, or
 * wins and the ConfirmPayment is refused. Either way the order ends exactly once.
 *
 * Its inputs and timers are recorded in `workflow-payment-deadline-<orderId>`, so each order's
 * deadline can be read back from the log.
 */
export function paymentDeadline(timeoutMs: number): Workflow<PaymentDeadlineInput, PaymentDeadlineState> {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0)
    throw new RangeError(`The payment timeout must be a whole number of milliseconds, not ${timeoutMs}`);
  return defineWorkflow<PaymentDeadlineInput, PaymentDeadlineState>({
    name: 'payment-deadline',
    inputs: ['OrderPlaced', 'PaymentConfirmed', 'OrderCancelled'],
    key: (event) => event.data.orderId,
    principal: paymentDeadlinePrincipal,
    initialState: () => ({ deadline: 'none' }),
    evolve: (state, input) => {
      switch (input.type) {
        case 'OrderPlaced':
          return { deadline: 'pending' };
        case 'PaymentConfirmed':
        case 'OrderCancelled':
          return { deadline: 'settled' };
        default:
          return state;
      }
    },
    decide(input, state) {
      switch (input.type) {
        case 'OrderPlaced':
          return [
            scheduleTimer({
              timerId: deadlineTimer,
              afterMs: timeoutMs,
              command: { type: 'CancelUnpaidOrder', data: { orderId: input.data.orderId } },
            }),
          ];
        case 'PaymentConfirmed':
        case 'OrderCancelled':
          // Only the first of them matters: a paid order cancelled later has no timer left.
          return state.deadline === 'pending' ? [cancelTimer(deadlineTimer)] : [];
        default:
          return [];
      }
    },
  });
}
