import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadNotificationsConfig } from '../src/notifications/notifications-config.js';

describe('the notifications service configuration', () => {
  it('reads the relay variables under their own names, with defaults for the rest', () => {
    assert.deepEqual(loadNotificationsConfig({ NATS_URL: 'nats://a:4222, nats://b:4222' }), {
      natsServers: ['nats://a:4222', 'nats://b:4222'],
      stream: 'TANDEM',
      subjectPrefix: 'tandem',
      databaseUrl: 'sqlite:./data/notifications.db',
      durable: 'shop-notifications',
      ackWaitMs: 30_000,
    });
    const config = loadNotificationsConfig({
      NATS_URL: 'tls://nats.internal:4222',
      TANDEM_NATS_STREAM: 'SHOP',
      TANDEM_NATS_SUBJECT_PREFIX: 'shop',
      NOTIFICATIONS_DATABASE_URL: 'postgres://u@db:5432/app?schema=notifications',
      NOTIFICATIONS_DURABLE: 'mail-2',
      NOTIFICATIONS_ACK_WAIT_MS: '10000',
    });
    assert.deepEqual(
      [config.stream, config.subjectPrefix, config.databaseUrl, config.durable, config.ackWaitMs],
      ['SHOP', 'shop', 'postgres://u@db:5432/app?schema=notifications', 'mail-2', 10_000],
    );
  });

  it('refuses a missing or wrong variable, naming it and never echoing a password', () => {
    assert.throws(() => loadNotificationsConfig({}), /NATS_URL is not set/);
    assert.throws(() => loadNotificationsConfig({ NATS_URL: '  ' }), /NATS_URL is not set/);
    assert.throws(
      () => loadNotificationsConfig({ NATS_URL: 'http://user:hunter2@nats:4222' }),
      (error: Error) =>
        /NATS_URL must be nats:\/\//.test(error.message) && !error.message.includes('hunter2'),
    );
    const nats = { NATS_URL: 'nats://127.0.0.1:4222' };
    assert.throws(
      () => loadNotificationsConfig({ ...nats, NOTIFICATIONS_DURABLE: 'has.dots' }),
      /NOTIFICATIONS_DURABLE must be/,
    );
    for (const wait of ['500', '10s', '-1', '1e4'])
      assert.throws(
        () => loadNotificationsConfig({ ...nats, NOTIFICATIONS_ACK_WAIT_MS: wait }),
        /NOTIFICATIONS_ACK_WAIT_MS must be/,
        wait,
      );
  });
});
