import type { DocumentWriter } from '../read-store/document-collection.js';

/** The field a position-guarded document carries: the position of the last event applied to it. */
export const appliedPositionField = '_position';

function appliedPosition(doc: object | undefined): number {
  const value = doc === undefined ? undefined : (doc as Record<string, unknown>)[appliedPositionField];
  return typeof value === 'number' ? value : 0;
}

/**
 * For read stores that cannot commit documents and the checkpoint together (`atomic: false`): a
 * writer that stamps each document with the position of the event being applied and ignores writes
 * from events it already reflects. Replaying events after a crash then changes nothing twice.
 * Deletes are applied as they come; replays run in log order, so a replayed delete lands last again.
 */
export function positionGuard<Doc extends object>(
  writer: DocumentWriter<Doc>,
  position: number,
): DocumentWriter<Doc> {
  return {
    get: (id) => writer.get(id),
    find: (query) => writer.find(query),
    search: (text, query) => writer.search(text, query),
    scan: (options) => writer.scan(options),
    async upsert(id, doc) {
      if (appliedPosition(await writer.get(id)) >= position) return;
      await writer.upsert(id, { ...doc, [appliedPositionField]: position });
    },
    async patch(id, patch) {
      const current = await writer.get(id);
      if (current === undefined) return undefined;
      if (appliedPosition(current) >= position) return current;
      return writer.patch(id, { ...patch, [appliedPositionField]: position });
    },
    delete: (id) => writer.delete(id),
  };
}
