import { defineCommand } from '@tandem/core';
import { z } from 'zod';
import { accountDecider } from './account-decider.js';
import { accountStream } from './account-events.js';

/**
 * Opens an account for the caller. The server generates `accountId` from the caller and the
 * Idempotency-Key, so a retried request opens the same account, never a second one.
 */
export const OpenAccount = defineCommand({
  type: 'OpenAccount',
  schema: z.strictObject({ accountId: z.string() }),
  generatedIds: ['accountId'],
}).eventSourced({
  stream: ({ data }) => accountStream(data.accountId),
  decider: accountDecider,
  command: ({ data, user }) => ({ type: 'Open', accountId: data.accountId, ownerId: user.id }),
});
