import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually } from '@tandem/testing';

describe('eventually', () => {
  it('retries while the check returns false or undefined or throws, and resolves with its value', async () => {
    let tries = 0;
    const value = await eventually(
      () => {
        tries += 1;
        if (tries === 1) return false;
        if (tries === 2) return undefined;
        assert.ok(tries > 3, 'not yet');
        return { tries };
      },
      { intervalMs: 1 },
    );
    assert.deepEqual(value, { tries: 4 });
  });

  it('resolves with falsy values other than false and undefined', async () => {
    assert.equal(await eventually(() => 0), 0);
    assert.equal(await eventually(async () => Promise.resolve('')), '');
    assert.equal(await eventually(() => null), null);
  });

  it("throws the last assertion's error when time is up, prefixed with the message", async () => {
    let tries = 0;
    await assert.rejects(
      eventually(
        () => {
          tries += 1;
          assert.equal(tries, -1, `try ${tries}`);
          return true;
        },
        { timeoutMs: 30, intervalMs: 5, message: 'never negative' },
      ),
      (error: unknown) => {
        assert.ok(error instanceof assert.AssertionError);
        assert.match(error.message, new RegExp(`^never negative: try ${tries}\\b`));
        return true;
      },
    );
    assert.ok(tries > 1, 'it tried more than once');
  });

  it('says the message once when the check only ever returned false', async () => {
    await assert.rejects(
      eventually(() => false, { timeoutMs: 20, message: 'the door opens' }),
      {
        message: 'the door opens',
      },
    );
    await assert.rejects(
      eventually(() => undefined, { timeoutMs: 20 }),
      {
        message: 'The condition did not hold',
      },
    );
  });
});
