import type { EventStore, RecordedEvent } from '@tandem/core';

/** Every event of the log, in position order, read a page at a time: what a delivery is checked against. */
export async function readWholeLog(events: Pick<EventStore, 'readAll'>): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await events.readAll({ after: all.at(-1)?.position ?? 0, limit: 1_000 });
    all.push(...page);
    if (page.length < 1_000) return all;
  }
}
