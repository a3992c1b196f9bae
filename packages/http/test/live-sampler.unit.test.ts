import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tandem, TimerSummary } from '@tandem/core';
import { Readiness, type LiveSample } from '@tandem/http';
import { eventually } from '@tandem/testing';
import type { FastifyBaseLogger } from 'fastify';
import { LiveSampler } from '../src/live-sampler.js';
import { RingBuffer } from '../src/ring-buffer.js';

/** An app without projections whose head is whatever `head()` answers (or throws). */
function app(head: () => Promise<number>): Tandem {
  return {
    jobs: () => [],
    timers: {
      summary: async (): Promise<TimerSummary> => ({
        pending: 0,
        overdue: 0,
        fired: 0,
        refused: 0,
        cancelled: 0,
        now: new Date(0).toISOString(),
      }),
    },
    events: { headPosition: head },
    commands: { onSettled: () => () => true },
    projections: undefined,
  } as unknown as Tandem;
}

/** A logger that keeps what it is told at warn and info. */
function logger() {
  const lines: string[] = [];
  const log = {
    warn: (_details: unknown, message: string) => lines.push(`warn ${message}`),
    info: (message: string) => lines.push(`info ${message}`),
    error: (_details: unknown, message: string) => lines.push(`error ${message}`),
  } as unknown as FastifyBaseLogger;
  return { lines, log };
}

describe('live sampler', () => {
  it('makes a failed look a sample that is not ready, and logs an outage once, not per tick', async () => {
    let down = false;
    const tandem = app(async () => {
      if (down) throw new Error('connect ECONNREFUSED');
      return 7;
    });
    const { lines, log } = logger();
    const sampler = new LiveSampler({
      tandem,
      readiness: new Readiness(tandem),
      intervalMs: 10,
      logger: log,
    });
    const samples: LiveSample[] = [];
    sampler.subscribe((sample) => samples.push(sample));
    await eventually(() => samples.length >= 2, { message: 'sampled while up' });
    down = true;
    const outage = samples.length;
    await eventually(() => samples.length >= outage + 5, { message: 'sampled while down' });
    down = false;
    await eventually(() => samples.at(-1)?.ready === true && samples.length > outage + 5, {
      message: 'sampled when up again',
    });
    await sampler.close();
    const failed = samples.filter((s) => !s.ready);
    assert.ok(failed.length >= 4, `${failed.length} failed samples`);
    for (const sample of failed) {
      assert.equal(sample.head, 7, 'the last head seen');
      assert.deepEqual(
        sample.causes.map((c) => c.kind),
        ['store-unreachable'],
      );
      assert.match(sample.causes[0]?.message ?? '', /ECONNREFUSED/);
    }
    assert.deepEqual(lines, [
      'warn live overview: the store cannot be read; samples are not ready',
      'info live overview: the store can be read again',
    ]);
    assert.deepEqual(
      sampler.history().map((s) => s.at),
      samples.map((s) => s.at),
      'the history holds what was sent',
    );
  });

  it('never overlaps looks: a tick during a slow look is skipped', async () => {
    let running = 0;
    let most = 0;
    let looks = 0;
    const tandem = app(async () => {
      running += 1;
      looks += 1;
      most = Math.max(most, running);
      // Each look takes about five intervals.
      await new Promise((resolve) => setTimeout(resolve, 50));
      running -= 1;
      return 1;
    });
    const sampler = new LiveSampler({
      tandem,
      readiness: new Readiness(tandem),
      intervalMs: 10,
      logger: logger().log,
    });
    const samples: LiveSample[] = [];
    sampler.subscribe((sample) => samples.push(sample));
    await eventually(() => samples.length >= 3, { message: 'three slow samples' });
    await sampler.close();
    assert.equal(most, 1, 'one look at a time');
    assert.equal(running, 0, 'close waited for the look under way');
    // The look that close() waited for is not sent: nobody listens after a close.
    assert.ok(looks === samples.length || looks === samples.length + 1, `${looks} looks`);
  });

  it('does not sample before its first subscriber, nor after close', async () => {
    let looks = 0;
    const tandem = app(async () => {
      looks += 1;
      return 1;
    });
    const sampler = new LiveSampler({
      tandem,
      readiness: new Readiness(tandem),
      intervalMs: 10,
      logger: logger().log,
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(looks, 0);
    const stop = sampler.subscribe(() => undefined);
    await eventually(() => looks >= 2);
    stop();
    const before = looks;
    await eventually(() => looks > before, { message: 'goes on without subscribers' });
    await sampler.close();
    const closed = looks;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(looks, closed);
  });
});

describe('ring buffer', () => {
  it('keeps the last items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    assert.deepEqual(ring.toArray(), []);
    ring.push(1);
    ring.push(2);
    assert.deepEqual(ring.toArray(), [1, 2]);
    for (const n of [3, 4, 5]) ring.push(n);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
    assert.throws(() => new RingBuffer(0), RangeError);
  });
});
