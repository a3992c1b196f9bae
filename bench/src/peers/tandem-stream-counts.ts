import { defineCollection, defineProjection, eachEvent, type DomainEvent } from '@tandem/core';
import type { DeliveryCount } from './delivery-count.js';

export interface StreamCount {
  readonly streamId: string;
  readonly count: number;
}

export const streamCounts = defineCollection<StreamCount>({ name: 'counts' });

/**
 * Counts events per stream into one document each (read, add one, upsert), and tells `deliveries`
 * about every event it is given.
 */
export function tandemStreamCounts(name: string, deliveries: DeliveryCount) {
  return defineProjection({
    name,
    version: 1,
    events: ['ItemRecorded'],
    collections: { counts: streamCounts },
    apply: eachEvent<{ counts: typeof streamCounts }, DomainEvent<'ItemRecorded'>>(
      async (event, { collections: { counts } }) => {
        deliveries.record(event.eventId);
        const doc = await counts.get(event.streamId);
        await counts.upsert(event.streamId, { streamId: event.streamId, count: (doc?.count ?? 0) + 1 });
      },
    ),
  });
}
