import type { EventMetadata, Store } from '@tandem/core';

/** The stream a given event lands on when it names none. */
export const defaultSpecStream = 'spec-stream';

/**
 * An event a spec starts from, as plain data: no ids, positions or versions to invent. Events land
 * in the log in the order given, each on its `streamId` (default {@link defaultSpecStream}).
 */
export interface GivenEvent {
  /** The event type, as the projection or handler declares it (`OrderPlaced`). */
  readonly type: string;
  /** Its data, in the shape the upcasters (if any) read as stored. */
  readonly data: unknown;
  /** The stream it belongs to; matters to partitioned projections and to handlers that load streams. */
  readonly streamId?: string;
  /** Metadata as the pipeline would stamp it (`userId`, `commandId`...), for code that reads it. */
  readonly metadata?: EventMetadata;
}

/**
 * Appends `events` to `store`'s log one at a time, so their log order is exactly the order given
 * even across streams, and answers the head position after the last one.
 */
export async function appendGiven(store: Store, events: readonly GivenEvent[]): Promise<number> {
  for (const event of events) {
    await store.events.append([
      {
        streamId: event.streamId ?? defaultSpecStream,
        expectedVersion: 'any',
        events: [
          {
            type: event.type,
            data: event.data,
            ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
          },
        ],
      },
    ]);
  }
  return store.events.headPosition();
}
