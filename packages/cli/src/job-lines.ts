import type { JobStatus, LeaseInfo } from '@tandem/core';
import { terminalText } from './terminal-text.js';

/**
 * `tandem projections status`'s lines for the application's background jobs (retention), after a
 * blank line: which process holds each job's lease (its owner id and epoch, and when the lease
 * lapses unless renewed), or `-` when none does (no process runs the application). Empty when the
 * application declares no jobs. Owner ids come from the database: made safe for a terminal.
 */
export function jobLines(jobs: readonly JobStatus[], leases: readonly LeaseInfo[]): string[] {
  if (jobs.length === 0) return [];
  const held = new Map(leases.filter((lease) => lease.live).map((lease) => [lease.name, lease]));
  return [
    '',
    ['job', 'holder', 'epoch', 'lease_expires'].join('\t'),
    ...jobs.map((job) => {
      const lease = held.get(job.name);
      return [
        terminalText(job.name),
        lease === undefined ? '-' : terminalText(lease.owner),
        lease === undefined ? '-' : String(lease.epoch),
        lease === undefined ? '-' : terminalText(lease.expiresAt),
      ].join('\t');
    }),
  ];
}
