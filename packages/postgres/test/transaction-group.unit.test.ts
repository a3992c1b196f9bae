import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import pg, { type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { TandemError, type IdempotencyRecord, type Transaction } from '@tandem/core';
import { RolledBackError, type TransactionSession } from '../src/postgres-session.js';
import { HeldStreams } from '../src/postgres-held-streams.js';
import {
  TransactionGroup,
  type GroupEntry,
  type GroupStreams,
  type MemberOutcome,
} from '../src/postgres-transaction-group.js';
import { PostgresTransactionGroups, type WithSession } from '../src/postgres-transaction-groups.js';

/**
 * The transaction group engine against a scripted fake session: no server, so that every step can
 * fail on demand (a statement refused, the connection lost, COMMIT answered ROLLBACK, a failed
 * rollback). Whatever fails, every member's promise settles and no rejection goes unhandled.
 */

/** One call the group made on its session. */
interface Call {
  /** `script` (a flush or the head), `query` (an immediate claim, a look-up), `sql` (the bare client), `commit`, `rollback`. */
  readonly kind: 'script' | 'query' | 'sql' | 'commit' | 'rollback';
  /** The how-manieth call of its kind, from 1. */
  readonly n: number;
  readonly text: string;
}

/** Decides whether a call fails, and with what. */
type FailurePlan = (call: Call) => unknown;

/** What the server would say to a statement it refuses. */
function refusal(message: string, fields: { code?: string; table?: string } = {}): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(message, 0, 'error'), { code: '42000', ...fields });
}

/** What the driver says when the connection is gone. */
const connectionLost = () => new Error('Connection terminated unexpectedly');

const result = (rows: QueryResultRow[], command = 'SELECT'): QueryResult =>
  ({ command, rowCount: rows.length, oid: 0, fields: [], rows }) as QueryResult;

/** The text items of every `ARRAY[...]::text[]` literal in `sql`. */
function textArrays(sql: string): string[][] {
  return [...sql.matchAll(/ARRAY\[([^\]]*)\]::text\[\]/g)].map(([, inner]) =>
    inner === undefined || inner === ''
      ? []
      : inner.split(', ').map((item) => item.replace(/^E?'|'$/g, '').replace(/''/g, "'")),
  );
}

/**
 * A session that answers like PostgreSQL for the statements a group sends (every stream empty,
 * every append written) and fails where its plan says.
 */
class FakeSession implements TransactionSession {
  readonly calls: Call[] = [];
  readonly deferred: string[] = [];
  /** Command ids the look-up after a failed commit finds committed. */
  readonly committedKeys = new Set<string>();
  #begun = false;
  readonly #plan: FailurePlan;
  static #xid = 1000;

  constructor(plan: FailurePlan = () => undefined) {
    this.#plan = plan;
  }

  get begun(): boolean {
    return this.#begun;
  }

  count(kind: Call['kind']): number {
    return this.calls.filter((c) => c.kind === kind).length;
  }

