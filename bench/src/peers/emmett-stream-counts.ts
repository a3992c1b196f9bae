import type { ReadEvent } from '@event-driven-io/emmett';
import {
  pongoSingleStreamProjection,
  type PostgresReadEventMetadata,
} from '@event-driven-io/emmett-postgresql';
import type { DeliveryCount } from './delivery-count.js';

type ItemRecorded = {
  readonly type: 'ItemRecorded';
  readonly data: {
    readonly sku: string;
    readonly seq: number;
    readonly quantity: number;
    readonly price: number;
    readonly note: string;
  };
};

/** The Pongo collection (a PostgreSQL table of that name) an Emmett projection named `name` writes. */
export function emmettCountsCollection(name: string): string {
  return name.replace(/-/g, '_');
}

/**
 * Emmett's own document projection: one Pongo document per stream (`pongoSingleStreamProjection`),
 * counting its events, telling `deliveries` about every event it is given.
 */
export function emmettStreamCounts(name: string, deliveries: DeliveryCount) {
  return pongoSingleStreamProjection<{ count: number }, ItemRecorded>({
    collectionName: emmettCountsCollection(name),
    canHandle: ['ItemRecorded'],
    initialState: () => ({ count: 0 }),
    evolve: (document: { count: number }, event: ReadEvent<ItemRecorded, PostgresReadEventMetadata>) => {
      deliveries.record(event.metadata.messageId);
      return { count: document.count + 1 };
    },
  });
}
