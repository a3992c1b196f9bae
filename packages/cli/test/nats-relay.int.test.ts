import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Store } from '@tandem/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createCli, loadConfig, openStore, runRelay, runWorker, serve, type AppOptions } from '@tandem/cli';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { counterApp, counterProjection, eventually } from '@tandem/testing';
import { sharedNats } from '../../nats/test/nats-server-harness.js';
import { openSockets } from './open-sockets.js';
import { openCounter } from './fixtures/open-counter.js';

const probe = await sharedNats('cli_probe');
const postgres = await postgresTestUrl();
const schema = `t_cli_relay_${process.pid}_${Date.now().toString(36)}`;
after(() => (postgres === undefined ? undefined : dropSchemas(postgres, [schema])));
const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-relay-'));
const connections: NatsConnection[] = [];
const streams: string[] = [];
after(async () => {
  const nc = connections[0];
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => false); // absent when a test failed early
  }
  for (const connection of connections) await connection.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An app factory as the guide writes one: the command line's relays join its own projections. */
const createApp = (store: Store, options: AppOptions = {}) =>
  counterApp(store, {
    projections: [counterProjection({ name: 'totals' }), ...(options.projections ?? [])],
  });

/** NATS_URL and a stream and prefix of this test's own, and a reader of that stream. */
async function natsEnv(label: string) {
  const names = await sharedNats(label);
  assert.ok(names !== undefined);
  streams.push(names.stream);
  const nc = await connect({ servers: names.url });
  connections.push(nc);
  const messages = async () => {
    try {
      return (await (await jetstreamManager(nc)).streams.info(names.stream)).state.messages;
    } catch {
      return 0; // not created yet: the relay creates it before its first batch
    }
  };
  return {
    env: {
      NATS_URL: names.url,
      TANDEM_NATS_STREAM: names.stream,
      TANDEM_NATS_SUBJECT_PREFIX: names.subjectPrefix,
      TANDEM_LEASE_TTL_MS: '500',
    },
    messages,
  };
}

const databaseUrl = (name: string) => `sqlite:${join(dir, `${name}.db`)}`;
const config = (name: string) =>
  loadConfig({ DATABASE_URL: databaseUrl(name), TANDEM_SECRET: 'x'.repeat(32), PORT: '0' });

