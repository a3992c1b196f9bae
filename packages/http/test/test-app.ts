import {
  createTandem,
  defineCommand,
  MemoryStore,
  reject,
  requireRole,
  type Decider,
  type Tandem,
} from '@tandem/core';
import { z } from 'zod';
import { createHttpServer, signToken, type HttpServerOptions } from '@tandem/http';

type AccountEvent =
  | { type: 'AccountOpened'; data: { accountId: string; owner: string } }
  | { type: 'MoneyDeposited'; data: { amount: number } }
  | { type: 'MoneyWithdrawn'; data: { amount: number } };

type AccountCommand =
  { type: 'Open'; accountId: string; owner: string } | { type: 'Deposit'; amount: number };

const account: Decider<AccountCommand, { open: boolean; balance: number }, AccountEvent> = {
  initialState: () => ({ open: false, balance: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'AccountOpened':
        return { ...state, open: true };
      case 'MoneyDeposited':
        return { ...state, balance: state.balance + event.data.amount };
      case 'MoneyWithdrawn':
        return { ...state, balance: state.balance - event.data.amount };
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'Open':
        if (state.open) reject('Account already open');
        return [{ type: 'AccountOpened', data: { accountId: command.accountId, owner: command.owner } }];
      case 'Deposit':
        if (!state.open) reject('Account is not open');
        if (state.balance + command.amount > 1000) reject('Balance limit', { balance: state.balance });
        return [{ type: 'MoneyDeposited', data: { amount: command.amount } }];
    }
  },
};

export const OpenAccount = defineCommand({
  type: 'OpenAccount',
  description: 'Opens an account for the caller',
  schema: z.strictObject({ accountId: z.string().min(1).max(100) }),
  generatedIds: ['accountId'],
  // The suites choose account ids; by default callers may not (see `acceptsClientIds`).
  acceptsClientIds: true,
}).eventSourced({
  stream: ({ data }) => `account-${data.accountId}`,
  decider: account,
  command: ({ data, user }) => ({ type: 'Open', accountId: data.accountId, owner: user.id }),
});

export const Deposit = defineCommand({
  type: 'Deposit',
  schema: z.strictObject({ accountId: z.string().min(1), amount: z.number().int().positive() }),
}).eventSourced({
  stream: ({ data }) => `account-${data.accountId}`,
  decider: account,
  command: ({ data }) => ({ type: 'Deposit', amount: data.amount }),
});

export const FreezeAll = defineCommand({
  type: 'FreezeAll',
  schema: z.strictObject({ reason: z.string() }),
  authorize: requireRole('admin'),
}).eventSourced({
  stream: () => 'bank',
  decider: {
    initialState: () => null,
    evolve: () => null,
    decide: () => [],
  } satisfies Decider<null, null, never>,
  command: () => null,
});

/** Opts out of the Idempotency-Key over HTTP: setting a limit twice leaves it as once. */
export const SetLimit = defineCommand({
  type: 'SetLimit',
  schema: z.strictObject({ limit: z.number().int().nonnegative() }),
  idempotencyKey: 'optional',
}).stateStored(async () => []);

/** Client-side optimistic concurrency: a stale `expectedVersion` can only end in a conflict. */
export const Withdraw = defineCommand({
  type: 'Withdraw',
  schema: z.strictObject({
    accountId: z.string().min(1),
    amount: z.number().int().positive(),
    expectedVersion: z.number().int().nonnegative(),
  }),
}).eventSourcedMany(async ({ data }, streams) => {
  const streamId = `account-${data.accountId}`;
  const state = await streams.load(streamId, account);
  if (state.balance < data.amount) reject('Insufficient funds', { balance: state.balance });
  const withdrawn: AccountEvent = { type: 'MoneyWithdrawn', data: { amount: data.amount } };
  return [{ streamId, expectedVersion: data.expectedVersion, events: [withdrawn] }];
});

/** Stands in for a bug or an outage the pipeline did not foresee. */
export const Reconcile = defineCommand({
  type: 'Reconcile',
  schema: z.strictObject({}),
}).eventSourcedMany(async () => {
  throw new Error('connect ECONNREFUSED postgres://ledger:hunter2@10.0.0.7/ledger');
});

export const secret = 'test-secret-test-secret-test-secret';

/** A fresh app, server and tokens per test. */
export async function testServer(
  options: Pick<
    HttpServerOptions,
    'bodyLimit' | 'logger' | 'rateLimit' | 'operations' | 'requestLogging'
  > = {},
) {
  const store = new MemoryStore();
  const tandem: Tandem = await createTandem({
    store,
    commands: [OpenAccount, Deposit, Withdraw, FreezeAll, Reconcile, SetLimit],
    // Keeps the conflict test fast: a stale expected version fails every retry anyway.
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  });
  const app = await createHttpServer({ tandem, auth: { secret }, ...options });
  return {
    app,
    tandem,
    store,
    customer: await signToken({ sub: 'alice', role: 'customer' }, secret),
    admin: await signToken({ sub: 'root', role: 'admin' }, secret),
  };
}
