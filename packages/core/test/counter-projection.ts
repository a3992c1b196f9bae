import { defineCollection, defineProjection, eachEvent, type RecordedEvent } from '@tandem/core';
import type { CounterEvent } from './counter-app.js';

export interface CounterDoc {
  readonly counterId: string;
  readonly owner: string;
  readonly value: number;
  readonly increments: number;
}

export const counters = defineCollection<CounterDoc>({
  name: 'counters',
  indexes: [{ fields: ['owner', 'value'] }, { fields: ['value'] }],
  search: { fields: ['counterId', 'owner'] },
});

/** Test knobs: make `apply` fail on a given increment, the way a buggy projection would. */
export const faults = { poison: undefined as number | undefined };

/** A counter read model; `factor` changes between versions to show rebuilds. */
export function counterProjection(
  options: {
    name?: string;
    version?: number;
    factor?: number;
    onError?: 'stop' | 'skip';
    poisonable?: boolean;
  } = {},
) {
  const factor = options.factor ?? 1;
  const poisonable = options.poisonable ?? true;
  return defineProjection({
    name: options.name ?? 'counter-totals',
    version: options.version ?? 1,
    events: ['CounterOpened', 'CounterIncremented'],
    collections: { counters },
    onError: options.onError ?? 'stop',
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    apply: eachEvent<{ counters: typeof counters }, CounterEvent>(
      async (event: RecordedEvent<CounterEvent>, { collections }) => {
        const id = event.streamId.slice('counter-'.length);
        switch (event.type) {
          case 'CounterOpened':
            await collections.counters.upsert(id, {
              counterId: id,
              owner: event.data.owner,
              value: 0,
              increments: 0,
            });
            return;
          case 'CounterIncremented': {
            if (poisonable && faults.poison !== undefined && event.data.by === faults.poison)
              throw new Error(`poison ${event.data.by}`);
            const doc = await collections.counters.get(id);
            if (doc === undefined) throw new Error(`counter ${id} missing`);
            await collections.counters.upsert(id, {
              ...doc,
              value: doc.value + event.data.by * factor,
              increments: doc.increments + 1,
            });
            return;
          }
        }
      },
    ),
  });
}

/** The same read model as a pure fold, to compare against. */
export function foldCounters(events: readonly RecordedEvent[], factor = 1): Map<string, CounterDoc> {
  const docs = new Map<string, CounterDoc>();
  for (const event of events as readonly RecordedEvent<CounterEvent>[]) {
    const id = event.streamId.slice('counter-'.length);
    if (event.type === 'CounterOpened')
      docs.set(id, { counterId: id, owner: event.data.owner, value: 0, increments: 0 });
    else {
      const doc = docs.get(id);
      if (doc !== undefined)
        docs.set(id, { ...doc, value: doc.value + event.data.by * factor, increments: doc.increments + 1 });
    }
  }
  return docs;
}
