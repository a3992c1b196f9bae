import { createTandem, type RecordedEvent, type Store } from '@tandem/core';
import type { BenchOutput, Metric, Ratio } from '../bench-result.js';
import type { BenchContext } from '../benchmark.js';
import { metric, ratio } from '../metrics.js';
import { readAllEvents } from '../read-all-events.js';
import { runConcurrently } from '../run-concurrently.js';
import { benchEvent, RecordItems, recordItemsRequest } from './append-command.js';

/** One database for the append benchmark: how to open Tandem on it and how to write raw. */
export interface AppendTarget {
  /** `sqlite` or `postgres`, for labels. */
  readonly label: string;
  /** A Tandem store on a fresh database (or schema); `dispose` closes nothing else. */
  openStore(): Promise<{ readonly store: Store; dispose(): Promise<void> }>;
  /** Writes the same rows with the plain driver on a fresh database; resolves with the seconds taken. */
  insertRaw(events: readonly RecordedEvent[], eventsPerCommand: number): Promise<number>;
  /** What the raw side does, for the report. */
  readonly rawDescription: string;
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
  readonly events: readonly RecordedEvent[];
  readonly note: string | undefined;
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
          const outcome = await app.execute(recordItemsRequest(label, index, eventsPerCommand));
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
    // By stream rather than by position: positions need not be dense nor follow start order.
    const events = (await readAllEvents(store.events)).filter((e) => e.streamId.startsWith(`item-${run}-`));
    const expected = commands * eventsPerCommand;
    if (events.length !== expected)
      throw new Error(`${target.label} ${path}: expected ${expected} events, read ${events.length}`);
    return {
      eventsPerSecond: expected / seconds,
      commandsPerSecond: commands / seconds,
      events,
      note: target.describeStore?.(store),
    };
  } finally {
    await app.close();
    await dispose();
  }
}

/**
 * Runs every variant `context.runs` times; in each run a Tandem measurement is followed at once
 * by the raw driver writing the very rows Tandem wrote, so each ratio pairs two back-to-back runs.
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
      const commands = plan.commands[n];
      const tandem = await measureTandem(target, path, n, commands, plan);
      const rawSeconds = await target.insertRaw(tandem.events, n);
      const raw = tandem.events.length / rawSeconds;
      tandemRuns.set(key, [...(tandemRuns.get(key) ?? []), tandem.eventsPerSecond]);
      commandRuns.set(key, [...(commandRuns.get(key) ?? []), tandem.commandsPerSecond]);
      rawRuns.set(key, [...(rawRuns.get(key) ?? []), raw]);
      if (tandem.note !== undefined) notes.set(key, `${key} (last run): ${tandem.note}`);
      context.log(
        `  run ${r + 1} ${target.label} ${path} ${n}/cmd: tandem ${Math.round(tandem.eventsPerSecond)} ev/s, raw ${Math.round(raw)} ev/s`,
      );
    }
  }
  const metrics: Metric[] = [];
  const ratios: Ratio[] = [];
  for (const { path, n } of variants) {
    const key = `${path}-${n}`;
    const via = path === 'pipeline' ? 'command pipeline' : 'store.events.append';
    const tandem = metric(`Tandem ${via}, ${n} event/cmd`, 'events/s', tandemRuns.get(key) ?? []);
    const raw = metric(
      `raw ${target.label}, same rows as ${via} ${n}/cmd`,
      'events/s',
      rawRuns.get(key) ?? [],
    );
    const perCommand = metric(
      `Tandem ${via}, ${n} event/cmd, commands`,
      'commands/s',
      commandRuns.get(key) ?? [],
    );
    metrics.push(tandem, perCommand, raw);
    ratios.push(
      ratio(
        `${via}, ${n} event/cmd`,
        tandem,
        raw,
        path === 'pipeline' && n === 1 ? plan.targetRatio : undefined,
      ),
    );
  }
  return {
    metrics,
    ratios,
    notes: [...notes.values()],
    parameters: {
      concurrency: plan.concurrency,
      commandsPerRun1: plan.commands[1],
      commandsPerRun10: plan.commands[10],
      warmupCommands: plan.warmup,
      raw: target.rawDescription,
    },
  };
}
