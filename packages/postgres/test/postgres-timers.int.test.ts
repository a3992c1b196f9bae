import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CommandBus, defineCommand, reject, Upcasters } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { alice, objectSchema, optional, str } from '@tandem/testing';

const url = await postgresTestUrl();
const schemas: string[] = [];
const run = `${process.pid}_${Date.now().toString(36)}`;

/** Schedules `timerId` a minute on, on stream `stream`; refuses after scheduling when `refuse` is set. */
const Remind = defineCommand({
  type: 'Remind',
  schema: objectSchema<{ timerId: string; stream: string; refuse?: string }>({
    timerId: str,
    stream: str,
    refuse: optional(str),
  }),
}).stateStored(async ({ data, timers }) => {
  timers.schedule({ timerId: data.timerId, afterMs: 60_000, command: { type: 'Ping', data: {} } });
  if (data.refuse !== undefined) reject(data.refuse);
  return [{ streamId: data.stream, events: [{ type: 'Reminded', data: {} }] }];
});

async function open(maxGroup?: number, reuse?: string) {
  const schema = reuse ?? `t_timers_${run}_${schemas.length}`;
  if (reuse === undefined) schemas.push(schema);
  return openPostgresStore({
    connectionString: url as string,
    schema,
    pollIntervalMs: 20,
    ...(maxGroup === undefined ? {} : { maxGroup }),
  });
}

if (url === undefined) {
  describe('PostgreSQL timers under group commit', () => {
    it('needs a PostgreSQL server', { skip: 'no PostgreSQL server (see the message above)' }, () => {});
  });
} else {
  after(() => dropSchemas(url, schemas));

  describe('PostgreSQL timers under group commit', () => {
    it('keeps the timers of the commands that commit, and none of those refused, in shared groups', async () => {
      const store = await open();
      try {
        const bus = new CommandBus({ store, commands: [Remind], upcasters: new Upcasters() });
        const outcomes = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            bus.execute({
              type: 'Remind',
              data: { timerId: `t-${i}`, stream: `s-${i}`, ...(i % 4 === 3 ? { refuse: 'no' } : {}) },
              user: alice,
              commandId: `c-${i}`,
            }),
          ),
        );
        outcomes.forEach((outcome, i) =>
          assert.equal(outcome.ok, i % 4 !== 3, `command ${i}: ${outcome.ok ? 'ok' : outcome.error.message}`),
        );
        const pending = await store.timers.list({ state: 'pending', limit: 100 });
        const expected = Array.from({ length: 40 }, (_, i) => i)
          .filter((i) => i % 4 !== 3)
          .map((i) => `t-${i}`);
        assert.deepEqual(pending.map((t) => t.timerId).sort(), expected.sort());
        for (const timer of pending) assert.equal(timer.causationId, `c-${timer.timerId.slice(2)}`);
        assert.equal((await store.timers.summary()).pending, 30);
      } finally {
        await store.close();
      }
    });

    it('settles a timer fired by concurrent transactions once', async () => {
      const store = await open();
      try {
        await store.transaction((tx) =>
          tx.timers.schedule({
            timerId: 'once',
            at: '2020-01-01T00:00:00.000Z',
            command: { type: 'Ping', data: {} },
            user: alice,
          }),
        );
        const [due] = await store.timers.due(1);
        assert.ok(due !== undefined);
        const tries = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            store.transaction(async (tx) => {
              if (!(await tx.timers.markFired(due.id, i + 1))) throw new Error('not pending');
              return i + 1;
            }),
          ),
        );
        const fired = tries.filter((t) => t.status === 'fulfilled');
        assert.equal(fired.length, 1, JSON.stringify(tries.map((t) => t.status)));
        const [timer] = await store.timers.list({ timerId: 'once' });
        assert.equal(timer?.state, 'fired');
        assert.equal(timer?.position, (fired[0] as PromiseFulfilledResult<number>).value);
        assert.deepEqual(await store.timers.due(10), []);
      } finally {
        await store.close();
      }
    });

    it('counts a delay from the database clock, read in the scheduling statement', async () => {
      const store = await open();
      try {
        const before = (await store.timers.now()).getTime();
        await store.transaction((tx) =>
          tx.timers.schedule({
            timerId: 'db-clock',
            afterMs: 0,
            command: { type: 'Ping', data: {} },
            user: alice,
          }),
        );
        const after = (await store.timers.now()).getTime();
        const [timer] = await store.timers.list();
        const due = Date.parse(timer?.dueAt ?? '');
        assert.ok(due >= before - 1 && due <= after + 1, `due ${timer?.dueAt} within the database's now`);
      } finally {
        await store.close();
      }
    });

    it('keeps pending timers through a restart of the store', async () => {
      const first = await open();
      const schema = schemas.at(-1) as string;
      try {
        await first.transaction((tx) =>
          tx.timers.schedule({
            timerId: 'kept',
            afterMs: 3_600_000,
            command: { type: 'Ping', data: {} },
            user: alice,
          }),
        );
      } finally {
        await first.close();
      }
      const second = await open(undefined, schema);
      try {
        const [kept] = await second.timers.list();
        assert.equal(kept?.timerId, 'kept');
        assert.equal(kept?.state, 'pending');
        assert.equal(await second.timers.nextDue(), kept?.dueAt);
      } finally {
        await second.close();
      }
    });
  });
}
