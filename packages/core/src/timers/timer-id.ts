import { TandemError } from '../errors/tandem-error.js';
import { identifierIssue } from '../messages/storable-text.js';

/** The longest `timerId` a store accepts, in UTF-16 code units. */
export const timerIdLimit = 256;

/**
 * `value` when it can name a timer: 1 to {@link timerIdLimit} characters of printable text every
 * store holds unchanged (no U+0000, no lone surrogate, no control or invisible characters: the
 * names show in status and logs). Otherwise a `validation` error. Every store checks with this
 * before it writes or looks a name up, so a hostile name is refused the same way everywhere instead
 * of failing a database statement.
 */
export function checkedTimerId(value: string): string {
  const issue = typeof value === 'string' ? identifierIssue(value, timerIdLimit) : 'must be a string';
  if (issue === undefined) return value;
  throw new TandemError('validation', `Timer id ${issue}`, {
    details: { issues: [{ path: 'timerId', message: issue }] },
  });
}
