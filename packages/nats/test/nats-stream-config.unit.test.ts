import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nanos } from '@nats-io/transport-node';
import type { StreamInfo } from '@nats-io/jetstream';
import { deadLetterStreamConfig } from '../src/nats-dead-letter-stream.js';
import {
  capturesPrefix,
  relayStreamConfig,
  streamConfigWarnings,
  subjectMatches,
} from '../src/nats-stream-config.js';

describe('relay stream configuration', () => {
  it('captures every subject under the prefix only with a filter ending in > at or above it', () => {
    assert.equal(capturesPrefix('shop.>', 'shop'), true);
    assert.equal(capturesPrefix('>', 'shop'), true);
    assert.equal(capturesPrefix('*.>', 'shop'), true);
    assert.equal(capturesPrefix('a.*.>', 'a.b'), true);
    assert.equal(capturesPrefix('shop.*.*', 'shop'), false, 'misses shop.a.b.c');
    assert.equal(capturesPrefix('shop.order.>', 'shop'), false, 'misses other categories');
    assert.equal(capturesPrefix('shop', 'shop'), false);
    assert.equal(capturesPrefix('other.>', 'shop'), false);
  });

  it('matches literal subjects against filters token by token', () => {
    assert.equal(subjectMatches('tandem.>', 'tandem.dead-letter.billing'), true, 'the old default, inside');
    assert.equal(subjectMatches('tandem.>', 'tandem-dead-letter.billing'), false, 'the new default, outside');
    assert.equal(subjectMatches('tandem.>', 'tandem'), false, '> needs a token');
    assert.equal(subjectMatches('>', 'a'), true);
    assert.equal(subjectMatches('a.*.c', 'a.b.c'), true);
    assert.equal(subjectMatches('a.*', 'a.b.c'), false);
    assert.equal(subjectMatches('a.b', 'a.b'), true);
    assert.equal(subjectMatches('a.b.c', 'a.b'), false);
  });

  it('creates dead-letter streams with the documented configuration: deletable, deduplicating', () => {
    const config = deadLetterStreamConfig('S_DL', ['p-dead-letter.>'], { max_age: nanos(5_000), name: 'X' });
    assert.deepEqual(config.subjects, ['p-dead-letter.>']);
    assert.equal(config.deny_delete, false);
    assert.equal(config.storage, 'file');
    assert.equal(config.duplicate_window, nanos(120_000));
    assert.equal(config.max_age, nanos(5_000));
    assert.equal(config.name, 'S_DL');
  });

  it('defaults to the documented configuration; overrides replace single fields, never the name', () => {
    const config = relayStreamConfig('S', 'p', { max_age: nanos(60_000), name: 'OTHER' });
    assert.deepEqual(config.subjects, ['p.>']);
    assert.equal(config.duplicate_window, nanos(120_000));
    assert.equal(config.max_age, nanos(60_000));
    assert.equal(config.name, 'S');
  });

  it('warns about what an existing stream does differently, and nothing when it matches', () => {
    const wanted = relayStreamConfig('S', 'p');
    const info = (config: object) => ({ config: { ...wanted, ...config } }) as unknown as StreamInfo;
    assert.deepEqual(streamConfigWarnings(info({}), wanted), []);
    const warnings = streamConfigWarnings(
      info({ storage: 'memory', retention: 'workqueue', discard: 'new', duplicate_window: nanos(1_000) }),
      wanted,
    );
    assert.equal(warnings.length, 4, warnings.join('\n'));
  });
});