describe(
  'the NATS relay from the command line',
  { skip: probe === undefined ? 'no NATS server (see the message above)' : false },
  () => {
    it('closing the worker releases the relay lease and closes its NATS connection', async () => {
      const { env, messages } = await natsEnv('cli_close');
      // Long leases: one the worker did not release would still be live when looked at below.
      const longLeases = { ...env, TANDEM_LEASE_TTL_MS: '60000' };
      const before = openSockets();
      const worker = await runWorker({
        config: config('close'),
        createApp,
        env: longLeases,
        logger: false,
        log: () => {},
      });
      let closed = false;
      try {
        await openCounter(worker.app, 'a');
        await eventually(async () => (await messages()) === 1 || undefined);
        assert.ok(openSockets() > before, 'the relay connection shows among the open sockets');
        assert.ok(worker.app.projections?.owned.includes('relay-nats'));
        await worker.close();
        closed = true;
      } finally {
        if (!closed) await worker.close();
      }
      await eventually(() => openSockets() <= before || undefined, {
        message: 'the relay NATS connection is closed with the worker',
      });
      const store = await openStore(databaseUrl('close'));
      try {
        const leases = (await store.readStore?.().leases.list()) ?? [];
        assert.ok(
          leases.some((lease) => lease.name === 'relay-nats'),
          'it held the relay lease',
        );
        assert.deepEqual(
          leases.filter((lease) => lease.live).map((lease) => lease.name),
          [],
          'every lease released at close (a 60 s lease would still be live otherwise)',
        );
      } finally {
        await store.close();
      }
    });

    it('a start that fails after the relay started (operations port taken) closes its connection', async () => {
      const { env } = await natsEnv('cli_failed');
      // An event waiting, so the relay has a batch to publish (and connects) as soon as it starts.
      const seeding = await runWorker({
        config: config('failed'),
        createApp,
        env: {},
        logger: false,
        log: () => {},
      });
      await openCounter(seeding.app, 'f');
      await seeding.close();
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const address = taken.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const before = openSockets();
      try {
        await assert.rejects(
          runWorker({
            config: config('failed'),
            createApp,
            env: { ...env, TANDEM_OPERATIONS_PORT: String(port) },
            logger: false,
            log: () => {},
          }),
          /EADDRINUSE/,
        );
        await eventually(() => openSockets() <= before || undefined, {
          message: 'the relay connection is closed after the failed start',
        });
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });

    it('tandem worker runs relay-nats in the app daemon: status, owned, health, metrics and the stream', async () => {
      const { env, messages } = await natsEnv('cli_worker');
      const lines: string[] = [];
      const worker = await runWorker({
        config: config('worker'),
        createApp,
        env: { ...env, TANDEM_OPERATIONS_PORT: '0' },
        logger: false,
        log: (l) => lines.push(l),
      });
      try {
        assert.deepEqual(worker.relays, ['relay-nats']);
        const daemon = worker.app.projections;
        assert.ok(daemon !== undefined);
        assert.deepEqual(daemon.projections.map((p) => p.name).sort(), ['relay-nats', 'totals']);
        let head = 0;
        for (const id of ['a', 'b', 'c']) head = await openCounter(worker.app, id);
        assert.ok(await daemon.waitFor(['relay-nats'], head, 10_000), 'read-your-writes on the relay');
        assert.equal(await messages(), 3);
        await eventually(() => daemon.owned.includes('relay-nats') || undefined);
        const relay = (await daemon.status()).find((s) => s.name === 'relay-nats');
        assert.equal(relay?.position, head, 'its checkpoint, in the app status');
        await eventually(async () => {
          const ready = await fetch(`${worker.operationsUrl ?? ''}/health/ready`);
          const body = (await ready.json()) as { projections?: { name: string }[] };
          assert.equal(ready.status, 200, JSON.stringify(body));
          assert.ok(
            body.projections?.some((p) => p.name === 'relay-nats'),
            JSON.stringify(body),
          );
          const metrics = await (await fetch(`${worker.operationsUrl ?? ''}/metrics`)).text();
          assert.match(
            metrics,
            /^tandem_projection_apply_duration_seconds_count\{projection="relay-nats"\} [1-9]/m,
          );
          return true;
        });
        await eventually(() => lines.some((line) => /^holding: .*relay-nats/.test(line)) || undefined);
        // `tandem projections status`, from another process's view of the database, lists it too.
        const out: string[] = [];
        await createCli({
          name: 'tandem',
          description: 'test',
          createApp,
          write: (line) => out.push(line),
          env: { ...env, DATABASE_URL: databaseUrl('worker'), TANDEM_SECRET: 'x'.repeat(32) },
        }).parseAsync(['projections', 'status'], { from: 'user' });
        const row = out.find((line) => line.startsWith('relay-nats\t'))?.split('\t');
        assert.equal(row?.[3], String(head), out.join('\n'));
        assert.ok(
          lines.some((line) => line.startsWith('relay: publishing committed events to NATS')),
          lines.join('\n'),
        );
      } finally {
        await worker.close();
      }
    });

    it('tandem serve runs the relay with its projections, and with --no-projections only shows it', async () => {
      const { env, messages } = await natsEnv('cli_serve');
      const http = await serve({
        config: config('serve-none'),
        createApp,
        env,
        projections: 'none',
        logger: false,
        log: () => {},
      });
      try {
        assert.deepEqual(
          http.app.projections?.projections.map((p) => p.name).sort(),
          ['relay-nats', 'totals'],
          'registered, so health and status list it as they list every projection',
        );
        assert.deepEqual(http.app.projections?.localStatus(), [], 'but not run here');
      } finally {
        await http.close();
      }
      const lines: string[] = [];
      const running = await serve({
        config: config('serve'),
        createApp,
        env,
        logger: false,
        log: (line) => lines.push(line),
      });
      try {
        const position = await openCounter(running.app, 's');
        assert.ok(await running.app.projections?.waitFor(['relay-nats'], position, 10_000));
        assert.equal(await messages(), 1);
        assert.ok(running.app.projections?.owned.includes('relay-nats'));
        assert.ok(
          lines.some((line) => line.startsWith('relay: publishing committed events to NATS')),
          lines.join('\n'),
        );
      } finally {
        await running.close();
      }
    });

    it(
      'a worker and a relay process share relay-nats by lease: closing the holder hands it over, nothing lost or doubled',
      // Two processes in real use; two in this process need a server database (see worker.int.test.ts).
      { skip: postgres === undefined ? 'no PostgreSQL server' : false },
      async () => {
        const { env, messages } = await natsEnv('cli_share');
        const shared = loadConfig({
          DATABASE_URL: `${postgres ?? ''}${postgres?.includes('?') === true ? '&' : '?'}schema=${schema}`,
          TANDEM_SECRET: 'x'.repeat(32),
        });
        const worker = await runWorker({ config: shared, createApp, env, logger: false, log: () => {} });
        const relay = await runRelay({ config: shared, createApp, env, logger: false, log: () => {} }).catch(
          async (error: unknown) => {
            await worker.close();
            throw error;
          },
        );
        const holders = () => [
          worker.app.projections?.owned.includes('relay-nats') === true,
          relay.relays.daemon.owned.includes('relay-nats'),
        ];
        const closers = [() => worker.close(), () => relay.close()];
        try {
          for (const id of ['a', 'b']) await openCounter(worker.app, id);
          await eventually(async () => (await messages()) === 2 || undefined);
          const [inWorker] = await eventually(() => {
            const held = holders();
            return held.filter(Boolean).length === 1 ? held : undefined;
          });
          // Close whichever holds it; the other takes it over from the same checkpoint.
          const [holder, other] = inWorker === true ? [0, 1] : [1, 0];
          await closers[holder]?.();
          closers[holder] = async () => {};
          const survivor = inWorker === true ? relay.app : worker.app;
          let head = 0;
          for (const id of ['c', 'd']) head = await openCounter(survivor, id);
          await eventually(() => holders()[other] || undefined, { message: 'the relay lease moved' });
          await eventually(async () => (await messages()) === 4 || undefined);
          const daemon = inWorker === true ? relay.relays.daemon : worker.app.projections;
          assert.ok(await daemon?.waitFor(['relay-nats'], head, 10_000), 'its checkpoint reached the head');
        } finally {
          for (const close of closers) await close();
        }
      },
    );

    it('refuses to start an app whose factory drops the relay, naming it, and closes what it opened', async () => {
      const { env } = await natsEnv('cli_dropped');
      const before = openSockets();
      const lines: string[] = [];
      await assert.rejects(
        runWorker({
          config: config('dropped'),
          // Ignores AppOptions: the relay would never run.
          createApp: (store: Store) =>
            counterApp(store, { projections: [counterProjection({ name: 'totals' })] }),
          env,
          logger: false,
          log: (line) => lines.push(line),
        }),
        /The app factory dropped relay-nats: .*projections: \[\.\.\.yourProjections, \.\.\.\(options\.projections \?\? \[\]\)\]/,
      );
      // At most: sockets of an earlier test (a closed pool) may still be going away.
      assert.ok(openSockets() <= before, 'nothing connected');
      // The store closed: another process opens it at once (a SQLite file lock would refuse).
      const store = await openStore(databaseUrl('dropped'));
      await store.close();
    });

    it('refuses a NATS_URL that is not nats://, a bad stream name and a RABBITMQ_URL that is not amqp://', async () => {
      for (const [variables, message] of [
        [{ NATS_URL: 'http://u:secret@host:4222' }, /NATS_URL must be nats:\/\/host:port/],
        [{ NATS_URL: 'nats://127.0.0.1:4222', TANDEM_NATS_STREAM: 'a.b' }, /stream name "a\.b"/],
        [
          { RABBITMQ_URL: 'http://u:secret@mq:5672' },
          /RABBITMQ_URL must be amqp:\/\/user:password@host:port/,
        ],
      ] as const) {
        const error = await runWorker({
          config: config('bad'),
          createApp,
          env: variables,
          logger: false,
          log: () => {},
        }).then(
          () => undefined,
          (failed: unknown) => failed,
        );
        assert.ok(error instanceof Error && message.test(error.message), String(error));
        assert.doesNotMatch(error.message, /secret/);
      }
    });

    it('without a relay variable runs none; an app without projections is refused', async () => {
      const worker = await runWorker({
        config: config('plain'),
        createApp,
        env: {},
        logger: false,
        log: () => {},
      });
      assert.deepEqual(worker.relays, []);
      assert.deepEqual(
        worker.app.projections?.projections.map((p) => p.name),
        ['totals'],
      );
      await worker.close();
      await assert.rejects(
        runWorker({
          config: config('none'),
          createApp: (store: Store) => counterApp(store),
          env: {},
          logger: false,
          log: () => {},
        }),
        /declares no projections \(and neither NATS_URL nor RABBITMQ_URL configures a relay\)/,
      );
    });

    it('tandem relay runs only the relay, and needs a relay variable', async () => {
      const { env, messages } = await natsEnv('cli_relay');
      const relay = await runRelay({ config: config('relay'), createApp, env, logger: false, log: () => {} });
      try {
        assert.deepEqual(relay.app.projections?.localStatus(), [], 'none of the app projections runs here');
        assert.deepEqual(relay.relays.names, ['relay-nats']);
        const position = await openCounter(relay.app, 'r');
        assert.ok(await relay.relays.daemon.waitFor(['relay-nats'], position, 10_000));
        assert.equal(await messages(), 1);
      } finally {
        await relay.close();
      }
      await assert.rejects(
        runRelay({ config: config('relay-none'), createApp, env: {}, logger: false, log: () => {} }),
        /tandem relay needs NATS_URL \(nats:\/\/host:4222\) or RABBITMQ_URL/,
      );
    });
  },
);
