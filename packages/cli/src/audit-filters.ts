import { InvalidArgumentError } from 'commander';
import { auditOutcomes as outcomes, type AuditOutcome } from '@tandem/core';
import { unstorableReason } from '@tandem/core/adapter';

/**
 * `tandem audit --outcome`'s value: one outcome or a comma-separated list.
 *
 * @throws InvalidArgumentError naming the outcomes there are (Commander prints it as a usage error).
 */
export function auditOutcomeList(value: string): AuditOutcome[] {
  const listed = value.split(',').map((o) => o.trim());
  if (listed.some((o) => !(outcomes as readonly string[]).includes(o)))
    throw new InvalidArgumentError(`Expected one or more of ${outcomes.join(', ')}, comma-separated.`);
  return [...new Set(listed as AuditOutcome[])];
}

/**
 * `tandem audit --user` and `--command-type`: text a store can hold, 1 to 256 characters (refused
 * here, not as a database error).
 *
 * @throws InvalidArgumentError with the reason.
 */
export function auditFilterText(value: string): string {
  const reason = unstorableReason(value);
  if (reason !== undefined) throw new InvalidArgumentError(`The value ${reason}.`);
  if (value.length < 1 || value.length > 256) throw new InvalidArgumentError('Expected 1 to 256 characters.');
  return value;
}
