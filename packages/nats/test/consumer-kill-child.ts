// A consumer process for nats-consumer-kill.e2e.test.ts. With KILL_AFTER_COMMITS=n it SIGKILLs
// itself right after the transaction that applied its n-th event commits, before the consumer gets
// to acknowledge the message: the crash the inbox exists for. The hook is this script's wrapper
// around the store, not an option of the consumer. On SIGTERM it stops cleanly and exits.
import type { Store } from '@tandem/core';
import { createNatsConsumer } from '../src/index.js';
import { openConsumerStore, recordEffect } from './consumer-fixture.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`consumer child: ${name} is not set`);
  return value;
}

const killAfter = Number(process.env.KILL_AFTER_COMMITS ?? '0');
const inner = await openConsumerStore(env('CONSUMER_STORE'));
let applied = 0;
let killNow = false;

const store: Store = {
  name: inner.name,
  events: inner.events,
  idempotency: inner.idempotency,
  audit: inner.audit,
  timers: inner.timers,
  migrate: (owner, migrations) => inner.migrate(owner, migrations),
  close: () => inner.close(),
  async transaction(work) {
    const result = await inner.transaction(work);
    // Committed; the consumer acknowledges only after this returns, and it never will.
    if (killNow) process.kill(process.pid, 'SIGKILL');
    return result;
  },
};

const consumer = createNatsConsumer({
  servers: env('NATS_URL'),
  stream: env('STREAM'),
  subjectPrefix: env('PREFIX'),
  durable: env('DURABLE'),
  ackWaitMs: Number(env('ACK_WAIT_MS')),
  retryDelayMs: 50,
  store,
  handle: async (event, tx) => {
    await recordEffect(event, tx);
    applied += 1;
    if (killAfter > 0 && applied >= killAfter) killNow = true;
  },
});

let last = '';
const report = setInterval(() => {
  const line = JSON.stringify(consumer.status());
  if (line !== last) process.stdout.write(`status ${line}\n`);
  last = line;
}, 50);

process.once('SIGTERM', () => {
  clearInterval(report);
  consumer
    .stop()
    .then(async () => {
      process.stdout.write(`status ${JSON.stringify(consumer.status())}\n`);
      await inner.close();
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error('consumer child: stop failed', error);
      process.exit(1);
    });
});

await consumer.start();
process.stdout.write('ready\n');
