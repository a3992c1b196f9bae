import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, type Tandem } from '@tandem/core';
import { alice, counterApp, counterProjection, withFailpoint, type Failpoint } from '@tandem/testing';

async function openCounter(app: Tandem, counterId: string) {
  const outcome = await app.execute({
    type: 'OpenCounter',
    data: { counterId },
    user: alice,
    commandId: counterId,
  });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.result;
}

describe('withFailpoint', () => {
  it('reaches the daemon through createTandem: each batch calls it before apply, after apply and after the checkpoint', async () => {
    const seen: { point: Failpoint; namespace: string }[] = [];
    const app = await counterApp(new MemoryStore(), {
      projections: [counterProjection()],
      daemon: withFailpoint({ batchSize: 10 }, (point, namespace) => seen.push({ point, namespace })),
    });
    try {
      const opened = await openCounter(app, 'c1');
      await app.start();
      assert.equal(await app.projections?.waitFor(['counter-totals'], opened.position, 10_000), true);
      assert.deepEqual(
        seen.map((s) => s.point),
        ['before-apply', 'after-apply', 'after-checkpoint'],
      );
      assert.ok(seen.every((s) => s.namespace.startsWith('counter-totals')));
    } finally {
      await app.close();
    }
  });

  it('leaves the options as they were, and their type, with no failpoint key anyone can read', () => {
    const options = { batchSize: 7 };
    const hooked = withFailpoint(options, () => undefined);
    assert.deepEqual(options, { batchSize: 7 });
    assert.deepEqual(Object.keys(hooked), ['batchSize']);
    assert.equal(hooked.batchSize, 7);
  });
});
