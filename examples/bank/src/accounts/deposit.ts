import { defineCommand } from '@tandem/core';
import { z } from 'zod';
import { accountDecider } from './account-decider.js';
import { accountStream } from './account-events.js';

/** At most a million (in cents) per deposit: a bound at the boundary, not a business rule. */
const maxDepositCents = 100_000_000;

/** Puts money into an open account (anyone authenticated may deposit into any account). */
export const Deposit = defineCommand({
  type: 'Deposit',
  schema: z.strictObject({
    accountId: z.string().min(1).max(100),
    amountCents: z.number().int().min(1).max(maxDepositCents),
  }),
  // A deposit creates money: a retry without a key would deposit twice, so a key is required.
  creates: true,
}).eventSourced({
  stream: ({ data }) => accountStream(data.accountId),
  decider: accountDecider,
  command: ({ data }) => ({ type: 'Deposit', ...data }),
});
