import { defineCollection, defineProjection, eachEvent, type DomainEvent } from '@tandem/core';

/** The document both sides of the rebuild benchmark write: the latest line of one stream. */
export interface ItemDoc {
  readonly streamId: string;
  readonly sku: string;
  readonly seq: number;
  readonly quantity: number;
  readonly price: number;
  readonly position: number;
}

export type ItemRecorded = DomainEvent<
  'ItemRecorded',
  { sku: string; seq: number; quantity: number; price: number; note: string }
>;

export const benchItems = defineCollection<ItemDoc>({ name: 'items' });

/** The document for one event, shared by the projection and the raw loop so both write the same. */
export function itemDoc(streamId: string, position: number, data: ItemRecorded['data']): ItemDoc {
  return { streamId, sku: data.sku, seq: data.seq, quantity: data.quantity, price: data.price, position };
}

/** One upsert per event, keyed by stream: the plainest read model there is. Named per run. */
export const benchItemsProjection = (name: string) =>
  defineProjection({
    name,
    version: 1,
    events: ['ItemRecorded'],
    collections: { items: benchItems },
    apply: eachEvent<{ items: typeof benchItems }, ItemRecorded>(
      async (event, { collections: { items } }) => {
        await items.upsert(event.streamId, itemDoc(event.streamId, event.position, event.data));
      },
    ),
  });
