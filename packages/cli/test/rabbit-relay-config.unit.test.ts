import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openRabbitPublisher, rabbitRelayConfig } from '../src/rabbit-relay-config.js';
import { openRelays } from '../src/open-relays.js';

describe('RabbitMQ relay configuration', () => {
  it('is off without RABBITMQ_URL (or with it empty)', () => {
    assert.equal(rabbitRelayConfig({}), undefined);
    assert.equal(rabbitRelayConfig({ RABBITMQ_URL: ' ' }), undefined);
  });

  it('reads RABBITMQ_URL and TANDEM_RABBITMQ_EXCHANGE', () => {
    assert.deepEqual(
      rabbitRelayConfig({
        RABBITMQ_URL: 'amqps://u:p@mq:5671/shop',
        TANDEM_RABBITMQ_EXCHANGE: 'shop.events',
      }),
      { url: 'amqps://u:p@mq:5671/shop', exchange: 'shop.events' },
    );
    assert.deepEqual(rabbitRelayConfig({ RABBITMQ_URL: 'amqp://127.0.0.1' }), {
      url: 'amqp://127.0.0.1',
      exchange: undefined,
    });
  });

  it('refuses a RABBITMQ_URL that is not amqp(s)://host, without printing its password', () => {
    for (const raw of ['http://u:secret@mq:5672', 'amqp://u:secret@', 'not a url', 'nats://u:secret@h:4222'])
      assert.throws(
        () => rabbitRelayConfig({ RABBITMQ_URL: raw }),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, /^RABBITMQ_URL must be amqp:\/\/user:password@host:port/);
          assert.doesNotMatch(error.message, /secret/);
          return true;
        },
        raw,
      );
  });

  it('refuses an exchange name RabbitMQ would not take', () => {
    assert.throws(
      () => rabbitRelayConfig({ RABBITMQ_URL: 'amqp://mq', TANDEM_RABBITMQ_EXCHANGE: 'a b' }),
      /TANDEM_RABBITMQ_EXCHANGE must be 1 to 255 letters/,
    );
  });

  it('names @tandem/rabbitmq and how to install it when it is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package '@tandem/rabbitmq' imported from x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await assert.rejects(
      openRabbitPublisher({ url: 'amqp://mq', exchange: undefined }, () => Promise.reject(missing)),
      (error: unknown) =>
        error instanceof Error &&
        error.message ===
          'RABBITMQ_URL is set, but @tandem/rabbitmq is not installed: run `npm install @tandem/rabbitmq`' &&
        error.cause === missing,
    );
  });
});

describe('openRelays', () => {
  it('builds one relay per broker set, each named after its broker, without connecting', async () => {
    const relays = await openRelays({
      NATS_URL: 'nats://127.0.0.1:1',
      RABBITMQ_URL: 'amqp://u:secret@127.0.0.1:1',
    });
    try {
      assert.deepEqual(
        relays.map((relay) => [relay.projection.name, relay.variable]),
        [
          ['relay-nats', 'NATS_URL'],
          ['relay-rabbitmq', 'RABBITMQ_URL'],
        ],
      );
      assert.doesNotMatch(relays.map((relay) => relay.destination).join(' '), /secret/);
    } finally {
      for (const relay of relays) await relay.close();
    }
    assert.deepEqual(await openRelays({}), []);
  });

  it('checks every variable before building any relay', async () => {
    await assert.rejects(
      openRelays({ NATS_URL: 'nats://127.0.0.1:4222', RABBITMQ_URL: 'http://mq' }),
      /RABBITMQ_URL must be/,
    );
  });
});
