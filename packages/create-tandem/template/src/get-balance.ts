import { defineQuery } from '@tandem/core';
import { z } from 'zod';
import { balancesProjection } from './balances.js';

/** The query: reads the document the projection shaped, and returns it as it is (404 when missing). */
export const GetBalance = defineQuery({
  name: 'GetBalance',
  description: "An account's balance and number of deposits",
  params: z.strictObject({ accountId: z.string().min(1).max(100) }),
  // By definition, not by name: reading a collection the projection does not declare is a type error.
  projections: [balancesProjection],
  handler: async ({ params }, read) =>
    (await read.collection(balancesProjection, 'balances')).get(params.accountId),
});
