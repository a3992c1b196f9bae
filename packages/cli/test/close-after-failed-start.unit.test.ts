import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeAfterFailedStart } from '../src/close-after-failed-start.js';

describe('closing after a failed start', () => {
  it('runs every closer in order, logs the one that fails, and throws nothing', async () => {
    const ran: string[] = [];
    const warned: unknown[] = [];
    await closeAfterFailedStart({ warn: (details: object) => warned.push(details) }, [
      async () => ran.push('server'),
      undefined,
      async () => {
        ran.push('store');
        throw new Error('locked');
      },
      async () => ran.push('tracing'),
    ]);
    assert.deepEqual(ran, ['server', 'store', 'tracing']);
    assert.equal(warned.length, 1);
    assert.match(String((warned[0] as { err: Error }).err.message), /locked/);
  });
});
