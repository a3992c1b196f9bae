// The notifications service on its default store (a SQLite file) against the shared NATS server,
// fed as the shop's relay feeds it: one notification per order event, addressed to the order's
// customer, other categories not taken, and a replay with a new message id (past JetStream's
// duplicate window) written nothing twice.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { ProjectionLogger, RecordedEvent } from '@tandem/core';
import { encodeEventMessage } from '@tandem/nats';
import { eventually } from '@tandem/testing';
import { loadNotificationsConfig } from '../src/notifications/notifications-config.js';
import {
  startNotificationsService,
  type NotificationsService,
} from '../src/notifications/notifications-service.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

async function sharedNats(): Promise<NatsConnection | undefined> {
  try {
    const nc = await connect({ servers: natsUrl, timeout: 3_000, reconnect: false });
    await (await jetstreamManager(nc, { timeout: 3_000 })).getAccountInfo();
    return nc;
  } catch (error) {
    if (process.env.CI === 'true')
      throw new Error(`CI=true and no NATS JetStream at ${natsUrl}: ${String(error)}`);
    console.error(`\n*** SKIPPING the notifications service test: no NATS JetStream at ${natsUrl} ***\n`);
    return undefined;
  }
}

const nc = await sharedNats();
const id = `${process.pid}_${Date.now().toString(36)}`;
const stream = `T_NOTIFY_${id}`.toUpperCase();
const prefix = `t_notify_${id}`;
const dir = mkdtempSync(join(tmpdir(), 'tandem-notifications-'));
const quiet: ProjectionLogger = { error: () => {}, warn: () => {}, info: () => {} };

let position = 0;
const versions = new Map<string, number>();
function event(streamId: string, type: string, data: object): RecordedEvent {
  const streamVersion = (versions.get(streamId) ?? 0) + 1;
  versions.set(streamId, streamVersion);
  position += 1;
  return {
    eventId: randomUUID(),
    type,
    streamId,
    streamVersion,
    position,
    schemaVersion: 1,
    data,
    metadata: {},
    recordedAt: new Date().toISOString(),
  };
}

const line = { productId: 'p1', name: 'Kettle', unitPrice: 2_500, quantity: 1, lineTotal: 2_500 };
const placed = (orderId: string, customerId: string) =>
  event(`order-${orderId}`, 'OrderPlaced', {
    orderId,
    customerId,
    customerName: customerId,
    customerState: 'TX',
    items: [line],
    total: 2_500,
    shippingAddress: { line1: '1 Main St', city: 'Austin', state: 'TX', zip: '73301' },
    placedAt: new Date().toISOString(),
  });

describe('the notifications service', { skip: nc === undefined ? 'no NATS server' : false }, () => {
  let jsm: JetStreamManager;
  let service: NotificationsService | undefined;

  after(async () => {
    await service?.stop();
    await jsm?.streams.delete(stream).catch(() => false); // absent if the test failed before creating it
    await nc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each order event once, for the customer of the order, and nothing else', async () => {
    assert.ok(nc !== undefined);
    jsm = await jetstreamManager(nc);
    // As the relay creates it (every subject under the prefix), but with a duplicate window short
    // enough for a replay to land after it, as a relay's replay after a long outage would.
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], duplicate_window: nanos(200) });
    const js = jetstream(nc);
    /** Publishes as the relay does; true when JetStream stored it (not dropped as a duplicate). */
    const publish = async (recorded: RecordedEvent) => {
      const message = encodeEventMessage(prefix, recorded);
      const ack = await js.publish(message.subject, message.data, {
        headers: message.headers,
        msgID: message.messageId,
      });
      return !ack.duplicate;
    };
    const events = [
      placed('o1', 'alice'),
      event('product-p1', 'ProductCreated', { productId: 'p1' }), // not an order: not taken
      event('order-o1', 'PaymentConfirmed', { orderId: 'o1', confirmedAt: 'x' }),
      placed('o2', 'bob'),
      event('order-o1', 'OrderShipped', { orderId: 'o1', shippedAt: 'x' }),
      event('order-o2', 'OrderCancelled', {
        orderId: 'o2',
        cancelledBy: 'bob',
        cancelledAt: 'x',
        items: [{ productId: 'p1', quantity: 1 }],
      }),
    ];
    for (const recorded of events) await publish(recorded);

    const config = loadNotificationsConfig({
      NATS_URL: natsUrl,
      TANDEM_NATS_STREAM: stream,
      TANDEM_NATS_SUBJECT_PREFIX: prefix,
      NOTIFICATIONS_DATABASE_URL: `sqlite:${join(dir, 'notifications.db')}`,
    });
    service = await startNotificationsService(config, quiet);
    const running = service;
    const rows = () =>
      running.store.transaction((tx) =>
        tx.sql.query<{ event_id: string; order_id: string; kind: string; customer_id: string | null }>(
          'SELECT event_id, order_id, kind, customer_id FROM order_notifications ORDER BY position',
        ),
      );
    const orderEvents = events.filter((e) => e.streamId.startsWith('order-'));
    await eventually(async () => (await rows()).length === orderEvents.length || undefined, {
      message: 'every order event recorded',
    });
    assert.deepEqual(
      (await rows()).map((row) => [row.event_id, row.order_id, row.kind, row.customer_id]),
      orderEvents.map((e) => [
        e.eventId,
        (e.data as { orderId: string }).orderId,
        e.type,
        e.streamId === 'order-o1' ? 'alice' : 'bob',
      ]),
    );

    // A replay JetStream stores again: the same message id, after its duplicate window.
    await eventually(() => publish(orderEvents[0] as RecordedEvent).then((stored) => stored || undefined), {
      intervalMs: 50,
      message: 'JetStream stored the replay once its duplicate window passed',
    });
    await eventually(() => running.status().duplicatesSkipped === 1 || undefined, {
      message: 'the replay reached the inbox',
    });
    assert.equal((await rows()).length, orderEvents.length, 'the replay wrote nothing');
    assert.equal(running.status().handled, orderEvents.length);
    assert.equal(running.status().deadLettered, 0);

    await running.stop();
    service = undefined;
  });
});
