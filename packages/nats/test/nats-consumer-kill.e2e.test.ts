import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConsumerStatus } from '../src/index.js';
import { eventually } from '@tandem/testing';
import {
  consumerDatabases,
  createRelayStream,
  effectCounts,
  makeEvents,
  openConsumerStore,
  publishEvents,
} from './consumer-fixture.js';
import { sharedNats } from './nats-server-harness.js';

const child = new URL('./consumer-kill-child.ts', import.meta.url).pathname;
const reachable = await sharedNats('probe');
const databases = await consumerDatabases();
const children: ChildProcess[] = [];
after(async () => {
  for (const running of children) running.kill('SIGKILL');
  for (const database of databases) await database.cleanup();
});

interface Run {
  readonly process: ChildProcess;
  /** The last status line it printed. */
  status(): NatsConsumerStatus | undefined;
  /** Resolves with the signal or exit code it ended with, and its output. */
  readonly ended: Promise<{ readonly how: string; readonly output: string }>;
}

function startChild(env: Record<string, string>): Run {
  const spawned = spawn(process.execPath, ['--import', 'tsx', child], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(spawned);
  let output = '';
  let status: NatsConsumerStatus | undefined;
  spawned.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const line of chunk.split('\n'))
      if (line.startsWith('status ')) status = JSON.parse(line.slice('status '.length)) as NatsConsumerStatus;
  });
  spawned.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const ended = new Promise<{ how: string; output: string }>((resolve) =>
    spawned.once('exit', (code, signal) => resolve({ how: signal ?? String(code), output })),
  );
  return { process: spawned, status: () => status, ended };
}

for (const database of databases) {
  describe(
    `NATS consumer killed between commit and ack (${database.kind})`,
    {
      skip: reachable === undefined && 'no NATS server',
    },
    () => {
      it('applies nothing twice: after each restart the inbox skips the redelivered messages', async () => {
        const names = await sharedNats('kill');
        if (names === undefined) throw new Error('the shared NATS server went away');
        const nc = await connect({ servers: names.url });
        const store = await openConsumerStore(database.env.CONSUMER_STORE);
        try {
          await createRelayStream(nc, names.stream, names.subjectPrefix);
          const events = makeEvents(30, 6);
          await publishEvents(nc, names.subjectPrefix, events);
          const env = {
            ...database.env,
            NATS_URL: names.url,
            STREAM: names.stream,
            PREFIX: names.subjectPrefix,
            DURABLE: `kill_${database.kind}`,
            ACK_WAIT_MS: '1500',
          };
          const counts = async () => {
            const all = await effectCounts(store);
            return events.map((event) => all.get(event.eventId) ?? 0);
          };

          let applied = 0;
          for (let round = 0; round < 3; round++) {
            const run = startChild({ ...env, KILL_AFTER_COMMITS: '4' });
            const { how, output } = await run.ended;
            assert.equal(how, 'SIGKILL', `round ${round}: the child killed itself after a commit\n${output}`);
            const now = await counts();
            assert.ok(
              now.every((n) => n <= 1),
              `round ${round}: nothing applied twice: ${now.join(',')}`,
            );
            const total = now.reduce((a, b) => a + b, 0);
            assert.ok(total >= applied + 1, `round ${round}: it committed before dying (${total} applied)`);
            applied = total;
          }

          const last = startChild(env);
          await eventually(
            async () => {
              assert.deepEqual(
                await counts(),
                events.map(() => 1),
              );
              const status = last.status();
              // The message committed right before the last kill comes again and is skipped.
              assert.ok(
                (status?.duplicatesSkipped ?? 0) >= 1,
                `a redelivery was skipped: ${JSON.stringify(status)}`,
              );
              const info = await (await jetstreamManager(nc)).consumers.info(names.stream, env.DURABLE);
              assert.equal(info.num_pending + info.num_ack_pending, 0, 'everything acknowledged');
              return true;
            },
            { timeoutMs: 30_000 },
          );
          last.process.kill('SIGTERM');
          const { how, output } = await last.ended;
          assert.equal(how, '0', output);
          assert.equal(last.status()?.deadLettered, 0);
          assert.deepEqual(
            await counts(),
            events.map(() => 1),
            'still once each after the clean stop',
          );
        } finally {
          // Clean-up only: a stream the failed run never created is nothing to delete. The
          // consumers' dead-letter stream goes too (created at their start, empty here).
          const jsm = await jetstreamManager(nc);
          for (const stream of [names.stream, `${names.stream}_DEAD_LETTERS`])
            await jsm.streams.delete(stream).catch(() => false);
          await nc.close();
          await store.close();
        }
      });
    },
  );
}
