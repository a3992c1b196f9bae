import type { AnyProjection } from './projection-definition.js';

/**
 * Whether `projection` handles an event type: one of its `events`, or every type when the list
 * holds `'*'` (relays publish every event, whatever types the application adds later).
 */
export function handledEvents(projection: Pick<AnyProjection, 'events'>): (type: string) => boolean {
  const types = new Set<string>(projection.events);
  if (types.has('*')) return () => true;
  return (type) => types.has(type);
}
