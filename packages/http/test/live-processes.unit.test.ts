import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobStatus, LeaseInfo, LocalProjectionStatus } from '@tandem/core';
import { liveProcesses } from '../src/live-processes.js';

function lease(name: string, owner: string, live = true): LeaseInfo {
  return { name, owner, epoch: 1, expiresAt: new Date(0).toISOString(), live };
}

function job(name: string, state: JobStatus['state']): JobStatus {
  return { name, state, runs: 0 };
}

function runner(name: string, owner: string | undefined): LocalProjectionStatus {
  return {
    name,
    namespace: `${name}@1`,
    state: 'running',
    position: 0,
    lastError: undefined,
    stall: undefined,
    owner,
    epoch: undefined,
  };
}

describe('live processes', () => {
  it('groups live leases by owner: projections (partitions once) and jobs, this process marked', () => {
    const processes = liveProcesses(
      [
        lease('orders#0', 'web-1'),
        lease('orders#1', 'web-2'),
        lease('orders#2', 'web-1'),
        lease('stock', 'web-2'),
        lease('tandem-scheduler', 'web-2'),
        lease('emails', 'gone', false),
      ],
      [job('tandem-scheduler', 'standby')],
      [runner('orders', 'web-1')],
    );
    assert.deepEqual(processes, [
      { owner: 'web-1', projections: ['orders'], jobs: [], self: true },
      { owner: 'web-2', projections: ['orders', 'stock'], jobs: ['tandem-scheduler'], self: false },
    ]);
  });

  it('knows itself by the jobs it runs when it holds no projection', () => {
    const processes = liveProcesses(
      [lease('tandem-scheduler', 'worker-1'), lease('orders', 'worker-2')],
      [job('tandem-scheduler', 'running')],
      [],
    );
    assert.deepEqual(
      processes.map((p) => [p.owner, p.self]),
      [
        ['worker-1', true],
        ['worker-2', false],
      ],
    );
  });

  it('lists the projections a process runs without leases under its jobs owner, or local', () => {
    assert.deepEqual(
      liveProcesses(
        [lease('tandem-scheduler', 'process:1')],
        [job('tandem-scheduler', 'running')],
        [runner('orders', undefined)],
      ),
      [{ owner: 'process:1', projections: ['orders'], jobs: ['tandem-scheduler'], self: true }],
    );
    assert.deepEqual(liveProcesses([], [], [runner('orders', undefined)]), [
      { owner: 'local', projections: ['orders'], jobs: [], self: true },
    ]);
    assert.deepEqual(liveProcesses([], [], []), []);
  });
});
