/** How long an order may await payment when TANDEM_PAYMENT_TIMEOUT_MS is unset: 15 minutes. */
export const defaultPaymentTimeoutMs = 900_000;

/**
 * TANDEM_PAYMENT_TIMEOUT_MS checked: how long after it is placed an unpaid order is cancelled, in
 * milliseconds (default 15 minutes).
 *
 * @throws Error naming the variable when it is not a whole number of milliseconds.
 */
export function paymentTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.TANDEM_PAYMENT_TIMEOUT_MS?.trim();
  if (raw === undefined || raw === '') return defaultPaymentTimeoutMs;
  const value = Number(raw);
  if (!/^\d{1,12}$/.test(raw) || !Number.isSafeInteger(value))
    throw new Error(
      `TANDEM_PAYMENT_TIMEOUT_MS must be a whole number of milliseconds, got ${JSON.stringify(raw)}`,
    );
  return value;
}
