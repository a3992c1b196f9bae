import type { RecordedEvent } from '../messages/event.js';
import { ApplyFailed } from '../read-store/apply-failed.js';
import type { ProjectionBatch } from '../read-store/projection-batch.js';
import type { AnyProjection } from './projection-definition.js';

/**
 * The read hint of a batch of `events`: their stream ids (`reads`, for collections that declare
 * nothing: most read models keep a document per stream), and for each collection the projection
 * declared `reads` for, the ids it names (`readsByCollection`, by collection name). A declaration
 * that throws is the projection's own failure (`ApplyFailed`, under its failure policy), as if
 * `apply` had thrown; ids that are not strings are left out (a hint never changes results).
 */
export function declaredReads(
  projection: AnyProjection,
  events: readonly RecordedEvent[],
): Pick<ProjectionBatch, 'reads' | 'readsByCollection'> {
  const reads = [...new Set(events.map((e) => e.streamId))];
  const declared = Object.entries(projection.reads ?? {});
  if (declared.length === 0) return { reads };
  const readsByCollection = new Map<string, readonly string[]>();
  for (const [key, idsOf] of declared) {
    const collection = projection.collections[key];
    if (idsOf === undefined || collection === undefined) continue;
    const ids = new Set<string>();
    for (const event of events) {
      let named: unknown;
      try {
        named = idsOf(event);
      } catch (error) {
        throw new ApplyFailed(error);
      }
      for (const id of Array.isArray(named) ? (named as unknown[]) : [named])
        if (typeof id === 'string') ids.add(id);
    }
    readsByCollection.set(collection.name, [...ids]);
  }
  return { reads, readsByCollection };
}
