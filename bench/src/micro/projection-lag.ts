import { join } from 'node:path';
import pg from 'pg';
import { createTandem, type Store } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas } from '@tandem/postgres/testing';
import { openSqliteStore } from '@tandem/sqlite';
import type { Metric } from '../bench-result.js';
import type { Benchmark } from '../benchmark.js';
import { closeApp } from '../close-app.js';
import { metric } from '../metrics.js';
import { benchSchema } from '../postgres-schemas.js';
import { quantile } from '../summarize.js';
import { tempDir } from '../temp-dir.js';
import { RecordItems, recordItemsRequest } from './append-command.js';
import { benchItemsProjection } from './bench-items-projection.js';
import { CheckpointWatch, type CheckpointReader } from './checkpoint-watch.js';
import { runOpenLoop } from './run-open-loop.js';

/** Commands per second, offered on schedule. */
const rate = 1_000;
const warmupSeconds = 0.5;
const projection = 'lag-items';

/** One database the lag is measured on, with the p99 target for it. */
interface LagTarget {
  readonly label: string;
  readonly targetP99Ms: number;
  open(): Promise<{
    readonly store: Store;
    /** A reader of `namespace`'s checkpoint that does not wait on the store's own connections. */
    checkpointReader(namespace: string): Promise<{ read: CheckpointReader; close(): Promise<void> }>;
    dispose(): Promise<void>;
  }>;
}

interface LagRun {
  readonly lagP50: number;
  readonly lagP99: number;
  readonly lagMax: number;
  readonly achievedRate: number;
  readonly commandP99: number;
  readonly commands: number;
  /** Commands that failed (e.g. no pool connection within the store's connect timeout). */
  readonly failed: number;
  readonly firstError: string | undefined;
}

/**
 * One run on a fresh database: an app with the bench command and one projection, warmed up at
 * the rate, then `seconds` of commands at exactly `rate`/s, every commit's lag timed.
 */
async function measure(target: LagTarget, seconds: number, label: string): Promise<LagRun> {
  const { store, checkpointReader, dispose } = await target.open();
  try {
    const readStore = store.readStore?.();
    if (readStore === undefined) throw new Error(`${target.label} has no read store`);
    const app = await createTandem({
      store,
      readStore,
      commands: [RecordItems],
      projections: [benchItemsProjection(projection)],
    });
    try {
      await app.start();
      const daemon = app.projections;
      const namespace = await readStore.activeNamespace(projection);
      if (daemon === undefined || namespace === undefined) throw new Error('The projection did not start');
      const execute = async (run: string, n: number) => {
        const outcome = await app.commands.execute(recordItemsRequest(run, n, 1));
        if (!outcome.ok) throw outcome.error;
        return outcome.result.position;
      };
      // Warm-up at the same rate (JIT, connection pool, statement caches), then let the projection
      // catch up so the measured run starts from a quiet state.
      const warm = await runOpenLoop(rate, warmupSeconds, async (n) => {
        await execute(`warm-${label}`, n);
      });
      if (warm.failed > 0) throw warm.firstError;
      if (!(await daemon.waitFor([projection], await app.events.headPosition(), 60_000)))
        throw new Error('The projection did not catch up with the warm-up');
      const reader = await checkpointReader(namespace);
      const watch = new CheckpointWatch(reader.read);
      const run = await runOpenLoop(rate, seconds, async (n) => {
        const position = await execute(label, n);
        // The commit's acknowledgement: execute resolves after the transaction committed.
        watch.add(position, performance.now());
      });
      const lags = await watch.finish().finally(() => reader.close());
      if (lags.length !== run.completed) throw new Error(`${lags.length} lags for ${run.completed} commands`);
      return {
        lagP50: quantile(lags, 0.5),
        lagP99: quantile(lags, 0.99),
        lagMax: Math.max(...lags),
        achievedRate: run.completed / run.elapsed,
        commandP99: quantile(run.latencies, 0.99),
        commands: run.completed,
        failed: run.failed,
        firstError:
          run.firstError === undefined
            ? undefined
            : run.firstError instanceof Error
              ? run.firstError.message
              : String(run.firstError),
      };
    } finally {
      await closeApp(app);
    }
  } finally {
    await dispose();
  }
}

const sqliteTarget: LagTarget = {
  label: 'SQLite',
  targetP99Ms: 20,
  async open() {
    const dir = tempDir('lag');
    const store = await openSqliteStore({ filename: join(dir.path, 'tandem.db') });
    const readStore = store.readStore();
    return {
      store,
      // The read store's reader connection answers at once (synchronous SQLite), never queued.
      checkpointReader: async (namespace) => ({
        read: () => readStore.checkpoint(namespace),
        close: async () => undefined,
      }),
      dispose: async () => dir.remove(),
    };
  },
};

