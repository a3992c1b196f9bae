import {
  createTandem,
  type AuditEntry,
  type IdempotencyRecord,
  type RecordedEvent,
  type Store,
} from '@tandem/core';
import { scopedIdempotencyKey } from '@tandem/core/adapter';
import type { BenchOutput, Metric, Ratio } from '../bench-result.js';
import type { BenchContext } from '../benchmark.js';
import { metric, ratio } from '../metrics.js';
import { readAllEvents } from '../read-all-events.js';
import { runConcurrently } from '../run-concurrently.js';
import { benchEvent, RecordItems, recordItemsRequest, writer } from './append-command.js';

/**
 * The rows one Tandem command left in the database: its events and, through the command
 * pipeline, its idempotency record and its audit row (absent for `store.events.append`).
 */
export interface CommandRows {
  readonly events: readonly RecordedEvent[];
  readonly idempotency?: IdempotencyRecord;
  readonly audit?: AuditEntry;
}

/**
 * A command's idempotency record and audit row as column values, in the column order of Tandem's
 * tandem_idempotency and tandem_audit tables (JSON columns as text): both raw ceilings insert
 * exactly these, so they write what Tandem wrote. Throws if the command has no such rows
 * (`store.events.append` leaves none; only the all-rows shape asks for them).
 */
export function claimAndAuditValues(command: CommandRows): [claim: unknown[], audit: unknown[]] {
  const { idempotency: i, audit: a } = command;
  if (i === undefined || a === undefined) throw new Error('all-rows needs idempotency and audit rows');
  return [
    [i.commandId, i.commandType, i.payloadHash, JSON.stringify(i.result), i.recordedAt],
    [
      a.commandId,
      a.commandType,
      a.userId ?? null,
      JSON.stringify(a.streamIds),
      a.payloadHash,
      a.outcome,
      a.errorCode ?? null,
      a.position ?? null,
      a.at,
    ],
  ];
}

/** Which of a command's rows a raw ceiling writes. */
export type RawShape = 'events-only' | 'all-rows';

/** The plain driver's side, open on a fresh database (or schema) with Tandem's table shapes. */
export interface RawSink {
  /** Writes these commands' rows (as `shape` says) in one transaction. */
  write(commands: readonly CommandRows[], shape: RawShape): Promise<void>;
  close(): Promise<void>;
}

/** One database for the append benchmark: how to open Tandem on it and how to write raw. */
export interface AppendTarget {
  /** `sqlite` or `pg`, for labels. */
  readonly label: string;
  /** A Tandem store on a fresh database (or schema); `dispose` closes nothing else. */
  openStore(): Promise<{ readonly store: Store; dispose(): Promise<void> }>;
  /** A plain-driver sink on a fresh database (or schema), connections opened before it resolves. */
  openRaw(): Promise<RawSink>;
  /** How many raw transactions run at once. */
  readonly rawConcurrency: number;
  /**
   * Commands per raw transaction. `events-only` keeps the original ceiling's unit (SQLite:
   * 1,000 event rows per transaction whatever the events per command).
   */
  commandsPerTransaction(eventsPerCommand: number, shape: RawShape): number;
  /** What the raw side does, for the report. */
  readonly rawDescription: string;
  /**
   * Tandem groups concurrent commands into one commit (SQLite): the pipeline's rows are then also
   * written raw at `concurrency` commands per transaction, the most one commit can hold with that
   * many callers. Shown for explanation; the target stays on the ceiling.
   */
  readonly groupCommit?: boolean;
  /** Extra lines about a finished Tandem run (group commit batching...). */
  describeStore?(store: Store): string | undefined;
}

/** Sizes and concurrency for one database. */
export interface AppendPlan {
  readonly concurrency: number;
  /** Commands per measured run, by events per command. */
  readonly commands: Readonly<Record<1 | 10, number>>;
  readonly warmup: number;
  readonly targetRatio?: number;
}

type Path = 'pipeline' | 'store';

interface Measured {
  readonly eventsPerSecond: number;
  readonly commandsPerSecond: number;
  readonly commands: readonly CommandRows[];
  readonly note: string | undefined;
}

/**
 * Reads back what a run wrote, command by command: the events of its stream, and for the pipeline
 * its idempotency record and its one audit row (all through the store's public read API).
 */
