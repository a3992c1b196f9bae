import { TandemError } from '../errors/tandem-error.js';
import { checkedJson, checkedText, identifierIssue } from '../messages/storable-text.js';
import { checkedTimerId } from './timer-id.js';
import type { NewTimer } from './timer-request.js';

/**
 * The longest delay a timer accepts: about 100 years. Longer ones would overflow some databases'
 * time types, and no business deadline is that far away.
 */
export const maxTimerDelayMs = 100 * 365 * 24 * 60 * 60 * 1000;

/** An ISO-8601 date, or date and time with a zone: what `at` accepts as text (no local times). */
const isoTime =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2})))?$/;

/**
 * Whether the fields of an `isoTime` match exist on the calendar and the clock: JavaScript's parser
 * rolls `2026-02-30` over into March instead of refusing it.
 */
function existingTime(match: RegExpExecArray): boolean {
  const [, year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match.map(Number);
  const monthDays = new Date(Date.UTC(year as number, month as number, 0)).getUTCDate();
  const within = (value: number | undefined, max: number) =>
    value === undefined || Number.isNaN(value) || value <= max;
  return (
    (month as number) >= 1 &&
    (month as number) <= 12 &&
    (day as number) >= 1 &&
    (day as number) <= monthDays &&
    within(hour, 23) &&
    within(minute, 59) &&
    within(second, 59) &&
    within(offsetHours, 23) &&
    within(offsetMinutes, 59)
  );
}

function refused(path: string, message: string): TandemError {
  return new TandemError('validation', `Timer ${path} ${message}`, {
    details: { issues: [{ path, message }] },
  });
}

/**
 * The due time of `at` as ISO-8601 in UTC (`2026-12-07T14:00:00.000Z`), or a `validation` error for
 * an invalid Date, text that is not an ISO-8601 time with a zone, or a year outside 0000–9999.
 */
export function timerDueTime(at: Date | string): string {
  let time: number;
  if (at instanceof Date) time = at.getTime();
  else {
    const match = typeof at === 'string' ? isoTime.exec(at) : null;
    if (match === null) throw refused('at', 'must be a Date or an ISO-8601 time with a zone');
    if (!existingTime(match)) throw refused('at', 'is not a valid time');
    time = Date.parse(at);
  }
  if (!Number.isFinite(time)) throw refused('at', 'is not a valid time');
  const iso = new Date(time).toISOString();
  // Years past 9999 print as `+010000-...`, which databases do not all parse.
  if (!/^\d{4}-/.test(iso)) throw refused('at', 'must be between the years 0000 and 9999');
  return iso;
}

/**
 * `timer` checked and normalized as every store stages it: a printable `timerId` (see
 * `checkedTimerId`), exactly one of `at` (made ISO-8601 UTC) or `afterMs` (finite, 0 to
 * `maxTimerDelayMs`), a command type that is a printable identifier, command data that has a
 * JSON form, and storable caller and correlation text. Anything else is a `validation` error,
 * thrown before a store writes anything. Stores with stricter text (PostgreSQL's jsonb) add their
 * own checks on top.
 */
export function normalizedTimer(
  timer: Omit<NewTimer, 'at'> & { readonly at?: Date | string | undefined },
): NewTimer {
  const timerId = checkedTimerId(timer.timerId);
  const hasAt = timer.at !== undefined;
  const hasDelay = timer.afterMs !== undefined;
  if (hasAt === hasDelay) throw refused('at', 'or afterMs must be given, not both nor neither');
  let at: string | undefined;
  let afterMs: number | undefined;
  if (timer.at !== undefined) at = timerDueTime(timer.at);
  else {
    afterMs = timer.afterMs;
    if (typeof afterMs !== 'number' || !Number.isFinite(afterMs) || afterMs < 0 || afterMs > maxTimerDelayMs)
      throw refused('afterMs', `must be a number of milliseconds from 0 to ${maxTimerDelayMs}`);
  }
  const command = timer.command as NewTimer['command'] | undefined;
  if (command === null || typeof command !== 'object') throw refused('command', 'must be an object');
  const typeIssue = typeof command.type === 'string' ? identifierIssue(command.type) : 'must be a string';
  if (typeIssue !== undefined) throw refused('command.type', typeIssue);
  if (checkedJson(command.data, 'command.data') === undefined)
    throw refused('command.data', 'must have a JSON form');
  const user = timer.user as NewTimer['user'] | undefined;
  if (user === null || typeof user !== 'object' || !Array.isArray(user.roles))
    throw refused('user', 'must be a principal');
  checkedText(user.id, 'user.id');
  for (const role of user.roles) checkedText(role, 'user.roles');
  if (timer.correlationId !== undefined) checkedText(timer.correlationId, 'correlationId');
  if (timer.causationId !== undefined) checkedText(timer.causationId, 'causationId');
  return {
    timerId,
    command: { type: command.type, data: command.data },
    ...(at === undefined ? { afterMs } : { at }),
    user: { id: user.id, roles: [...user.roles] },
    correlationId: timer.correlationId,
    causationId: timer.causationId,
  };
}