  /** Records the call and throws what the plan says. */
  #call(kind: Call['kind'], text: string): void {
    const call = { kind, n: this.count(kind) + 1, text };
    this.calls.push(call);
    const failure = this.#plan(call);
    if (failure !== undefined) throw failure;
  }

  async script(statements: readonly string[]): Promise<QueryResult[]> {
    this.#begun = true;
    this.#call('script', statements.join(';\n'));
    return statements.map((statement) => this.#answer(statement));
  }

  #answer(statement: string): QueryResult {
    if (statement.includes('pg_advisory_xact_lock')) return result([]);
    if (statement.startsWith('SELECT r.s AS stream_id'))
      return result((textArrays(statement)[0] ?? []).map((id) => ({ stream_id: id, v: 0 })));
    if (statement.startsWith('SELECT e.')) return result([]);
    if (statement.includes('tandem_append(')) {
      const streamIds = textArrays(statement)[1] ?? [];
      const base = String(FakeSession.#xid++ * 4096);
      return result([{ versions: streamIds.map(() => 0), conflicted: [], inverted: [], base }]);
    }
    if (statement.startsWith('SELECT COALESCE(MAX(position), 0) AS h')) return result([{ h: '0' }]);
    throw new Error(`The fake session has no answer for: ${statement.slice(0, 80)}`);
  }

  async query<Row extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<Row>> {
    this.#begun = true;
    this.#call('query', query.text);
    if (query.text.includes('INSERT INTO tandem_idempotency'))
      return result([{ command_id: (query.values as string[])[0] }], 'INSERT') as QueryResult<Row>;
    if (query.text.startsWith('SELECT *') && query.text.includes('FROM tandem_idempotency WHERE')) {
      const asked = (query.values as [string[]])[0];
      const rows = asked
        .filter((id) => this.committedKeys.has(id))
        .map((id) => ({
          command_id: id,
          command_type: 'Test',
          payload_hash: 'h',
          result: { commandId: id, commandType: 'Test', ids: {}, position: 1, streams: [] },
          recorded_at: 'then',
          db_now_ms: 0,
        }));
      return result(rows) as QueryResult<Row>;
    }
    throw new Error(`The fake session has no answer for: ${query.text.slice(0, 80)}`);
  }

  direct(): PoolClient {
    this.#begun = true;
    const client = {
      query: async (text: string) => {
        this.#call('sql', text);
        return result([]);
      },
    };
    // Only `query` is used on the bare client (application SQL); the rest of PoolClient is not.
    return client as unknown as PoolClient;
  }

  defer(statement: string): void {
    this.deferred.push(statement);
  }

  async commit(): Promise<void> {
    this.#call('commit', [...this.deferred, 'COMMIT'].join(';\n'));
  }

  async rollback(): Promise<void> {
    this.#call('rollback', 'ROLLBACK');
  }
}

function claimOf(commandId: string): IdempotencyRecord {
  return {
    commandId,
    commandType: 'Test',
    payloadHash: 'h',
    result: { commandId, commandType: 'Test', ids: {}, position: 1, streams: [] },
    recordedAt: new Date().toISOString(),
  };
}

/** A command: read its stream, append at the version read, claim, audit. */
async function command(tx: Transaction, name: string): Promise<string> {
  const read = await tx.events.readStream(`s-${name}`);
  await tx.events.append([
    { streamId: `s-${name}`, expectedVersion: read.version, events: [{ type: 'E', data: { name } }] },
  ]);
  const existing = await tx.idempotency.claim(claimOf(`c-${name}`));
  if (existing !== undefined) throw new TandemError('domain-rule', `replayed ${existing.commandId}`);
  await tx.audit.record({
    commandId: `c-${name}`,
    commandType: 'Test',
    userId: undefined,
    streamIds: [`s-${name}`],
    payloadHash: 'h',
    outcome: 'accepted',
    errorCode: undefined,
    position: 1,
    at: new Date().toISOString(),
  });
  return name;
}

type Work = (tx: Transaction) => Promise<unknown>;

/** Runs `works` as one group on `session`; what became of each, and whether `fail` was called. */
async function runGroup(
  session: TransactionSession,
  works: readonly Work[],
  options: { alone?: boolean; held?: GroupStreams } = {},
): Promise<{ outcomes: MemberOutcome[]; failed: boolean; group: TransactionGroup }> {
  const group = new TransactionGroup({
    held: options.held ?? new HeldStreams(),
    alone: options.alone ?? false,
  });
  const entries: GroupEntry[] = works.map((work) => ({ work, resolve: () => {}, reject: () => {} }));
  let failed = false;
  const outcomes = await group.run(
    session,
    entries,
    () => {},
    () => {
      failed = true;
    },
    () => {},
  );
  assert.equal(outcomes.length, works.length, 'one outcome per member');
  return { outcomes, failed, group };
}

/** An outcome in a few words, for comparing whole groups. */
function brief(outcome: MemberOutcome | undefined): string {
  switch (outcome?.kind) {
    case 'resolve':
      return 'resolve';
    case 'reject':
      return `reject ${TandemError.is(outcome.error) ? outcome.error.code : (outcome.error as Error).message}`;
    case 'rerun':
      return outcome.rerun.kind === 'alone' ? 'alone' : 'next';
    default:
      return 'missing';
  }
}

