import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Store } from '@tandem/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openSqliteStore } from '@tandem/sqlite';
import {
  admin,
  bundleChild,
  counterApp,
  eventually,
  incrementLoad,
  killPoints,
  readWholeLog,
  startRelayChild,
} from '@tandem/testing';
import { sharedNats, startNatsServer } from './nats-server-harness.js';
import { exactlyOnceInOrder, storedEvents } from './relayed-events.js';

const probe = await sharedNats('relay_kill_probe');
/** Kills of the relay (20 by default, as the issue asks) and NATS restarts; raise them for a soak. */
const kills = Number(process.env.TANDEM_RELAY_KILLS ?? 20);
const restarts = Number(process.env.TANDEM_RELAY_NATS_RESTARTS ?? 2);
const dir = mkdtempSync(join(tmpdir(), 'tandem-relay-kill-'));
// Bundled once (bundleChild): each child starts in a fraction of a second, not through tsx.
const { file: child } = await bundleChild(
  new URL('./fixtures/relay-child.ts', import.meta.url).pathname,
  'relay-child',
);
const connections: NatsConnection[] = [];
const streams: string[] = [];
after(async () => {
  const nc = connections[0];
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => false); // never created when a test failed early
  }
  for (const connection of connections) await connection.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A relay child (fixtures/relay-child.ts, bundled); `finish(position)` asks it to catch up and exit. */
const relay = (env: Record<string, string>) => startRelayChild([child], env);

/** Commands appended without pause by three concurrent callers until `stop()`. */
const load = (app: Awaited<ReturnType<typeof counterApp>>, counters: number) =>
  incrementLoad(app, { counters, writers: 3 });

/** An app on a fresh SQLite file, with `counters` counters opened. */
async function freshApp(name: string, counters: number) {
  const database = join(dir, `${name}.db`);
  const store = await openSqliteStore({ filename: database });
  const app = await counterApp(store);
  for (let i = 0; i < counters; i++)
    await app.execute({
      type: 'OpenCounter',
      data: { counterId: `c${i}` },
      user: admin,
      commandId: `open-c${i}`,
    });
  return { database, store, app };
}

/** Runs a relay until it has published everything up to the log's head, then checks it exited cleanly. */
async function catchUp(store: Store, env: Record<string, string>) {
  const last = relay(env);
  last.finish(await store.events.headPosition());
  const outcome = await last.ended;
  assert.equal(outcome.code, 0, outcome.output);
  assert.match(outcome.output, /caught-up/, outcome.output);
}

describe(
  'NATS relay under kills and restarts',
  { skip: probe === undefined ? 'no NATS server (see the message above)' : false },
  () => {
    it(`SIGKILLed mid-batch ${kills} times under load: the stream holds every committed event once, in order`, async () => {
      const names = await sharedNats('relay_kill');
      assert.ok(names !== undefined);
      streams.push(names.stream);
      const { database, store, app } = await freshApp('kill', 12);
      const env = {
        DATABASE: database,
        NATS_URL: names.url,
        STREAM: names.stream,
        PREFIX: names.subjectPrefix,
      };
      const writing = load(app, 12);
      try {
        for (let kill = 0; kill < kills; kill++) {
          const outcome = await relay({
            ...env,
            KILL_AT: String(1 + (kill % 2)),
            KILL_POINT: killPoints[kill % killPoints.length] ?? 'sent',
          }).ended;
          assert.equal(
            outcome.signal,
            'SIGKILL',
            `kill ${kill}: the relay was killed mid-batch\n${outcome.output}`,
          );
        }
      } finally {
        await writing.stop();
      }
      assert.ok(writing.committed() > 100, `commands were appended under load (${writing.committed()})`);
      await catchUp(store, env);
      const nc = await connect({ servers: names.url });
      connections.push(nc);
      const committed = await readWholeLog(store.events);
      assert.equal(exactlyOnceInOrder(await storedEvents(nc, names.stream), committed), '');
      await app.close();
    });

    it('negative control: a relay that checkpoints before the acknowledgement loses events in the same scenario', async () => {
      const names = await sharedNats('relay_kill_naive');
      assert.ok(names !== undefined);
      streams.push(names.stream);
      const { database, store, app } = await freshApp('naive', 12);
      const env = {
        DATABASE: database,
        NATS_URL: names.url,
        STREAM: names.stream,
        PREFIX: names.subjectPrefix,
        VARIANT: 'checkpoint-before-ack',
      };
      const writing = load(app, 12);
      try {
        for (let kill = 0; kill < 3; kill++) {
          const outcome = await relay({
            ...env,
            KILL_AT: String(2 + (kill % 3)),
            KILL_POINT: killPoints[kill % killPoints.length] ?? 'sent',
          }).ended;
          assert.equal(outcome.signal, 'SIGKILL', outcome.output);
        }
      } finally {
        await writing.stop();
      }
      await catchUp(store, env);
      const nc = await connect({ servers: names.url });
      connections.push(nc);
      assert.match(
        exactlyOnceInOrder(await storedEvents(nc, names.stream), await readWholeLog(store.events)),
        /^missing /,
        'events whose checkpoint moved before they were acknowledged are lost',
      );
      await app.close();
    });

    it('recovers by itself from NATS restarts during a run and loses nothing', async () => {
      const server = await startNatsServer();
      const reader = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      const { database, store, app } = await freshApp('restart', 8);
      const env = {
        DATABASE: database,
        NATS_URL: server.url,
        STREAM: 'RELAY',
        PREFIX: 'relay',
        ACK_TIMEOUT_MS: '1000',
      };
      const writing = load(app, 8);
      const running = relay(env);
      try {
        const stored = async () =>
          (await (await jetstreamManager(reader)).streams.info('RELAY')).state.messages;
        for (let restart = 0; restart < restarts; restart++) {
          // A baseline only: if the stream cannot be read yet, count from 0; the next wait still
          // demands 50 more messages stored after it, so nothing is let through.
          const before = await eventually(stored, { timeoutMs: 20_000 }).catch(() => 0);
          await eventually(async () => (await stored()) > before + 50 || undefined, { timeoutMs: 20_000 });
          await server.restart();
        }
        await writing.stop();
        running.finish(await store.events.headPosition());
        const outcome = await running.ended;
        assert.equal(outcome.code, 0, outcome.output);
        const committed = await readWholeLog(store.events);
        assert.equal(
          exactlyOnceInOrder(await eventually(() => storedEvents(reader, 'RELAY')), committed),
          '',
        );
      } finally {
        await writing.stop();
        await reader.close();
        await server.stop();
        await app.close();
      }
    });
  },
);