async function rowsWritten(
  store: Store,
  path: Path,
  run: string,
  commands: number,
  eventsPerCommand: number,
  warmup: number,
): Promise<CommandRows[]> {
  const prefix = `item-${run}-`;
  const byStream = new Map<string, RecordedEvent[]>();
  // A gap-safe reader (PostgreSQL) may hold back events for a moment after their commit, until it
  // knows no earlier position can still commit: read again until every event is there.
  for (let attempt = 0, read = 0; read < commands * eventsPerCommand && attempt < 50; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    byStream.clear();
    read = 0;
    for (const e of await readAllEvents(store.events)) {
      if (!e.streamId.startsWith(prefix)) continue;
      read += 1;
      const list = byStream.get(e.streamId);
      if (list === undefined) byStream.set(e.streamId, [e]);
      else list.push(e);
    }
  }
  const audits = new Map<string, AuditEntry>();
  if (path === 'pipeline') {
    // Newest first; the run's rows are among the last warm-up + commands written.
    for (const entry of await store.audit.list({ limit: (commands + warmup) * 2 })) {
      if (!entry.commandId.startsWith(`${run}-`)) continue;
      if (audits.has(entry.commandId)) throw new Error(`Two audit rows for ${entry.commandId}`);
      audits.set(entry.commandId, entry);
    }
  }
  const rows: CommandRows[] = [];
  for (let i = 0; i < commands; i++) {
    const events = byStream.get(`${prefix}${i}`) ?? [];
    if (events.length !== eventsPerCommand)
      throw new Error(`${path} command ${i}: expected ${eventsPerCommand} events, read ${events.length}`);
    if (path === 'store') {
      rows.push({ events });
      continue;
    }
    const commandId = `${run}-${i}`;
    // Idempotency records are keyed by caller and key (issue 11), not by the key alone.
    const idempotency = await store.idempotency.find(scopedIdempotencyKey(writer.id, commandId));
    const audit = audits.get(commandId);
    if (idempotency === undefined || audit?.outcome !== 'accepted')
      throw new Error(`Command ${commandId}: its idempotency record or accepted audit row is missing`);
    rows.push({ events, idempotency, audit });
  }
  return rows;
}

/**
 * Tandem's appends, through the full command pipeline (`createTandem` + `execute`) or straight
 * through `store.events.append`, each command opening one new stream with 1 or 10 events.
 */
async function measureTandem(
  target: AppendTarget,
  path: Path,
  eventsPerCommand: number,
  commands: number,
  plan: AppendPlan,
): Promise<Measured> {
  const { store, dispose } = await target.openStore();
  const app = await createTandem({ store, commands: [RecordItems] });
  const run = `${path}${eventsPerCommand}-${Date.now().toString(36)}`;
  const once =
    path === 'pipeline'
      ? async (label: string, index: number) => {
          const outcome = await app.commands.execute(recordItemsRequest(label, index, eventsPerCommand));
          if (!outcome.ok) throw outcome.error;
        }
      : async (label: string, index: number) => {
          await store.events.append([
            {
              streamId: `item-${label}-${index}`,
              expectedVersion: 'no-stream',
              events: Array.from({ length: eventsPerCommand }, (_, seq) => benchEvent(index, seq)),
            },
          ]);
        };
  try {
    await runConcurrently(plan.warmup, plan.concurrency, (i) => once(`warm-${run}`, i));
    const seconds = await runConcurrently(commands, plan.concurrency, (i) => once(run, i));
    return {
      eventsPerSecond: (commands * eventsPerCommand) / seconds,
      commandsPerSecond: commands / seconds,
      commands: await rowsWritten(store, path, run, commands, eventsPerCommand, plan.warmup),
      note: target.describeStore?.(store),
    };
  } finally {
    await app.close();
    await dispose();
  }
}

/**
 * The raw ceiling: the plain driver writes `commands`' rows (as `shape` says) on a fresh database,
 * `commandsPerTransaction` commands per transaction, `rawConcurrency` transactions at a time.
 * Resolves with the events written per second.
 */
async function measureRaw(
  target: AppendTarget,
  commands: readonly CommandRows[],
  eventsPerCommand: number,
  shape: RawShape,
  perTransaction = target.commandsPerTransaction(eventsPerCommand, shape),
): Promise<number> {
  const units: (readonly CommandRows[])[] = [];
  for (let i = 0; i < commands.length; i += perTransaction) units.push(commands.slice(i, i + perTransaction));
  const sink = await target.openRaw();
  try {
    const seconds = await runConcurrently(units.length, target.rawConcurrency, async (u) =>
      sink.write(units[u] ?? [], shape),
    );
    return (commands.length * eventsPerCommand) / seconds;
  } finally {
    await sink.close();
  }
}

/** Appends `value` to the runs kept under `key`. */
function push(runs: Map<string, number[]>, key: string, value: number): void {
  const list = runs.get(key);
  if (list === undefined) runs.set(key, [value]);
  else list.push(value);
}

/**
 * Runs every variant `context.runs` times; in each run a Tandem measurement is followed at once
 * by the raw driver writing the very rows Tandem wrote, so each ratio pairs back-to-back runs.
 * The command pipeline gets two ceilings: all its rows (events, idempotency record and audit row,
 * the "same rows"; the target applies here) and, for comparison with earlier results,
 * its event rows only (the original definition).
 */
