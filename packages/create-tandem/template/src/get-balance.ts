import { defineQuery } from '@tandem/core';
import { z } from 'zod';
import { balances } from './balances.js';

/** The query: reads the document the projection shaped, and returns it as it is (404 when missing). */
export const GetBalance = defineQuery({
  name: 'GetBalance',
  description: "An account's balance and number of deposits",
  params: z.strictObject({ accountId: z.string().min(1).max(100) }),
  projections: ['balances'],
  handler: async ({ params }, read) => (await read.collection('balances', balances)).get(params.accountId),
});
