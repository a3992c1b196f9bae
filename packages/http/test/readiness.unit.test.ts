import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobStatus, ProjectionStatus, Tandem, TimerSummary } from '@tandem/core';
import { Readiness } from '@tandem/http';

/** A status with `lagSeconds` of lag and nothing else wrong. */
function lagging(lagSeconds: number): ProjectionStatus {
  return {
    name: 'orders',
    version: 1,
    namespace: 'orders@1',
    state: 'catching-up',
    position: 10,
    head: 500,
    lagEvents: 490,
    lagSeconds,
    heldBack: undefined,
    parked: 0,
    lastError: undefined,
    stall: undefined,
    owner: undefined,
    epoch: undefined,
    updatedAt: undefined,
  };
}

/** No timers, no jobs: what the projection cases' apps report of them. */
const noTimers = {
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
};

/** An app whose only projection reports `lag()` seconds of lag. */
function app(lag: () => number): Tandem {
  return {
    ...noTimers,
    events: { headPosition: async () => 500 },
    projections: { localStatus: () => [], overview: async () => [lagging(lag())] },
  } as unknown as Tandem;
}

describe('readiness: lag over its bound for its grace period', () => {
  it('stays ready through the grace, then names the lag; recovers as soon as lag is back under the bound', async () => {
    let now = 0;
    let lag = 45;
    const readiness = new Readiness(
      app(() => lag),
      { maxLagSeconds: 30, lagGraceSeconds: 60, now: () => now },
    );
    assert.equal((await readiness.check()).ready, true, 'lag over the bound starts the grace');
    now = 59_000;
    assert.equal((await readiness.check()).ready, true, 'still within the grace');
    now = 60_000;
    const report = await readiness.check();
    assert.equal(report.ready, false);
    assert.deepEqual(
      report.causes.map((c) => [c.kind, c.projection]),
      [['lagging', 'orders']],
    );
    lag = 5;
    now = 61_000;
    assert.equal((await readiness.check()).ready, true);
    lag = 45;
    now = 62_000;
    assert.equal((await readiness.check()).ready, true, 'a new spell of lag starts a new grace');
  });

  it('counts lag at the bound as within it', async () => {
    let now = 0;
    const readiness = new Readiness(
      app(() => 30),
      { maxLagSeconds: 30, lagGraceSeconds: 0, now: () => now },
    );
    now = 1;
    assert.equal((await readiness.check()).ready, true);
  });
});

describe('readiness: relays', () => {
  /** `name` stalled by an outage of what it writes to. */
  const stalled = (name: string): ProjectionStatus => ({
    ...lagging(3),
    name,
    namespace: `${name}@1`,
    state: 'stalled',
    stall: { cause: 'retrying', message: 'connection refused', since: new Date(0).toISOString() },
  });
  const appWith = (statuses: ProjectionStatus[]): Tandem =>
    ({
      ...noTimers,
      events: { headPosition: async () => 500 },
      projections: {
        // A relay is a projection that delivers; the others apply.
        projections: [
          { name: 'relay-nats', deliver: async () => {} },
          { name: 'orders', apply: async () => {} },
        ],
        localStatus: () => [],
        overview: async () => statuses,
      },
    }) as unknown as Tandem;

  it('a stalled relay degrades the report without making the process unready', async () => {
    const report = await new Readiness(appWith([stalled('relay-nats'), lagging(0)])).check();
    assert.equal(report.ready, true, 'a broker outage does not take the servers out of the load balancer');
    assert.deepEqual(
      report.degraded.map((c) => [c.kind, c.projection]),
      [['stalled', 'relay-nats']],
    );
    assert.deepEqual(report.causes, []);
  });

  it('a stalled projection still makes it unready beside a relay', async () => {
    const report = await new Readiness(appWith([stalled('relay-nats'), stalled('orders')])).check();
    assert.equal(report.ready, false);
    assert.deepEqual(
      report.causes.map((c) => [c.kind, c.projection]),
      [['stalled', 'orders']],
    );
    assert.equal(report.degraded.length, 1);
  });
});

describe('readiness: timers and background jobs', () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, seconds)).toISOString();
  /** An app with no projections, whose scheduler is `state` here and whose oldest timer is due `lateSeconds` ago. */
  const appWith = (state: JobStatus['state'], lateSeconds: number | undefined): Tandem =>
    ({
      events: { headPosition: async () => 0 },
      projections: undefined,
      jobs: (): JobStatus[] => [
        {
          name: 'tandem-scheduler',
          state,
          runs: 3,
          ...(state === 'failing' ? { lastError: { message: 'connection refused', at: at(0) } } : {}),
        },
      ],
      timers: {
        summary: async (): Promise<TimerSummary> => ({
          pending: 2,
          overdue: lateSeconds === undefined ? 0 : 1,
          fired: 0,
          refused: 0,
          cancelled: 0,
          ...(lateSeconds === undefined ? {} : { nextDueAt: at(0) }),
          now: at(lateSeconds ?? 0),
        }),
      },
    }) as unknown as Tandem;

  it('timers overdue past the bound, where the scheduler runs, degrade the report; ready stays true', async () => {
    const report = await new Readiness(appWith('running', 61), { maxTimerDelaySeconds: 60 }).check();
    assert.equal(report.ready, true);
    assert.deepEqual(
      report.degraded.map((c) => [c.kind, c.job]),
      [['timers-overdue', 'tandem-scheduler']],
    );
    assert.equal(report.timers?.overdue, 1);
    assert.equal(report.jobs[0]?.state, 'running');
  });

  it('overdue within the bound, or on a standby process, is not a fault', async () => {
    assert.deepEqual(
      (await new Readiness(appWith('running', 59), { maxTimerDelaySeconds: 60 }).check()).degraded,
      [],
    );
    assert.deepEqual(
      (await new Readiness(appWith('standby', 600), { maxTimerDelaySeconds: 60 }).check()).degraded,
      [],
    );
    assert.deepEqual((await new Readiness(appWith('running', undefined)).check()).degraded, []);
  });

  it('a failing job degrades the report with its error', async () => {
    const report = await new Readiness(appWith('failing', undefined)).check();
    assert.equal(report.ready, true);
    assert.deepEqual(
      report.degraded.map((c) => [c.kind, c.job]),
      [['job-failing', 'tandem-scheduler']],
    );
    assert.match(report.degraded[0]?.message ?? '', /connection refused/);
  });
});
