import { defineCommand, type CommandRequest, type Principal } from '@tandem/core';
import { z } from 'zod';

/** The event every append benchmark writes: a small order-line-sized payload. */
export function benchEvent(index: number, seq: number) {
  return {
    type: 'ItemRecorded',
    data: { sku: `sku-${index % 997}`, seq, quantity: 1 + (index % 5), price: 1999, note: 'flash sale' },
  };
}

/**
 * A command that opens one new stream with `count` events: one transaction, no reads of the log
 * (`no-stream`), so the benchmark measures the write path rather than a decider.
 */
export const RecordItems = defineCommand({
  type: 'RecordItems',
  schema: z.strictObject({
    streamId: z.string().min(1).max(100),
    index: z.number().int().min(0),
    count: z.number().int().min(1).max(100),
  }),
  creates: true,
}).stateStored(async ({ data }) => [
  {
    streamId: data.streamId,
    expectedVersion: 'no-stream',
    events: Array.from({ length: data.count }, (_, seq) => benchEvent(data.index, seq)),
  },
]);

/** The caller of every bench command. */
export const writer: Principal = { id: 'bench-writer', roles: ['writer'] };

/** The request for command number `index` of a run labelled `run`. */
export function recordItemsRequest(run: string, index: number, count: number): CommandRequest {
  return {
    type: 'RecordItems',
    commandId: `${run}-${index}`,
    user: writer,
    data: { streamId: `item-${run}-${index}`, index, count },
  };
}
