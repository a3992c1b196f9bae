import type { EventStore, RecordedEvent } from '@tandem/core';

/** Every event after `after`, in position order, read in pages through the public log API. */
export async function readAllEvents(events: EventStore, after = 0): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let position = after;
  for (;;) {
    const page = await events.readAll({ after: position, limit: 5_000 });
    if (page.length === 0) return all;
    all.push(...page);
    position = page.at(-1)?.position ?? position;
  }
}
