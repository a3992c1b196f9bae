import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { sharedNats, startNatsServer } from './nats-server-harness.js';

describe('nats-server test harness', () => {
  it('starts its own server, keeps its store across a restart, and deletes it on stop', async () => {
    const server = await startNatsServer();
    try {
      const nc = await connect({ servers: server.url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'HARNESS', subjects: ['harness.>'] });
      await nc.close();
      await server.restart();
      const again = await connect({ servers: server.url });
      const info = await (await jetstreamManager(again)).streams.info('HARNESS');
      assert.equal(info.config.name, 'HARNESS', 'the stream survived a SIGKILL and restart');
      await again.close();
    } finally {
      await server.stop();
    }
    assert.equal(existsSync(server.storeDir), false);
  });

  it('gives each caller its own stream name and subject prefix', async (t) => {
    const a = await sharedNats('a');
    const b = await sharedNats('a');
    if (a === undefined || b === undefined) return t.skip('no NATS server (see the message above)');
    assert.notEqual(a.stream, b.stream);
    assert.notEqual(a.subjectPrefix, b.subjectPrefix);
    assert.match(a.stream, /^[A-Z0-9_]+$/);
  });
});
