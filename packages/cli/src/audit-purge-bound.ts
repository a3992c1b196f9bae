import { InvalidArgumentError } from 'commander';

const units: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `tandem audit purge --before`'s value as an ISO-8601 bound: a date (`2026-01-01`, or a full
 * ISO-8601 time), or an age such as `90d`, `12h`, `30m` or `45s` counted back from `now`.
 *
 * @throws InvalidArgumentError for anything else (Commander prints it as a usage error).
 */
export function auditPurgeBound(value: string, now: Date = new Date()): string {
  const age = /^(\d{1,9})([smhd])$/.exec(value.trim());
  if (age !== null)
    return new Date(now.getTime() - Number(age[1]) * (units[age[2] ?? 's'] ?? 1_000)).toISOString();
  // Only dates written as dates: Date.parse alone takes '1' or 'May 5' too.
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const at = Date.parse(value.trim());
    if (Number.isFinite(at)) return new Date(at).toISOString();
  }
  throw new InvalidArgumentError('Expected a date (2026-01-01, ISO-8601) or an age such as 90d, 12h, 30m.');
}