/** The store's groups on fake sessions: the n-th session the store lends follows `plans[n]`. */
function fakeStore(plans: readonly FailurePlan[], maxGroup = 64) {
  const sessions: FakeSession[] = [];
  const withSession: WithSession = async (work) => {
    const session = new FakeSession(plans[sessions.length] ?? (() => undefined));
    sessions.push(session);
    return work(session, () => {});
  };
  let committed = 0;
  const groups = new PostgresTransactionGroups(
    {
      withSession,
      register: () => {},
      committed: () => {
        committed += 1;
      },
    },
    4,
    maxGroup,
  );
  return { groups, sessions, committed: () => committed };
}

const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};

describe('TransactionGroup on a fake session', { timeout: 10_000 }, () => {
  let seen = 0;
  before(() => process.on('unhandledRejection', recordUnhandled));
  after(() => process.off('unhandledRejection', recordUnhandled));
  beforeEach(() => {
    seen = unhandled.length;
  });
  afterEach(async () => {
    // A rejection nobody handles is reported after the turn it happened in.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled.slice(seen), [], 'no promise rejection went unhandled');
  });

  describe('member isolation', () => {
    it('commits the members together: one read round trip, one append call, claims and audits with COMMIT', async () => {
      const session = new FakeSession();
      const { outcomes } = await runGroup(session, [
        (tx) => command(tx, 'a'),
        (tx) => command(tx, 'b'),
        (tx) => command(tx, 'c'),
      ]);
      assert.deepEqual(outcomes.map(brief), ['resolve', 'resolve', 'resolve']);
      assert.deepEqual(
        session.calls.map((c) => c.kind),
        ['script', 'script', 'commit'],
      );
      assert.equal(session.deferred.length, 2, 'one claims statement, one audits statement');
    });

    it('a member failing before writing fails alone; the others commit', async () => {
      const session = new FakeSession();
      const { outcomes } = await runGroup(session, [
        (tx) => command(tx, 'a'),
        async (tx) => {
          await tx.events.readStream('s-b');
          throw new TandemError('domain-rule', 'refused');
        },
        (tx) => command(tx, 'c'),
      ]);
      assert.deepEqual(outcomes.map(brief), ['resolve', 'reject domain-rule', 'resolve']);
      assert.equal(session.count('commit'), 1);
      assert.equal(session.count('rollback'), 0);
    });

    it('a member failing after writing rolls the group back; it fails, the others run again alone', async () => {
      const session = new FakeSession();
      const { outcomes } = await runGroup(session, [
        (tx) => command(tx, 'a'),
        async (tx) => {
          await command(tx, 'b');
          throw new TandemError('domain-rule', 'after writing');
        },
        (tx) => command(tx, 'c'),
      ]);
      assert.deepEqual(outcomes.map(brief), ['alone', 'reject domain-rule', 'alone']);
      assert.equal(session.count('commit'), 0);
      assert.equal(session.count('rollback'), 1);
    });

    it('a value the database cannot store fails its member alone, before anything is sent', async () => {
      const session = new FakeSession();
      const { outcomes } = await runGroup(session, [
        (tx) => command(tx, 'a'),
        (tx) => tx.events.readStream('bad\u0000'),
        (tx) =>
          tx.events.append([{ streamId: 'x', expectedVersion: 'any', events: [{ type: 'E', data: 1n }] }]),
        (tx) => tx.sql.query('SELECT ?::text', ['\uD800']),
        (tx) => command(tx, 'e'),
      ]);
      assert.deepEqual(outcomes.map(brief), [
        'resolve',
        'reject validation',
        'reject validation',
        'reject validation',
        'resolve',
      ]);
      assert.equal(session.count('sql'), 0);
    });

    it('refuses a call its member left unsent when its work ended, instead of sending it after COMMIT', async () => {
      const session = new FakeSession();
      let late: Promise<unknown> | undefined;
      let kept: Transaction | undefined;
      const { outcomes } = await runGroup(session, [
        async (tx) => {
          kept = tx;
          // Not awaited: the work ends before the read's turn comes.
          late = tx.events.readStream('s-late');
          late.catch(() => undefined);
        },
      ]);
      assert.deepEqual(outcomes.map(brief), ['resolve']);
      await assert.rejects(late ?? Promise.resolve(), /ended/);
      assert.ok(
        session.calls.every((c) => !c.text.includes("'s-late'")),
        'the read was never sent',
      );
      await assert.rejects(kept?.events.readStream('s-after') ?? Promise.resolve(), /ended/);
    });
  });

  describe('reruns', () => {
    it('a member touching a stream another member holds runs in the next group, after this one', async () => {
      const session = new FakeSession();
      const { outcomes, group } = await runGroup(session, [
        (tx) => command(tx, 'a'),
        async (tx) => {
          await new Promise((resolve) => setImmediate(resolve));
          await tx.events.readStream('s-a');
        },
      ]);
      assert.deepEqual(outcomes.map(brief), ['resolve', 'next']);
      const rerun = outcomes[1];
      assert.ok(rerun?.kind === 'rerun' && rerun.rerun.kind === 'next' && rerun.rerun.after === group);
    });

    it('a member touching a stream another group in flight holds runs after that group', async () => {
      for (const otherAlone of [false, true]) {
        const held: GroupStreams = new HeldStreams();
        const other = new TransactionGroup({ held, alone: otherAlone });
        held.take('s-busy', other);
        const { outcomes } = await runGroup(
          new FakeSession(),
          [(tx) => command(tx, 'a'), (tx) => tx.events.readStream('s-busy')],
          { held },
        );
        const rerun = outcomes[1];
        assert.ok(rerun?.kind === 'rerun' && rerun.rerun.kind === 'next' && rerun.rerun.after === other);
        const later = new TransactionGroup({ held, alone: false });
        assert.equal(held.blocking('s-busy', later), other, "the other group's stream stays its own");
        assert.equal(held.blocking('s-a', later), undefined, 'streams are released when the group ends');
      }
    });

    it('a transaction of its own waits on the lock of another transaction of its own, not for it to end', async () => {
      const held: GroupStreams = new HeldStreams();
      const other = new TransactionGroup({ held, alone: true });
      held.take('s-a', other);
      const session = new FakeSession();
      const { outcomes } = await runGroup(session, [(tx) => command(tx, 'a')], { alone: true, held });
      assert.deepEqual(outcomes.map(brief), ['resolve']);
      assert.ok(
        session.calls[0]?.text.includes('pg_advisory_xact_lock'),
        'it takes the lock in the database',
      );
    });

    it('a member that wants SQL before writing runs alone; alone in its group it goes straight on', async () => {
      const sql: Work = (tx) => tx.sql.execute('UPDATE t SET n = n + 1');
      const shared = await runGroup(new FakeSession(), [(tx) => command(tx, 'a'), sql]);
      assert.deepEqual(shared.outcomes.map(brief), ['resolve', 'alone']);
      const session = new FakeSession();
      const single = await runGroup(session, [sql]);
      assert.deepEqual(single.outcomes.map(brief), ['resolve']);
      assert.equal(session.count('sql'), 1);
    });

    it('alone, the claim goes at once and answers; a stream another group holds sends it after that group', async () => {
      const session = new FakeSession();
      const { outcomes } = await runGroup(session, [(tx) => command(tx, 'a')], { alone: true });
      assert.deepEqual(outcomes.map(brief), ['resolve']);
      assert.deepEqual(
        session.calls.map((c) => c.kind),
        ['script', 'script', 'query', 'commit'],
      );
      const held: GroupStreams = new HeldStreams();
      const other = new TransactionGroup({ held, alone: false });
      held.take('s-busy', other);
      const waiting = await runGroup(
        new FakeSession(),
        [
          async (tx) => {
            await command(tx, 'b');
            await tx.events.readStream('s-busy');
          },
        ],
        { alone: true, held },
      );
      const rerun = waiting.outcomes[0];
      assert.ok(rerun?.kind === 'rerun' && rerun.rerun.kind === 'next' && rerun.rerun.after === other);
    });

    it('through the store: reruns end in a later group or a group of one, and every caller hears', async () => {
      const { groups, sessions } = fakeStore([]);
      const results = await Promise.allSettled([
        groups.run((tx) => command(tx, 'a')),
        // Same stream as the first: next group.
        groups.run(async (tx) => {
          await new Promise((resolve) => setImmediate(resolve));
          return command(tx, 'a');
        }),
        // SQL before writing: a group of one.
        groups.run(async (tx) => {
          await tx.sql.execute('UPDATE t SET n = 1');
          return 'sql';
        }),
        groups.run((tx) => command(tx, 'd')),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
      );
      assert.ok(sessions.length >= 3, `the first group, then the reruns (${sessions.length} sessions)`);
    });
  });

  describe('idempotency window', () => {
    it("sends the members' expired keys' DELETE before their claims, with the COMMIT, in one script", async () => {
      const session = new FakeSession();
      const claimWith = (name: string, windowMs?: number) => async (tx: Transaction) => {
        await tx.events.append([
          { streamId: `s-${name}`, expectedVersion: 'any', events: [{ type: 'E', data: {} }] },
        ]);
        return tx.idempotency.claim(claimOf(`c-${name}`), windowMs);
      };
      const { outcomes } = await runGroup(session, [
        claimWith('a', 1_000),
        claimWith('b'),
        claimWith('c', 2_000),
      ]);
      assert.deepEqual(outcomes.map(brief), ['resolve', 'resolve', 'resolve']);
      const commits = session.calls.filter((c) => c.kind === 'commit');
      assert.equal(commits.length, 1);
      const statements = (commits[0]?.text ?? '').split(';\n');
      assert.equal(statements.length, 3, 'the DELETE, the claims, the COMMIT');
      assert.match(
        statements[0] ?? '',
        /^DELETE FROM tandem_idempotency t USING \(VALUES \('c-a', 1000::float8\), \('c-c', 2000::float8\)\)/,
      );
      assert.match(statements[1] ?? '', /^INSERT INTO tandem_idempotency /);
      assert.equal(statements[2], 'COMMIT');
      assert.equal(session.count('query'), 0, 'no round trip of its own');
    });

    it('sends no DELETE when no claim has a window', async () => {
      const session = new FakeSession();
      const { outcomes } = await runGroup(session, [
        (tx) => tx.idempotency.claim(claimOf('c-x')),
        (tx) => tx.idempotency.claim(claimOf('c-y')),
      ]);
      assert.deepEqual(outcomes.map(brief), ['resolve', 'resolve']);
      const commit = session.calls.find((c) => c.kind === 'commit');
      assert.doesNotMatch(commit?.text ?? '', /DELETE/);
    });
  });

  describe('a failure at every step: every member settles', () => {
    const three: Work[] = [(tx) => command(tx, 'a'), (tx) => command(tx, 'b'), (tx) => command(tx, 'c')];
    const cases: {
      readonly name: string;
      readonly plan: FailurePlan;
      readonly shared: readonly string[];
      readonly alone: string;
      readonly failed?: boolean;
    }[] = [
      {
        name: 'the first round trip (the reads) is refused',
        plan: (c) => (c.kind === 'script' && c.n === 1 ? refusal('refused') : undefined),
        shared: ['alone', 'alone', 'alone'],
        alone: 'reject refused',
      },
      {
        name: 'the connection is lost on the first round trip',
        plan: (c) => (c.kind === 'script' && c.n === 1 ? connectionLost() : undefined),
        shared: ['reject unavailable', 'reject unavailable', 'reject unavailable'],
        alone: 'reject unavailable',
      },
      {
        name: 'the append call is refused',
        plan: (c) =>
          c.kind === 'script' && c.text.includes('tandem_append(') ? refusal('duplicate') : undefined,
        shared: ['alone', 'alone', 'alone'],
        alone: 'reject duplicate',
      },
      {
        name: 'the connection is lost on the append call',
        plan: (c) =>
          c.kind === 'script' && c.text.includes('tandem_append(') ? connectionLost() : undefined,
        shared: ['reject unavailable', 'reject unavailable', 'reject unavailable'],
        alone: 'reject unavailable',
      },
      {
        name: 'the immediate claim is refused (alone only)',
        plan: (c) => (c.kind === 'query' ? refusal('claim refused') : undefined),
        shared: ['resolve', 'resolve', 'resolve'],
        alone: 'reject claim refused',
      },
      {
        name: 'the claims and audits sent with COMMIT are refused',
        plan: (c) => (c.kind === 'commit' ? refusal('audit refused') : undefined),
        shared: ['alone', 'alone', 'alone'],
        alone: 'reject audit refused',
      },
      {
        name: 'COMMIT is answered ROLLBACK',
        plan: (c) => (c.kind === 'commit' ? new RolledBackError() : undefined),
        shared: ['alone', 'alone', 'alone'],
        alone: 'reject The transaction was rolled back by an earlier error that was caught',
      },
      {
        name: 'the connection is lost on COMMIT',
        plan: (c) => (c.kind === 'commit' ? connectionLost() : undefined),
        shared: ['reject unavailable', 'reject unavailable', 'reject unavailable'],
        alone: 'reject unavailable',
      },
      {
        name: 'COMMIT fails and so does the rollback (the connection is discarded)',
        plan: (c) => (c.kind === 'commit' || c.kind === 'rollback' ? refusal('refused') : undefined),
        shared: ['alone', 'alone', 'alone'],
        alone: 'reject refused',
        failed: true,
      },
      {
        name: 'a key claimed elsewhere fails COMMIT, and the look-up of lost keys fails too',
        plan: (c) =>
          c.kind === 'commit'
            ? refusal('duplicate key', { code: '23505', table: 'tandem_idempotency' })
            : c.kind === 'query'
              ? connectionLost()
              : undefined,
        shared: ['alone', 'alone', 'alone'],
        alone: 'reject unavailable',
      },
    ];

    for (const { name, plan, shared, alone, failed } of cases) {
      it(`${name}`, async () => {
        const group = await runGroup(new FakeSession(plan), three);
        assert.deepEqual(group.outcomes.map(brief), shared, 'a shared group');
        const single = await runGroup(new FakeSession(plan), [three[0] as Work], { alone: true });
        assert.deepEqual(single.outcomes.map(brief), [alone], 'a group of one');
        if (failed === true) assert.ok(group.failed && single.failed, 'the connection is marked failed');
        // Through the store, the first session failing so: every caller settles.
        const { groups } = fakeStore([plan]);
        const settled = await Promise.allSettled(three.map((work) => groups.run(work)));
        assert.equal(settled.length, 3);
      });
    }

    it('a key claimed elsewhere fails COMMIT: only its member runs alone, the others in the next group', async () => {
      const session = new FakeSession((c) =>
        c.kind === 'commit'
          ? refusal('duplicate key', { code: '23505', table: 'tandem_idempotency' })
          : undefined,
      );
      session.committedKeys.add('c-b');
      const { outcomes } = await runGroup(session, three);
      assert.deepEqual(outcomes.map(brief), ['next', 'alone', 'next']);
      // Through the store (no key found committed this time): everyone runs again alone, and commits.
      const { groups } = fakeStore([
        (c) =>
          c.kind === 'commit'
            ? refusal('duplicate key', { code: '23505', table: 'tandem_idempotency' })
            : undefined,
      ]);
      const settled = await Promise.allSettled(three.map((work) => groups.run(work)));
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'fulfilled', 'fulfilled'],
      );
    });

    it('every step failing once, in turn, through the store: every caller settles', async () => {
      // Fails the k-th call the first session makes, whatever it is; later sessions succeed.
      for (let k = 1; k <= 4; k++) {
        for (const failure of [() => refusal('refused'), connectionLost]) {
          let calls = 0;
          const { groups } = fakeStore([() => (++calls === k ? failure() : undefined)]);
          const settled = await Promise.allSettled(three.map((work) => groups.run(work)));
          assert.equal(settled.length, 3);
          for (const s of settled)
            if (s.status === 'rejected')
              assert.ok(s.reason instanceof Error, `step ${k}: ${String(s.reason)}`);
        }
      }
    });

    it('with maxGroup 1, a failure at any step fails only the transaction that met it', async () => {
      let calls = 0;
      const { groups } = fakeStore([() => (++calls === 2 ? refusal('refused') : undefined)], 1);
      const settled = await Promise.allSettled(three.map((work) => groups.run(work)));
      assert.deepEqual(settled.map((s) => s.status).sort(), ['fulfilled', 'fulfilled', 'rejected']);
    });
  });
});
