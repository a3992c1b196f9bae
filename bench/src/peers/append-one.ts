import { benchEvent } from '../micro/append-command.js';
import { slotStream, type WriterSlot } from './run-writers.js';

/**
 * The part of an Emmett event store {@link appendOne} uses. Structural on purpose: the PostgreSQL
 * side runs Emmett 0.42 and the SQLite side the 0.38.5 build in @tandem/bench-emmett-sqlite, whose
 * store types are distinct but append the same way.
 */
export interface EmmettAppender {
  appendToStream(
    streamName: string,
    events: ReturnType<typeof benchEvent>[],
    options: { expectedStreamVersion: bigint },
  ): Promise<unknown>;
}

/**
 * One bench event appended to the slot's stream under `label` with Emmett's `appendToStream`,
 * at the version the slot expects: what both Emmett sides time for appends and fill.
 */
export function appendOne(store: EmmettAppender, label: string, slot: WriterSlot): Promise<void> {
  return store
    .appendToStream(slotStream(`item-${label}`, slot), [benchEvent(slot.index, slot.version)], {
      expectedStreamVersion: BigInt(slot.version),
    })
    .then(() => undefined);
}
