import type { MaintenanceRequestOptions } from '../read-store/maintenance-requests.js';

/**
 * The events a skip drops. A skip names them, never "all": dropping every parked event unread is
 * not a decision an operator makes about events, and a rebuild is the way to start over.
 */
export function skipIds(options: MaintenanceRequestOptions): readonly string[] {
  if (options.eventIds === undefined || options.eventIds.length === 0)
    throw new Error('A skip names the parked events to drop (eventIds)');
  return options.eventIds;
}
