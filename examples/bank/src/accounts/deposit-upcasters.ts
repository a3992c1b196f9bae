import type { Upcaster } from '@tandem/core';

/**
 * The bank's first release wrote `MoneyDeposited` as `{ accountId, amount }`. Renaming the field to
 * `amountCents` made the unit explicit; stored events are never rewritten, so this upcaster turns
 * version 1 into version 2 on every read, and deciders and projections see only the new shape.
 * Registering it also makes new MoneyDeposited events carry schema version 2.
 */
export const depositUpcasters: readonly Upcaster[] = [
  {
    type: 'MoneyDeposited',
    fromVersion: 1,
    upcast: (data) => {
      const { amount, ...rest } = data as { accountId: string; amount: number };
      return { ...rest, amountCents: amount };
    },
  },
];
