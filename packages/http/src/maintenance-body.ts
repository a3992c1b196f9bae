import {
  TandemError,
  type FieldIssue,
  type MaintenanceAction,
  type MaintenanceRequestOptions,
} from '@tandem/core';
import { unstorableReason } from '@tandem/core/adapter';

/** The most event ids one replay or skip names. */
export const maxEventIds = 500;

function refuse(issues: FieldIssue[]): TandemError {
  return new TandemError('validation', 'The body is invalid', { details: { issues } });
}

/**
 * The options of `POST /admin/projections/{name}/{action}` from its JSON body, or the `validation`
 * error naming each bad field. Only `replay` (optional: all parked events without it) and `skip`
 * (required) take `{ "eventIds": [...] }`: 1 to 500 ids, each text a store can hold, 1 to 256
 * characters. The other actions take no body, or an empty object.
 */
export function maintenanceBody(
  action: MaintenanceAction,
  body: unknown,
): MaintenanceRequestOptions | TandemError {
  const takesIds = action === 'replay' || action === 'skip';
  if (body === undefined || body === null) {
    if (action === 'skip')
      return refuse([{ path: 'eventIds', message: 'Required: the parked events to skip' }]);
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body))
    return refuse([{ path: '', message: 'A JSON object, like { "eventIds": ["…"] }' }]);
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(body))
    if (key !== 'eventIds' || !takesIds)
      issues.push({
        path: key,
        message: takesIds ? 'Unknown field: use eventIds' : `The ${action} action takes no fields`,
      });
  const ids: unknown = (body as { eventIds?: unknown }).eventIds;
  if (!takesIds) return issues.length > 0 ? refuse(issues) : {};
  if (ids === undefined) {
    if (action === 'skip') issues.push({ path: 'eventIds', message: 'Required: the parked events to skip' });
    return issues.length > 0 ? refuse(issues) : {};
  }
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > maxEventIds) {
    issues.push({ path: 'eventIds', message: `An array of 1 to ${maxEventIds} event ids` });
    return refuse(issues);
  }
  ids.forEach((id: unknown, i) => {
    if (typeof id !== 'string') {
      issues.push({ path: `eventIds.${i}`, message: 'An event id (a string)' });
      return;
    }
    const reason = unstorableReason(id);
    if (reason !== undefined) issues.push({ path: `eventIds.${i}`, message: reason });
    else if (id.length < 1 || id.length > 256)
      issues.push({ path: `eventIds.${i}`, message: '1 to 256 characters' });
  });
  return issues.length > 0 ? refuse(issues) : { eventIds: [...new Set(ids as string[])] };
}