function postgresTarget(url: string): LagTarget {
  return {
    label: 'PostgreSQL',
    targetP99Ms: 100,
    async open() {
      const schema = benchSchema('lag');
      const store = await openPostgresStore({ connectionString: url, schema });
      return {
        store,
        checkpointReader: async (namespace) => {
          const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
          await client.connect();
          return {
            read: async () => {
              const { rows } = await client.query<{ position: string }>(
                'SELECT position FROM tandem_rm_checkpoints WHERE namespace = $1',
                [namespace],
              );
              return Number(rows[0]?.position ?? 0);
            },
            close: () => client.end(),
          };
        },
        dispose: () => dropSchemas(url, [schema]),
      };
    },
  };
}

/**
 * Projection lag at a fixed 1,000 commands/s, in-process, on SQLite and (when a server answers)
 * PostgreSQL. Targets: p99 under 20 ms on SQLite, under 100 ms on PostgreSQL.
 */
export const projectionLag: Benchmark = {
  name: 'projection-lag',
  quick: true,
  needsPostgres: false,
  async run(context) {
    const seconds = context.full ? 15 : 1.5;
    const targets = [
      sqliteTarget,
      ...(context.postgresUrl === undefined ? [] : [postgresTarget(context.postgresUrl)]),
    ];
    const runs = new Map<string, LagRun[]>();
    for (let r = 0; r < context.runs; r++) {
      // The stores alternate within each run, so drift on a shared machine hits both alike.
      for (const target of targets) {
        const result = await measure(target, seconds, `lag${r + 1}-${Date.now().toString(36)}`);
        runs.set(target.label, [...(runs.get(target.label) ?? []), result]);
        context.log(
          `  run ${r + 1} ${target.label}: lag p50 ${result.lagP50.toFixed(1)} ms, p99 ${result.lagP99.toFixed(1)} ms, ` +
            `max ${result.lagMax.toFixed(1)} ms at ${Math.round(result.achievedRate)} commands/s` +
            (result.failed > 0 ? `, ${result.failed} failed (${result.firstError})` : ''),
        );
      }
    }
    const metrics: Metric[] = targets.flatMap((target) => {
      const results = runs.get(target.label) ?? [];
      const of = (pick: (run: LagRun) => number) => results.map(pick);
      return [
        metric(
          `${target.label} lag p50`,
          'ms',
          of((x) => x.lagP50),
        ),
        {
          ...metric(
            `${target.label} lag p99`,
            'ms',
            of((x) => x.lagP99),
          ),
          target: { below: target.targetP99Ms },
        },
        metric(
          `${target.label} lag max`,
          'ms',
          of((x) => x.lagMax),
        ),
        metric(
          `${target.label} achieved rate`,
          'commands/s',
          of((x) => x.achievedRate),
        ),
        metric(
          `${target.label} command p99, from its due time`,
          'ms',
          of((x) => x.commandP99),
        ),
        metric(
          `${target.label} failed commands`,
          'commands',
          of((x) => x.failed),
        ),
      ];
    });
    return {
      title: 'Projection lag at 1,000 commands/s',
      description:
        `Commands sent in-process at exactly ${rate.toLocaleString('en-US')}/s for ${seconds} s per run (open loop: command n ` +
        'is sent at n / rate whatever earlier ones are doing), through the full pipeline (`createTandem` + `execute`: ' +
        'validation, idempotency record, audit row, one new stream with one event each), with one projection upserting a ' +
        'document per event in the same app (the daemon, default 500-event batches). Lag per event: from the moment its ' +
        "command's execute resolved (commit acknowledged) until the projection's persisted checkpoint was seen at or past " +
        'its position: one watcher reads the checkpoint about once a millisecond while any position is pending (on ' +
        "SQLite through the read store's reader connection, on PostgreSQL on a connection of its own, so it never queues " +
        "behind the app's pool), so a lag reads up to ~1 ms plus one read late. " +
        `Each run on a fresh SQLite file or PostgreSQL schema, after a ${warmupSeconds} s warm-up at the same rate; the stores ` +
        'alternate within each run.',
      parameters: {
        rate,
        secondsPerRun: seconds,
        warmupSeconds,
        eventsPerCommand: 1,
        stores: targets.map((t) => t.label).join(', '),
      },
      metrics,
      ratios: [],
      notes: [
        ...[...runs.entries()].flatMap(([store, results]) =>
          results.flatMap((x, i) =>
            x.failed === 0
              ? []
              : [`${store} run ${i + 1}: ${x.failed} commands failed, the first with: ${x.firstError}`],
          ),
        ),
        ...(context.postgresUrl === undefined ? ['No PostgreSQL server answered: SQLite only.'] : []),
        'Achieved rate: commands completed over the time from the first due time to the last acknowledgement; ' +
          'below 1,000 means the write side fell behind the schedule (see the command p99 from its due time).',
      ],
    };
  },
};
