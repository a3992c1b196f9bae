import { defineCommand, reject } from '@tandem/core';
import { z } from 'zod';
import { accountDecider } from './account-decider.js';
import { accountStream } from './account-events.js';

/**
 * Moves money from one of the caller's accounts to another account, in ONE commit: both streams
 * are appended together, each guarded by the version it was read at, so a concurrent transfer
 * from the same account makes this one retry against the new balance instead of overdrawing it.
 */
export const Transfer = defineCommand({
  type: 'Transfer',
  schema: z.strictObject({
    transferId: z.string(),
    fromAccountId: z.string().min(1).max(100),
    toAccountId: z.string().min(1).max(100),
    amountCents: z.number().int().min(1).max(100_000_000),
  }),
  generatedIds: ['transferId'],
}).eventSourcedMany(async ({ data, user }, streams) => {
  if (data.fromAccountId === data.toAccountId) reject('Cannot transfer to the same account');
  const from = accountStream(data.fromAccountId);
  const to = accountStream(data.toAccountId);
  const fromState = await streams.load(from, accountDecider);
  const toState = await streams.load(to, accountDecider);
  const { transferId, amountCents } = data;
  const sent = accountDecider.decide(
    {
      type: 'Send',
      accountId: data.fromAccountId,
      transferId,
      toAccountId: data.toAccountId,
      amountCents,
      by: user.id,
    },
    fromState,
  );
  const received = accountDecider.decide(
    {
      type: 'Receive',
      accountId: data.toAccountId,
      transferId,
      fromAccountId: data.fromAccountId,
      amountCents,
    },
    toState,
  );
  return [
    { streamId: from, events: sent },
    { streamId: to, events: received },
  ];
});
