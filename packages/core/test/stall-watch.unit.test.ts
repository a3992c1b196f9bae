import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventStore, ProjectionLogger, ReadBarrier } from '@tandem/core';
import type { ProjectionRunner } from '../src/projections/projection-runner.js';
import { StallWatch } from '../src/projections/stall-watch.js';

/** A runner as the watch sees it: its state, checkpoint and retry. */
function runner(state: string, position: number): ProjectionRunner & { state: string; position: number } {
  return {
    state,
    position,
    projectionName: 'orders',
    namespace: 'orders@1',
    retrying: undefined,
    lease: undefined,
  } as unknown as ProjectionRunner & { state: string; position: number };
}

function watch(log: { head: number; barrier?: ReadBarrier }) {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const lines: { level: string; message: string; details: Record<string, unknown> }[] = [];
  const at = (level: string) => (details: object, message: string) =>
    lines.push({ level, message, details: details as Record<string, unknown> });
  const logger: ProjectionLogger = { error: at('error'), warn: at('warn'), info: at('info') };
  const events = {
    headPosition: async () => log.head,
    readBarrier: async () => log.barrier,
  } as unknown as EventStore;
  const stalls = new StallWatch({ events, clock: () => new Date(now), stallAfterMs: 5_000, logger });
  return {
    stalls,
    lines,
    advance: (ms: number) => (now += ms),
    look: async (runners: ProjectionRunner[]) => stalls.look(runners, await stalls.view()),
  };
}

describe('stall watch', () => {
  it('calls a paused runner with events waiting stalled, with cause paused, after the threshold', async () => {
    const { stalls, look, advance, lines } = watch({ head: 10 });
    const paused = runner('paused', 4);
    await look([paused]);
    advance(4_999);
    await look([paused]);
    assert.equal(stalls.stallOf(paused), undefined, 'not before the threshold');
    advance(1);
    await look([paused]);
    assert.equal(stalls.stallOf(paused)?.cause, 'paused');
    assert.equal(stalls.stallOf(paused)?.since, '2026-01-01T00:00:00.000Z');
    assert.equal(lines.filter((l) => l.level === 'warn').length, 1);
  });

  it('never calls a caught-up runner stalled, however long it waits; the clock starts when events wait', async () => {
    const log = { head: 4 };
    const { stalls, look, advance } = watch(log);
    const idle = runner('running', 4);
    await look([idle]);
    advance(60_000);
    await look([idle]);
    assert.equal(stalls.stallOf(idle), undefined);
    log.head = 5;
    advance(1_000);
    await look([idle]);
    assert.equal(stalls.stallOf(idle), undefined, 'one second of waiting is no stall');
    advance(5_000);
    await look([idle]);
    assert.equal(stalls.stallOf(idle)?.cause, 'unknown');
  });

  it('clears a stall once the checkpoint moves, and logs that once', async () => {
    const { stalls, look, advance, lines } = watch({ head: 10 });
    const slow = runner('catching-up', 4);
    await look([slow]);
    advance(5_000);
    await look([slow]);
    assert.ok(stalls.stallOf(slow) !== undefined);
    slow.position = 6;
    await look([slow]);
    assert.equal(stalls.stallOf(slow), undefined);
    assert.deepEqual(
      lines.map((l) => [l.level, l.details.cause]),
      [
        ['warn', 'unknown'],
        ['info', 'unknown'],
      ],
    );
  });

  it('does not call a runner stopped on an error stalled: that is its own state', async () => {
    const { stalls, look, advance } = watch({ head: 10 });
    const stopped = runner('stopped-on-error', 4);
    await look([stopped]);
    advance(10_000);
    await look([stopped]);
    assert.equal(stalls.stallOf(stopped), undefined);
  });
});