export async function runAppendBenchmark(
  context: BenchContext,
  target: AppendTarget,
  plan: AppendPlan,
): Promise<Pick<BenchOutput, 'metrics' | 'ratios' | 'notes' | 'parameters'>> {
  const variants = [
    { path: 'pipeline', n: 1 },
    { path: 'pipeline', n: 10 },
    { path: 'store', n: 1 },
    { path: 'store', n: 10 },
  ] as const;
  const tandemRuns = new Map<string, number[]>();
  const commandRuns = new Map<string, number[]>();
  const rawRuns = new Map<string, number[]>();
  const notes = new Map<string, string>();
  for (let r = 0; r < context.runs; r++) {
    for (const { path, n } of variants) {
      const key = `${path}-${n}`;
      const tandem = await measureTandem(target, path, n, plan.commands[n], plan);
      push(tandemRuns, key, tandem.eventsPerSecond);
      push(commandRuns, key, tandem.commandsPerSecond);
      const eventsOnly = await measureRaw(target, tandem.commands, n, 'events-only');
      push(rawRuns, `${key}-events-only`, eventsOnly);
      let line = `tandem ${Math.round(tandem.eventsPerSecond)} ev/s, raw events-only ${Math.round(eventsOnly)} ev/s`;
      if (path === 'pipeline') {
        const allRows = await measureRaw(target, tandem.commands, n, 'all-rows');
        push(rawRuns, `${key}-all-rows`, allRows);
        line += `, raw all rows ${Math.round(allRows)} ev/s`;
        if (target.groupCommit === true) {
          const grouped = await measureRaw(target, tandem.commands, n, 'all-rows', plan.concurrency);
          push(rawRuns, `${key}-grouped`, grouped);
          line += `, raw all rows ${plan.concurrency}/tx ${Math.round(grouped)} ev/s`;
        }
      }
      if (tandem.note !== undefined) notes.set(key, `${key} (last run): ${tandem.note}`);
      context.log(`  run ${r + 1} ${target.label} ${path} ${n}/cmd: ${line}`);
    }
  }
  const metrics: Metric[] = [];
  const ratios: Ratio[] = [];
  for (const { path, n } of variants) {
    const key = `${path}-${n}`;
    const via = path === 'pipeline' ? 'command pipeline' : 'store.events.append';
    const tandem = metric(`Tandem ${via}, ${n} event/cmd`, 'events/s', tandemRuns.get(key) ?? []);
    const perCommand = metric(
      `Tandem ${via}, ${n} event/cmd, commands`,
      'commands/s',
      commandRuns.get(key) ?? [],
    );
    metrics.push(tandem, perCommand);
    if (path === 'pipeline') {
      const raw = metric(
        `raw ${target.label}, same event + idempotency + audit rows as ${via} ${n}/cmd`,
        'events/s',
        rawRuns.get(`${key}-all-rows`) ?? [],
      );
      metrics.push(raw);
      ratios.push(
        ratio(
          `${via}, ${n} event/cmd (ceiling: same event, idempotency and audit rows)`,
          tandem,
          raw,
          n === 1 ? plan.targetRatio : undefined,
        ),
      );
      if (target.groupCommit === true) {
        const grouped = metric(
          `raw ${target.label}, same rows as ${via} ${n}/cmd, ${plan.concurrency} commands per transaction`,
          'events/s',
          rawRuns.get(`${key}-grouped`) ?? [],
        );
        metrics.push(grouped);
        ratios.push(
          ratio(
            `${via}, ${n} event/cmd (not the target: same rows raw at ${plan.concurrency} per transaction, one group's size)`,
            tandem,
            grouped,
          ),
        );
      }
    }
    const rawEvents = metric(
      `raw ${target.label}, same event rows as ${via} ${n}/cmd`,
      'events/s',
      rawRuns.get(`${key}-events-only`) ?? [],
    );
    metrics.push(rawEvents);
    ratios.push(
      ratio(
        path === 'pipeline'
          ? `${via}, ${n} event/cmd (old ceiling: event rows only)`
          : `${via}, ${n} event/cmd (ceiling: same event rows)`,
        tandem,
        rawEvents,
      ),
    );
  }
  return {
    metrics,
    ratios,
    notes: [
      'Two ceilings for the command pipeline: "same event, idempotency and audit rows" is the issue\'s ' +
        "definition (the raw driver writes every row a command wrote, copied from Tandem's tables; the target " +
        'applies to it); "old ceiling: event rows only" is the definition used before 2026-11-25, kept so ' +
        'results stay comparable. store.events.append writes event rows only, so its ceiling is those.' +
        (target.groupCommit === true
          ? ` With ${plan.concurrency} callers one commit holds at most ${plan.concurrency} commands; "same rows raw at ` +
            `${plan.concurrency} per transaction" writes the pipeline's rows raw at that group size, to separate ` +
            'what the commit size costs from what the pipeline costs.'
          : ''),
      ...notes.values(),
    ],
    parameters: {
      concurrency: plan.concurrency,
      commandsPerRun1: plan.commands[1],
      commandsPerRun10: plan.commands[10],
      warmupCommands: plan.warmup,
      raw: target.rawDescription,
    },
  };
}
