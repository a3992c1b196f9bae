import type { Tandem } from '@tandem/core';
import type { CommandTotals } from './command-counts.js';
import { liveProcesses, type LiveProcess } from './live-processes.js';
import { projectionRows } from './projection-rows.js';
import type { Readiness, ReadinessCause } from './readiness.js';

/** A projection in a {@link LiveSample}. */
export interface LiveProjection {
  /** The projection's name. */
  readonly name: string;
  /** Its namespace: a rebuild under way shows the live one and the one being built. */
  readonly namespace: string;
  /** Its state (`running`, `catching-up`, `paused`, `stopped-on-error`...). */
  readonly state: string;
  /** Its checkpoint: the last position applied. */
  readonly position: number;
  /** Events between the checkpoint and the head. */
  readonly lagEvents: number;
  /** Age of the oldest unapplied event, in seconds. */
  readonly lagSeconds: number;
  /** Events parked by its failure policy. */
  readonly parked: number;
  /** The process holding its lease, or null. */
  readonly owner: string | null;
  /** Whether an operator paused it. */
  readonly paused: boolean;
}

/** One look at the server, as `GET /admin/live` sends it (see docs/operations.md). */
export interface LiveSample {
  /** ISO-8601 time the look began. */
  readonly at: string;
  /** The log's head; the last one seen while the store cannot be read (0 before any). */
  readonly head: number;
  /** Commands settled in this process, cumulative (the console turns two samples into a rate). */
  readonly commands: CommandTotals;
  /** Every projection; empty while the store cannot be read. */
  readonly projections: readonly LiveProjection[];
  /** Whether `/health/ready` would answer 200. */
  readonly ready: boolean;
  /** Why not, when not. */
  readonly causes: readonly ReadinessCause[];
  /** Faults that leave the process serving (a relay, a failing job, overdue timers). */
  readonly degraded: readonly ReadinessCause[];
  /** The processes holding live leases; empty while the store cannot be read. */
  readonly processes: readonly LiveProcess[];
}

/** A sample, and the error that made it a failed one (for the sampler's log). */
export interface SampleTaken {
  readonly sample: LiveSample;
  /** Why the store could not be read, when it could not. */
  readonly failure?: string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Takes one sample: readiness (the head, causes and degraded faults, from the server's own
 * {@link Readiness}, so the lag grace it judges is the one `/health/ready` answers from), the
 * projections as `GET /admin/projections` lists them, and the live leases as processes. Never
 * throws: a store that cannot be read makes a sample with `ready: false` and a `store-unreachable`
 * cause, and the failure is returned beside it.
 */
export async function takeSample(
  tandem: Tandem,
  readiness: Readiness,
  commands: CommandTotals,
  lastHead: number,
): Promise<SampleTaken> {
  const at = new Date().toISOString();
  const daemon = tandem.projections;
  try {
    const report = await readiness.check();
    const unreachable = report.causes.find((cause) => cause.kind === 'store-unreachable');
    if (unreachable !== undefined)
      return {
        sample: { ...emptySample(at, lastHead, commands), causes: report.causes, degraded: report.degraded },
        failure: unreachable.message,
      };
    const leases = daemon?.leases() ?? Promise.resolve([]);
    const [rows, held] = await Promise.all([
      daemon === undefined ? [] : projectionRows(daemon, leases),
      leases,
    ]);
    return {
      sample: {
        at,
        head: report.head ?? lastHead,
        commands,
        projections: rows.map((row) => ({
          name: row.name,
          namespace: row.namespace,
          state: row.state,
          position: row.position,
          lagEvents: row.lagEvents,
          lagSeconds: row.lagSeconds,
          parked: row.parked,
          owner: row.owner,
          paused: row.paused,
        })),
        ready: report.ready,
        causes: report.causes,
        degraded: report.degraded,
        processes: liveProcesses(held, tandem.jobs(), daemon?.localStatus() ?? []),
      },
    };
  } catch (error) {
    const message = `the store cannot be read: ${errorText(error)}`;
    return {
      sample: {
        ...emptySample(at, lastHead, commands),
        causes: [{ kind: 'store-unreachable', message }],
      },
      failure: message,
    };
  }
}

/** A sample with nothing read from the store: not ready. */
function emptySample(at: string, head: number, commands: CommandTotals): LiveSample {
  return { at, head, commands, projections: [], ready: false, causes: [], degraded: [], processes: [] };
}
