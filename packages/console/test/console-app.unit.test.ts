import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandRates } from '../app/src/command-rates.js';
import { backoffMs } from '../app/src/live-feed.js';
import { parseRoute, routeHref } from '../app/src/route.js';
import { SseParser } from '../app/src/sse-parser.js';

describe('SseParser', () => {
  it('parses events split anywhere across chunks, with LF, CRLF and CR line ends', () => {
    const text =
      'event: history\r\ndata: {"samples":[]}\r\n\r\n: keep-alive\n\nevent: sample\rdata: {"a":\rdata: 1}\r\r';
    for (let size = 1; size <= text.length; size++) {
      const parser = new SseParser();
      const messages = [];
      for (let i = 0; i < text.length; i += size) messages.push(...parser.push(text.slice(i, i + size)));
      assert.deepEqual(
        messages,
        [
          { event: 'history', data: '{"samples":[]}' },
          { event: 'sample', data: '{"a":\n1}' },
        ],
        `chunks of ${size}`,
      );
    }
  });

  it('names an event without `event:` a message, ignores comments, other fields and empty events', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('id: 7\nretry: 10\n\n:comment\ndata\n\ndata:x\n\n'), [
      { event: 'message', data: '' },
      { event: 'message', data: 'x' },
    ]);
  });

  it('keeps an unfinished event until its blank line', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('event: sample\ndata: 1\n'), []);
    assert.deepEqual(parser.push('\n'), [{ event: 'sample', data: '1' }]);
  });
});

describe('commandRates', () => {
  const sample = (seconds: number, settled: number, failed: number) => ({
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString(),
    commands: { settled, failed },
  });

  it('turns cumulative counts into per-second rates between consecutive samples', () => {
    const [times, rate, errors] = commandRates([sample(0, 10, 1), sample(2, 30, 3), sample(4, 30, 3)]);
    assert.equal(times.length, 2);
    assert.deepEqual(rate, [10, 0]);
    assert.deepEqual(errors, [1, 0]);
  });

  it('leaves a gap where the counters went down (a restart), and skips samples out of order', () => {
    const [times, rate, errors] = commandRates([
      sample(0, 100, 5),
      sample(2, 4, 0),
      sample(2, 8, 0),
      sample(4, 8, 2),
    ]);
    assert.equal(times.length, 2);
    assert.deepEqual(rate, [null, 0]);
    assert.deepEqual(errors, [null, 1]);
  });

  it('needs two samples', () => {
    assert.deepEqual(commandRates([]), [[], [], []]);
    assert.deepEqual(commandRates([sample(0, 1, 0)]), [[], [], []]);
  });
});

describe('routes', () => {
  it('parse the page, an encoded stream id and the filters of a hash', () => {
    const route = parseRoute('#/streams/order%2F1%3Fx');
    assert.equal(route.page, 'streams');
    assert.equal(route.rest, 'order/1?x');
    const events = parseRoute('#/events?correlationId=abc&type=A%2CB');
    assert.equal(events.page, 'events');
    assert.equal(events.params.get('correlationId'), 'abc');
    assert.equal(events.params.get('type'), 'A,B');
  });

  it('default to the overview and keep a malformed escape as typed', () => {
    assert.equal(parseRoute('').page, 'overview');
    assert.equal(parseRoute('#/').page, 'overview');
    assert.equal(parseRoute('#/streams/%E0%A4%A').rest, '%E0%A4%A');
  });

  it('round-trip through routeHref, leaving empty parameters out', () => {
    const href = routeHref('events', '', { type: 'OrderPlaced', traceId: '', streamPrefix: undefined });
    assert.equal(href, '#/events?type=OrderPlaced');
    assert.equal(parseRoute(routeHref('streams', 'a b/c')).rest, 'a b/c');
  });
});

describe('live feed backoff', () => {
  it('doubles from 1 s to at most 30 s', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 20].map(backoffMs),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
    );
  });
});
