import type { MaintenanceAction, MaintenanceRequestOptions } from '../read-store/maintenance-requests.js';
import { checkedText } from '../messages/storable-text.js';
import { TandemError } from '../errors/tandem-error.js';

/**
 * The events a skip drops. A skip names them, never "all": dropping every parked event unread is
 * not a decision an operator makes about events, and a rebuild is the way to start over.
 */
export function skipIds(options: MaintenanceRequestOptions): readonly string[] {
  if (options.eventIds === undefined || options.eventIds.length === 0)
    throw new TandemError('validation', 'A skip names the parked events to drop (eventIds)', {
      details: { issues: [{ path: 'eventIds', message: 'at least one event id' }] },
    });
  return options.eventIds;
}

/**
 * Checks what a request will store before any store sees it: a skip names its events, and each id
 * is text every store holds unchanged (`validation` otherwise; a read store's JSON column would
 * refuse U+0000 as a driver error, or keep a lone surrogate changed).
 */
export function checkedRequestOptions(
  action: MaintenanceAction,
  options: MaintenanceRequestOptions,
): MaintenanceRequestOptions {
  if (action === 'skip') skipIds(options);
  options.eventIds?.forEach((id, i) => checkedText(id, `eventIds.${i}`));
  return options;
}
