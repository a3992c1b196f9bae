import {
  createTandem,
  defineCommand,
  reject,
  requireRole,
  type Decider,
  type Principal,
  type Store,
  type TandemOptions,
} from '@tandem/core';
import { int, objectSchema, optional, str } from './test-schema.js';

export type CounterEvent =
  | { type: 'CounterOpened'; data: { counterId: string; owner: string } }
  | { type: 'CounterIncremented'; data: { by: number } };

interface CounterState {
  readonly opened: boolean;
  readonly value: number;
}

type CounterCommand =
  { type: 'Open'; counterId: string; owner: string } | { type: 'Increment'; by: number; limit: number };

export const counterDecider: Decider<CounterCommand, CounterState, CounterEvent> = {
  initialState: () => ({ opened: false, value: 0 }),
  evolve(state, event) {
    switch (event.type) {
      case 'CounterOpened':
        return { ...state, opened: true };
      case 'CounterIncremented':
        return { ...state, value: state.value + event.data.by };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'Open':
        if (state.opened) reject('Counter already open');
        return [{ type: 'CounterOpened', data: { counterId: command.counterId, owner: command.owner } }];
      case 'Increment':
        if (!state.opened) reject('Counter is not open');
        if (state.value + command.by > command.limit) reject('Limit reached', { value: state.value });
        return [{ type: 'CounterIncremented', data: { by: command.by } }];
    }
  },
};

export const OpenCounter = defineCommand({
  type: 'OpenCounter',
  schema: objectSchema<{ counterId: string }>({ counterId: str }),
  generatedIds: ['counterId'],
}).eventSourced({
  stream: ({ data }) => `counter-${data.counterId}`,
  decider: counterDecider,
  command: ({ data, user }) => ({ type: 'Open', counterId: data.counterId, owner: user.id }),
});

export const Increment = defineCommand({
  type: 'Increment',
  schema: objectSchema<{ counterId: string; by: number; limit?: number }>({
    counterId: str,
    by: int,
    limit: optional(int),
  }),
}).eventSourced({
  stream: ({ data }) => `counter-${data.counterId}`,
  decider: counterDecider,
  command: ({ data }) => ({ type: 'Increment', by: data.by, limit: data.limit ?? Number.MAX_SAFE_INTEGER }),
});

/** Moves amount from one counter to another in one atomic two-stream append. */
export const Transfer = defineCommand({
  type: 'Transfer',
  schema: objectSchema<{ from: string; to: string; by: number }>({ from: str, to: str, by: int }),
}).eventSourcedMany(async ({ data }, streams) => {
  const from = await streams.load(`counter-${data.from}`, counterDecider);
  const to = await streams.load(`counter-${data.to}`, counterDecider);
  if (!from.opened || !to.opened) reject('Both counters must be open');
  if (from.value < data.by) reject('Not enough to transfer');
  return [
    { streamId: `counter-${data.from}`, events: [{ type: 'CounterIncremented', data: { by: -data.by } }] },
    { streamId: `counter-${data.to}`, events: [{ type: 'CounterIncremented', data: { by: data.by } }] },
  ];
});

export const ResetAll = defineCommand({
  type: 'ResetAll',
  schema: objectSchema<{ reason: string }>({ reason: str }),
  authorize: requireRole('admin'),
}).stateStored(async () => []);

export const admin: Principal = { id: 'admin-1', roles: ['admin'] };
export const alice: Principal = { id: 'alice', roles: ['customer'] };

export function counterApp(store: Store, options: Partial<TandemOptions> = {}) {
  return createTandem({ store, commands: [OpenCounter, Increment, Transfer, ResetAll], ...options });
}
