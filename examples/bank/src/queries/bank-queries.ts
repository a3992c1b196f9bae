import { defineQuery } from '@tandem/core';
import { z } from 'zod';
import { accountBalancesProjection } from '../read-models/account-balances.js';

/** One account, for its owner; anyone else gets 404, as if it did not exist. */
export const GetAccount = defineQuery({
  name: 'GetAccount',
  params: z.strictObject({ accountId: z.string().min(1).max(100) }),
  projections: [accountBalancesProjection],
  async handler({ params, user }, read) {
    const accounts = await read.collection(accountBalancesProjection, 'accounts');
    const account = await accounts.get(params.accountId);
    return account?.ownerId === user?.id ? account : undefined;
  },
});

/** The caller's accounts (the first page), through the `ownerId` index. */
export const ListMyAccounts = defineQuery({
  name: 'ListMyAccounts',
  params: z.strictObject({}),
  projections: [accountBalancesProjection],
  async handler({ user }, read) {
    const accounts = await read.collection(accountBalancesProjection, 'accounts');
    return accounts.find({ where: [{ field: 'ownerId', op: 'eq', value: user?.id ?? '' }], limit: 100 });
  },
});
