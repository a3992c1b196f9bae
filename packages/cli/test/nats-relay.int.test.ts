import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Store } from '@tandem/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig, runRelay, runWorker } from '@tandem/cli';
import { alice, counterApp, counterProjection, eventually } from '@tandem/testing';
import { sharedNats } from '../../nats/test/nats-server-harness.js';

const probe = await sharedNats('cli_probe');
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

const createApp = (store: Store) =>
  counterApp(store, { projections: [counterProjection({ name: 'totals' })] });

/** NATS_URL and a stream and prefix of this test's own, and a reader of that stream. */
async function natsEnv(label: string) {
  const names = await sharedNats(label);
  assert.ok(names !== undefined);
  streams.push(names.stream);
  const nc = await connect({ servers: names.url });
  connections.push(nc);
  const messages = async () => (await (await jetstreamManager(nc)).streams.info(names.stream)).state.messages;
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

const config = (name: string) =>
  loadConfig({ DATABASE_URL: `sqlite:${join(dir, `${name}.db`)}`, TANDEM_SECRET: 'x'.repeat(32) });

describe(
  'the NATS relay from the command line',
  { skip: probe === undefined ? 'no NATS server (see the message above)' : false },
  () => {
    it('tandem worker runs the relay beside the projections when NATS_URL is set', async () => {
      const { env, messages } = await natsEnv('cli_worker');
      const lines: string[] = [];
      const worker = await runWorker({
        config: config('worker'),
        createApp,
        env,
        logger: false,
        log: (l) => lines.push(l),
      });
      try {
        assert.equal(worker.relay?.name, 'relay-nats');
        for (const id of ['a', 'b', 'c'])
          assert.ok(
            (
              await worker.app.execute({
                type: 'OpenCounter',
                data: { counterId: id },
                user: alice,
                commandId: `open-${id}`,
              })
            ).ok,
          );
        await eventually(async () => {
          assert.equal(await messages(), 3);
          return true;
        });
        await eventually(() => lines.some((line) => /^holding: .*relay-nats/.test(line)) || undefined);
        assert.ok(
          lines.some((line) => line.startsWith('relay: publishing committed events to NATS')),
          lines.join('\n'),
        );
      } finally {
        await worker.close();
      }
    });

    it('tandem worker without NATS_URL runs no relay, and refuses a NATS_URL that is not nats://', async () => {
      const worker = await runWorker({
        config: config('plain'),
        createApp,
        env: {},
        logger: false,
        log: () => {},
      });
      assert.equal(worker.relay, undefined);
      await worker.close();
      await assert.rejects(
        runWorker({
          config: config('bad'),
          createApp,
          env: { NATS_URL: 'http://host:4222' },
          logger: false,
          log: () => {},
        }),
        /NATS_URL must be nats:\/\/host:port/,
      );
    });

    it('tandem relay runs only the relay, and needs NATS_URL', async () => {
      const { env, messages } = await natsEnv('cli_relay');
      const relay = await runRelay({ config: config('relay'), createApp, env, logger: false, log: () => {} });
      try {
        assert.deepEqual(relay.app.projections?.localStatus(), [], 'none of the app projections runs here');
        const opened = await relay.app.execute({
          type: 'OpenCounter',
          data: { counterId: 'r' },
          user: alice,
          commandId: 'open-r',
        });
        assert.ok(opened.ok);
        assert.ok(await relay.relay.daemon.waitFor([relay.relay.name], opened.result.position, 10_000));
        assert.equal(await messages(), 1);
      } finally {
        await relay.close();
      }
      await assert.rejects(
        runRelay({ config: config('relay-none'), createApp, env: {}, logger: false, log: () => {} }),
        /tandem relay needs NATS_URL/,
      );
    });
  },
);
