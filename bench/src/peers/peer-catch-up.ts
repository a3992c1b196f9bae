import type { Benchmark } from '../benchmark.js';
import { metric, ratio } from '../metrics.js';
import { emmettSqliteSerialized, emmettSqliteVersionNote, emmettVersions } from './emmett-versions.js';
import type { PeerProcess } from './spawn-peer.js';
import type { CatchUpJob, DeliveryReport, StoreLocation } from './peer-side.js';
import { Samples } from './samples.js';
import { withLocation } from './with-location.js';
import { peerOrder, withPeers } from './with-peers.js';

const writers = 8;
const eventsPerStream = 10;
/** Emmett's pulling set to Tandem's batch size with no pause between batches, besides its defaults. */
const tuned = { batchSize: 500, pullingFrequencyInMs: 0 } as const;

function describe(report: DeliveryReport): string {
  return (
    `${report.delivered} deliveries of ${report.committed} committed events: ${report.skipped} skipped, ` +
    `${report.repeated} repeated; the documents count ${report.documented}`
  );
}

/** Projection catch-up from zero over the same log, with every delivery counted (target: 10x). */
export const peerCatchUp: Benchmark = {
  name: 'peer-catch-up',
  quick: true,
  needsPostgres: true,
  async run(context) {
    const url = context.postgresUrl;
    if (url === undefined) throw new Error('peer-catch-up needs a PostgreSQL server');
    const total = context.full ? 100_000 : 1_000;
    // Emmett SQLite writes tens of events a second, so its log stays this size in --full too.
    const sqliteTotal = context.full ? 10_000 : 500;
    const samples = new Samples();
    const notes: string[] = [];
    let inversions = 0;
    /** Fills both logs, then catches up `context.runs` times; sample keys start with `prefix`. */
    const catchUps = async (
      prefix: string,
      events: number,
      tandem: PeerProcess,
      emmett: PeerProcess,
      tandemAt: StoreLocation,
      emmettAt: StoreLocation,
    ) => {
      const role = (peer: PeerProcess) => (peer === tandem ? 'tandem' : 'emmett');
      const at = (peer: PeerProcess): StoreLocation => (peer === tandem ? tandemAt : emmettAt);
      for (const peer of [tandem, emmett]) {
        const fill = await peer.run({
          kind: 'fill',
          location: at(peer),
          writers,
          events,
          eventsPerStream,
          live: 'counts-live',
        });
        const live =
          fill.live === undefined
            ? 'no live projection ran meanwhile (see the notes)'
            : `the live projection running meanwhile got ${describe(fill.live)}`;
        const line = `${peer.side}${prefix === '' ? '' : ' on SQLite'}: ${writers} writers wrote ${events} events at ${Math.round(events / fill.seconds)} events/s; ${live}`;
        context.log(`  ${line}`);
        notes.push(`Writing the log, ${line}.`);
        if (fill.live !== undefined) {
          samples.add(`${prefix}${role(peer)}-live-skipped`, fill.live.skipped);
          samples.add(`${prefix}${role(peer)}-live-repeated`, fill.live.repeated);
        }
        if (peer === emmett && prefix === '') inversions = fill.inversions;
      }
      for (let r = 0; r < context.runs; r++) {
        const jobs: { key: string; run: () => Promise<{ seconds: number; report: DeliveryReport }> }[] = [];
        for (const peer of peerOrder(r, tandem, emmett)) {
          const job: CatchUpJob = { kind: 'catchUp', location: at(peer), projection: `counts-${r + 1}` };
          jobs.push({ key: `${prefix}${role(peer)}`, run: () => peer.run(job) });
        }
        jobs.push({
          key: `${prefix}emmett-tuned`,
          run: () =>
            emmett.run({
              kind: 'catchUp',
              location: emmettAt,
              projection: `counts-tuned-${r + 1}`,
              pulling: tuned,
            }),
        });
        const line: string[] = [];
        for (const { key, run } of jobs) {
          const { seconds, report } = await run();
          samples.add(key, report.committed / seconds);
          samples.add(`${key}-skipped`, report.skipped);
          samples.add(`${key}-repeated`, report.repeated);
          line.push(
            `${key} ${Math.round(report.committed / seconds)} ev/s (${report.skipped} skipped, ${report.repeated} repeated)`,
          );
        }
        context.log(`  run ${r + 1}: ${line.join(', ')}`);
      }
    };
    await withPeers(async (tandem, emmett, emmettSqlite) => {
      await withLocation('tandem', 'sqlite', url, (tandemAt) =>
        withLocation('emmett-sqlite', 'sqlite', url, (emmettAt) =>
          catchUps('sqlite-', sqliteTotal, tandem, emmettSqlite, tandemAt, emmettAt),
        ),
      );
      await withLocation('tandem', 'postgres', url, (tandemAt) =>
        withLocation('emmett', 'postgres', url, (emmettAt) =>
          catchUps('', total, tandem, emmett, tandemAt, emmettAt),
        ),
      );
    });
    const tandemRate = metric(
      'Tandem ProjectionDaemon catch-up from zero',
      'events/s',
      samples.get('tandem'),
    );
    const emmettRate = metric(
      'Emmett consumer + Pongo projector catch-up from zero, defaults',
      'events/s',
      samples.get('emmett'),
    );
    const emmettTuned = metric(
      `Emmett catch-up, batchSize ${tuned.batchSize}, pullingFrequencyInMs ${tuned.pullingFrequencyInMs}`,
      'events/s',
      samples.get('emmett-tuned'),
    );
    const counted = (key: string, what: string) => metric(what, 'events', samples.get(key));
    const sqliteRate = (key: string, what: string) =>
      metric(`${what} (SQLite, ${sqliteTotal} events)`, 'events/s', samples.get(`sqlite-${key}`));
    const tandemSqlite = sqliteRate('tandem', 'Tandem ProjectionDaemon catch-up from zero');
    const emmettSqlite = sqliteRate(
      'emmett',
      'Emmett SQLite consumer + projection catch-up from zero, defaults',
    );
    const emmettSqliteTuned = sqliteRate(
      'emmett-tuned',
      `Emmett SQLite catch-up, batchSize ${tuned.batchSize}, pullingFrequencyInMs ${tuned.pullingFrequencyInMs}`,
    );
    const sqliteCounted = (side: 'Tandem' | 'Emmett', key: string, what: string) => [
      counted(`sqlite-${key}-skipped`, `${side} SQLite ${what} (of ${sqliteTotal}): events skipped`),
      counted(`sqlite-${key}-repeated`, `${side} SQLite ${what} (of ${sqliteTotal}): events delivered twice`),
    ];
    return {
      title: 'Projection catch-up against Emmett',
      description:
        `${total.toLocaleString('en-US')} ItemRecorded events written by ${writers} concurrent writers (one event per ` +
        `append, each writer on its own streams of ${eventsPerStream}) to each side's log on the same server; a ` +
        'projection counts events per stream into one document per stream. Tandem: `ProjectionDaemon` (through ' +
        '`createTandem`, defaults: 500-event batches, one read-store transaction per batch), `eachEvent` reading and ' +
        'upserting the document. Emmett: its async catch-up mechanism, a PostgreSQL event store consumer ' +
        '(`store.consumer({ stopWhen: { noMessagesLeft: true } })`) with a projector running ' +
        '`pongoSingleStreamProjection` (its document projection), with its documented pulling defaults (batches of ' +
        `100, 50 ms between pulls) and again with batches of ${tuned.batchSize} and no pause. Each catch-up is a new ` +
        'projection from position zero, timed from start until it has passed the head. Every delivery is counted by ' +
        "event id against the ids committed to the log (read with plain pg); Tandem's are asserted exactly once. " +
        `The same again on SQLite (${sqliteTotal.toLocaleString('en-US')} events, Tandem's @tandem/sqlite against ` +
        'Emmett SQLite, each on its own file; see the notes).',
      peer: emmettVersions,
      parameters: { events: total, sqliteEvents: sqliteTotal, writers, eventsPerStream },
      metrics: [
        tandemRate,
        emmettRate,
        emmettTuned,
        counted('tandem-live-skipped', 'Tandem live projection during the writes (once): events skipped'),
        counted(
          'tandem-live-repeated',
          'Tandem live projection during the writes (once): events delivered twice',
        ),
        counted('emmett-live-skipped', 'Emmett live projection during the writes (once): events skipped'),
        counted(
          'emmett-live-repeated',
          'Emmett live projection during the writes (once): events delivered twice',
        ),
        counted('tandem-skipped', 'Tandem catch-up: events skipped'),
        counted('tandem-repeated', 'Tandem catch-up: events delivered twice'),
        counted('emmett-skipped', 'Emmett catch-up (defaults): events skipped'),
        counted('emmett-repeated', 'Emmett catch-up (defaults): events delivered twice'),
        counted('emmett-tuned-skipped', `Emmett catch-up (batch ${tuned.batchSize}): events skipped`),
        counted(
          'emmett-tuned-repeated',
          `Emmett catch-up (batch ${tuned.batchSize}): events delivered twice`,
        ),
        tandemSqlite,
        emmettSqlite,
        emmettSqliteTuned,
        ...sqliteCounted('Tandem', 'tandem-live', 'live projection during the writes (once)'),
        ...sqliteCounted('Tandem', 'tandem', 'catch-up'),
        ...sqliteCounted('Emmett', 'emmett', 'catch-up (defaults)'),
        ...sqliteCounted('Emmett', 'emmett-tuned', `catch-up (batch ${tuned.batchSize})`),
      ],
      ratios: [
        ratio('catch-up from zero, Emmett defaults', tandemRate, emmettRate, 10),
        ratio(`catch-up from zero, Emmett batch ${tuned.batchSize}, no pause`, tandemRate, emmettTuned),
        ratio('SQLite catch-up from zero, Emmett defaults', tandemSqlite, emmettSqlite),
        ratio(
          `SQLite catch-up from zero, Emmett batch ${tuned.batchSize}, no pause`,
          tandemSqlite,
          emmettSqliteTuned,
        ),
      ],
      notes: [
        ...notes,
        `Why Emmett skips: it reads \`ORDER BY transaction_id, global_position\` (only transactions older than ` +
          'the oldest running one), but its cursor and checkpoint are a global_position, and a message at or below ' +
          'the checkpoint counts as handled. Concurrent writers take transaction ids and sequence positions in ' +
          `different orders, so ${inversions} of the ${total} events in its log come after a higher position in its ` +
          `read order; its catch-ups skipped ${samples.get('emmett-skipped').join(', ')} and its live projection ` +
          `${samples.get('emmett-live-skipped').join(', ')}. Tandem positions encode the writing transaction, so ` +
          'position order is the order readers may see them in.',
        'On SQLite, Emmett SQLite 0.38.5 has no document store: its projection is a `ProjectionDefinition` run by ' +
          "its consumer's processor (one transaction per batch, a checkpoint row written per event) doing one UPSERT " +
          "per event into a counts table, where Tandem's handler reads the document and upserts it. Its consumer " +
          'has no stop-when-caught-up option, so the processor stops after the head position read before the start. ' +
          'Its puller sleeps 100 ms after the first batch whatever the settings, then pullingFrequencyInMs between ' +
          'full batches. One SQLite writer commits positions in order, so neither side should skip there.',
        'Emmett SQLite runs no live projection while its log is written: with its consumer running, appends ' +
          'failed with SQLITE_BUSY "database is locked" five times in a row (quick run, 2026-11-25), so its log is ' +
          'written first and only the catch-up is measured.',
        emmettSqliteSerialized,
        emmettSqliteVersionNote,
      ],
    };
  },
};
