import { TandemError, type FieldIssue } from '../../errors/tandem-error.js';
import { inputIssues, type InputLimits } from '../../messages/input-limits.js';
import { identifierIssue, unstorableReason } from '../../messages/storable-text.js';
import type { CommandRequest } from '../command-request.js';

/** The longest command type, idempotency key or user id a request may carry. */
export const maxIdLength = 200;

function idIssue(field: string, value: string | undefined): FieldIssue | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return { path: field, message: 'Must be a string' };
  if (value.length === 0 || value.length > maxIdLength)
    return { path: field, message: `Must be 1 to ${maxIdLength} characters` };
  const reason = unstorableReason(value);
  return reason === undefined ? undefined : { path: field, message: `The text ${reason}` };
}

/**
 * What the boundary refuses before anything else looks at a command request: ids and text no store
 * can hold, correlation ids that could forge a log line, a caller id that cannot be stored, and data
 * nested too deep or too wide to hash and validate safely. The same on every store and transport,
 * so a request that one store would have choked on is refused, with its field named, everywhere.
 */
export function requestRefusal(request: CommandRequest, limits: InputLimits): TandemError | undefined {
  const user = request.user;
  if (user !== undefined && idIssue('user', user.id) !== undefined) {
    return new TandemError('unauthenticated', 'The credentials name a user id that cannot be used');
  }
  const issues: FieldIssue[] = [];
  for (const [field, value] of [
    ['type', request.type],
    ['commandId', request.commandId],
  ] as const) {
    const issue = idIssue(field, value);
    if (issue !== undefined) issues.push(issue);
  }
  for (const [field, value] of [
    ['correlationId', request.correlationId],
    ['causationId', request.causationId],
  ] as const) {
    const issue = value === undefined ? undefined : identifierIssue(value, maxIdLength);
    if (issue !== undefined) issues.push({ path: field, message: `The id ${issue}` });
  }
  issues.push(...inputIssues(request.data, limits));
  if (issues.length === 0) return undefined;
  return new TandemError('validation', 'The command request is invalid', { details: { issues } });
}
