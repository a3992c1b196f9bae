import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { shopHarness } from '../../examples/shop/test/shop-harness.js';
import { metricNames, shippedQueries } from './ops-artifacts.js';
import { contractHistograms, metricContract } from './metric-contract.js';

type Shop = Awaited<ReturnType<typeof shopHarness>>;

/** `# TYPE name type` of every metric a scrape exports. */
function exportedTypes(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name = '', type = '']) => [name, type]),
  );
}

/** The metric names the shipped rules and dashboard read (recording rules and `up` left out). */
function namesRead(): Set<string> {
  return new Set(
    shippedQueries()
      .flatMap(({ expr }) => metricNames(expr, contractHistograms))
      .filter((name) => name !== 'up' && !name.includes(':')),
  );
}

/** Scrapes a running shop (SQLite, its five projections started) once for the whole file. */
function scrapeOnce(): () => Map<string, string> {
  let shop: Shop | undefined;
  let types = new Map<string, string>();
  before(async () => {
    shop = await shopHarness();
    // A committed command, so that labelled series have had a reason to appear.
    await shop.product('p1', 5);
    const scraped = await shop.server.inject({ method: 'GET', url: '/metrics' });
    assert.equal(scraped.statusCode, 200, scraped.body);
    types = exportedTypes(scraped.body);
  });
  after(async () => {
    await shop?.close();
  });
  return () => types;
}

describe('the shipped rules and dashboard against a scrape of the shop', () => {
  const types = scrapeOnce();

  it('find every metric of the contract exported, with its type', () => {
    const problems = Object.entries(metricContract).flatMap(([name, { type }]) => {
      const exported = types().get(name);
      return exported === type ? [] : [`${name}: ${exported ?? 'not exported'}, contract says ${type}`];
    });
    assert.deepEqual(problems, []);
  });

  it('read only metrics the server exports', () => {
    const missing = [...namesRead()].filter((name) => !types().has(name));
    assert.deepEqual(missing, [], 'read by alerts.yml or tandem.json but not exported');
  });
});
