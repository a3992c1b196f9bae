import type { RecordedEvent } from '../messages/event.js';
import type { EventStore } from './event-store.js';
import type { Upcasters } from './upcasters.js';

/**
 * Wraps an EventStore so every event read comes back in its newest shape. `browse` is the one
 * exception: it passes through unchanged, since it shows events as stored (a viewer that wants the
 * newest shape as well applies the upcasters itself and can show both).
 */
export function upcastingEventStore(inner: EventStore, upcasters: Upcasters): EventStore {
  const up = (events: readonly RecordedEvent[]) => events.map((e) => upcasters.apply(e));
  return {
    append: (appends) => inner.append(appends),
    async readStream(streamId, options) {
      const read = await inner.readStream(streamId, options);
      return { version: read.version, events: up(read.events) };
    },
    async readAll(options) {
      return up(await inner.readAll(options));
    },
    browse: (query) => inner.browse(query),
    headPosition: () => inner.headPosition(),
    countEvents: (after) => inner.countEvents(after),
    ...(inner.readBarrier === undefined ? {} : { readBarrier: inner.readBarrier.bind(inner) }),
    waitForEvents: (after, options) => inner.waitForEvents(after, options),
  };
}
