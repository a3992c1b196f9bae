import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProjectionStatus, Tandem } from '@tandem/core';
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

/** An app whose only projection reports `lag()` seconds of lag. */
function app(lag: () => number): Tandem {
  return {
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
