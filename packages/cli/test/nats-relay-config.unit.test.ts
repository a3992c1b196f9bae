import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { natsRelayConfig, openNatsPublisher } from '../src/nats-relay-config.js';

describe('NATS relay configuration', () => {
  it('is off without NATS_URL (or with it empty)', () => {
    assert.equal(natsRelayConfig({}), undefined);
    assert.equal(natsRelayConfig({ NATS_URL: ' ' }), undefined);
  });

  it('reads NATS_URL, TANDEM_NATS_STREAM and TANDEM_NATS_SUBJECT_PREFIX', () => {
    assert.deepEqual(
      natsRelayConfig({
        NATS_URL: 'nats://a:4222,nats://b:4222',
        TANDEM_NATS_STREAM: 'SHOP',
        TANDEM_NATS_SUBJECT_PREFIX: 'shop',
      }),
      { servers: 'nats://a:4222,nats://b:4222', stream: 'SHOP', subjectPrefix: 'shop' },
    );
    assert.deepEqual(natsRelayConfig({ NATS_URL: 'nats://127.0.0.1:4222' }), {
      servers: 'nats://127.0.0.1:4222',
      stream: undefined,
      subjectPrefix: undefined,
    });
  });

  it('refuses a NATS_URL that is not nats://, without printing its password', () => {
    assert.throws(
      () => natsRelayConfig({ NATS_URL: 'http://u:secret@host:4222' }),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /NATS_URL must be nats:\/\/host:port/);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      },
    );
    assert.throws(() => natsRelayConfig({ NATS_URL: 'nats://a:4222,localhost' }), /NATS_URL/);
  });

  it('opens a publisher from @tandem/nats, refusing a bad prefix when it is built', async () => {
    const publisher = await openNatsPublisher({
      servers: 'nats://127.0.0.1:1',
      stream: 'S',
      subjectPrefix: 'p',
    });
    assert.equal(publisher.name, 'nats');
    await publisher.close();
    await assert.rejects(
      openNatsPublisher({ servers: 'nats://127.0.0.1:1', stream: undefined, subjectPrefix: 'a b' }),
      TypeError,
    );
  });

  it('names @tandem/nats and how to install it when it is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package '@tandem/nats' imported from x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await assert.rejects(
      openNatsPublisher({ servers: 'nats://x:4222', stream: undefined, subjectPrefix: undefined }, () =>
        Promise.reject(missing),
      ),
      (error: unknown) =>
        error instanceof Error &&
        error.message ===
          'NATS_URL is set, but @tandem/nats is not installed: run `npm install @tandem/nats`' &&
        error.cause === missing,
    );
  });
});
