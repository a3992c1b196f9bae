import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page, Request, Route } from 'playwright-core';
import { auditEntry, liveStream, parkedRow, shownEvent } from './admin-api-fixtures.js';
import { assertAccessible, openConsolePage } from './console-page.js';
import { closeConsoleTestbed, openConsoleTestbed, type ConsoleShop } from './console-shop.js';

// The pages over the API contract's endpoints (events, streams, parked, audit, live), answered by
// the browser from fixtures shaped as the contract says: what each page asks for, and shows.

let shop: ConsoleShop | undefined;
let browser: Browser | undefined;
let skip: string | undefined;

before(async () => {
  ({ browser, shop, skip } = await openConsoleTestbed());
});

after(() => closeConsoleTestbed({ browser, shop }));

/** The admin API requests a page made, by path, with their query. */
type Seen = { readonly path: string; readonly query: URLSearchParams; readonly request: Request }[];

/** A signed-in tab whose `/admin/<path>` requests `answer` may answer (else the server does). */
async function signedIn(
  answer: (path: string, query: URLSearchParams, request: Request) => unknown,
): Promise<{ page: Page; seen: Seen; done(): Promise<void> }> {
  assert.ok(browser !== undefined && shop !== undefined);
  const seen: Seen = [];
  const opened = await openConsolePage(browser, shop.url, {
    token: shop.adminToken,
    // Routed on the context before the console loads: its first requests are answered too.
    prepare: (context) =>
      context.route(
        (url) => url.pathname.startsWith('/admin/'),
        async (route: Route) => {
          const url = new URL(route.request().url());
          seen.push({ path: url.pathname, query: url.searchParams, request: route.request() });
          const body = answer(url.pathname, url.searchParams, route.request());
          if (body === undefined) return route.fallback();
          if (typeof body === 'string') {
            return route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body });
          }
          return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
        },
      ),
  });
  return { page: opened.page, seen, done: opened.done };
}

/** Resolves with the query of the next `path` request whose query has `name` = `value`. */
async function nextRequest(page: Page, path: string, name: string, value: string): Promise<URLSearchParams> {
  const request = await page.waitForRequest((r) => {
    const url = new URL(r.url());
    return url.pathname === path && url.searchParams.get(name) === value;
  });
  return new URL(request.url()).searchParams;
}

describe('the console over the admin API contract', () => {
  it('overview: reads /admin/live with the token, charts rates and lag, shows readiness and processes', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const { page, seen, done } = await signedIn((path) =>
      path === '/admin/live' ? liveStream() : undefined,
    );
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByText('Not ready').waitFor();
    await page.getByText('order-summaries lags 30 s behind the log').waitFor();
    await page.getByText('the timer scheduler failed its last round').waitFor();
    // 20 commands, 2 failed, over the last 2 s.
    await page.getByText('10/s').first().waitFor();
    await page.getByRole('img', { name: 'Commands and errors per second' }).waitFor();
    await page.getByRole('img', { name: 'Lag of order-summaries' }).waitFor();
    await page.getByRole('cell', { name: 'web-1 (this server)' }).waitFor();
    await page.getByRole('cell', { name: 'retention' }).waitFor();
    const live = seen.find((s) => s.path === '/admin/live');
    assert.equal(live?.request.headers().authorization, `Bearer ${shop?.adminToken}`);
    await assertAccessible(page, 'overview with samples');
    await done();
  });

  it('events: one page at a time by cursor, JSON as stored and upcast, links that filter and open streams', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const { page, seen, done } = await signedIn((path, query) => {
      if (path === '/admin/events') {
        const before = Number(query.get('before') ?? 11);
        const events = [before - 1, before - 2, before - 3]
          .filter((p) => p > 0)
          .map((p) =>
            shownEvent(
              p,
              p === 10 ? { upcast: { schemaVersion: 2, data: { total: 10_000, currency: 'USD' } } } : {},
            ),
          );
        return { events, head: 10, next: before - 3 > 1 ? before - 3 : null };
      }
      if (path === '/admin/streams/order-1') {
        return {
          streamId: 'order-1',
          version: 2,
          events: [
            shownEvent(1, { state: { status: 'placed' } }),
            shownEvent(2, { state: { status: 'paid' } }),
          ],
          next: null,
          decider: 'order-',
        };
      }
      return undefined;
    });
    await page.goto(`${shop?.url}/console/#/events`);
    await page.getByRole('cell', { name: '10', exact: true }).waitFor();
    const first = seen.filter((s) => s.path === '/admin/events').at(-1);
    assert.equal(first?.query.get('order'), 'desc');
    assert.equal(first?.query.get('before'), null);

    await page.getByRole('button', { name: 'JSON of event 10' }).click();
    await page.getByText('Data as upcast (schema 2)').waitFor();
    await page.getByText('Data as stored (schema 1)').waitFor();
    await assertAccessible(page, 'events, one expanded');

    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByRole('cell', { name: '7', exact: true }).waitFor();
    assert.equal(await page.getByRole('cell', { name: '10', exact: true }).count(), 0, 'one page at a time');
    assert.equal(
      seen
        .filter((s) => s.path === '/admin/events')
        .at(-1)
        ?.query.get('before'),
      '8',
    );
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.getByRole('cell', { name: '10', exact: true }).waitFor();

    const correlated = nextRequest(page, '/admin/events', 'correlationId', 'corr-1');
    await page.getByRole('link', { name: 'corr-1' }).first().click();
    assert.equal((await correlated).get('order'), 'desc');
    // The form shows the filter the link set.
    await page.waitForFunction(`document.querySelector('input[name=correlationId]')?.value === 'corr-1'`);

    await page.getByLabel('Event type').fill('OrderPlaced,OrderPaid');
    const typed = nextRequest(page, '/admin/events', 'type', 'OrderPlaced,OrderPaid');
    await page.getByRole('button', { name: 'Filter' }).click();
    // The other filters stay as they were.
    assert.equal((await typed).get('correlationId'), 'corr-1');

    await page.getByRole('link', { name: 'order-1' }).first().click();
    await page.getByRole('heading', { name: 'Streams', level: 1 }).waitFor();
    await page.getByText('folded by the decider for "order-"').waitFor();
    await page.getByRole('button', { name: 'Details of version 2' }).click();
    await page.getByText('State after this event').waitFor();
    await page.getByText('"paid"').waitFor();
    await assertAccessible(page, 'stream, one expanded');
    await done();
  });

  it('parked: filters, expands, and skips selected events in bulk after confirming; the count drops', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    let parked = [parkedRow(3), parkedRow(5)];
    let skipped: unknown;
    const { page, seen, done } = await signedIn((path, _query, request) => {
      if (path === '/admin/parked') return { parked, total: parked.length, next: null };
      if (path === '/admin/projections/order-summaries/skip') {
        skipped = request.postDataJSON();
        parked = [];
        return {
          id: 'r',
          projection: 'order-summaries',
          action: 'skip',
          state: 'done',
          result: { skipped: 2, parked: 0 },
        };
      }
      return undefined;
    });
    await page.goto(`${shop?.url}/console/#/parked?projection=order-summaries`);
    await page.getByText('2 parked').waitFor();
    assert.equal(
      seen
        .filter((s) => s.path === '/admin/parked')
        .at(-1)
        ?.query.get('projection'),
      'order-summaries',
    );
    await page.getByRole('button', { name: 'Details of OrderPlaced at 3 (order-summaries)' }).click();
    await page.getByText('Cannot read properties of undefined').first().waitFor();
    await assertAccessible(page, 'parked, one expanded');

    await page.getByLabel('Select OrderPlaced at 3 (order-summaries)').check();
    await page.getByLabel('Select OrderPlaced at 5 (order-summaries)').check();
    await page.getByRole('button', { name: 'Skip selected' }).click();
    const dialog = page.getByRole('dialog', { name: 'Skip 2 parked event(s) of order-summaries?' });
    await dialog.getByRole('button', { name: 'Skip' }).click();
    await page.getByText('0 parked').waitFor();
    assert.deepEqual(skipped, { eventIds: [parkedRow(3).eventId, parkedRow(5).eventId] });
    await done();
  });

  it('projections: a verify that found differences shows them; a rebuild shows its progress, then the swap', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    let polls = 0;
    const { page, done } = await signedIn((path, _query, request) => {
      if (request.method() !== 'POST' && !path.startsWith('/admin/projections/requests/')) return undefined;
      if (path === '/admin/projections/revenue/verify') {
        return {
          id: '11111111-1111-4111-8111-111111111111',
          projection: 'revenue',
          action: 'verify',
          state: 'done',
          result: {
            position: 42,
            ok: false,
            collections: [
              { collection: 'daily', missing: 1, unexpected: 0, different: 2, sampleIds: ['2026-12-07'] },
            ],
          },
        };
      }
      if (path === '/admin/projections/revenue/rebuild') {
        return {
          id: '22222222-2222-4222-8222-222222222222',
          projection: 'revenue',
          action: 'rebuild',
          state: 'pending',
        };
      }
      if (path === '/admin/projections/requests/22222222-2222-4222-8222-222222222222') {
        polls += 1;
        const progress = { position: Math.min(polls * 20, 100), head: 100, fraction: Math.min(polls / 5, 1) };
        return polls < 4
          ? {
              id: '22222222-2222-4222-8222-222222222222',
              projection: 'revenue',
              action: 'rebuild',
              state: 'running',
              progress,
            }
          : {
              id: '22222222-2222-4222-8222-222222222222',
              projection: 'revenue',
              action: 'rebuild',
              state: 'done',
              progress,
              result: {},
            };
      }
      return undefined;
    });
    await page.goto(`${shop?.url}/console/#/projections`);
    await page.getByRole('button', { name: 'Verify revenue' }).click();
    await page
      .getByRole('dialog', { name: 'Verify revenue?' })
      .getByRole('button', { name: 'Verify' })
      .click();
    const report = page.getByRole('table', { name: 'Differences by collection' });
    await report.getByRole('cell', { name: '2026-12-07' }).waitFor();
    await page.getByText('differs from a fresh rebuild at position 42').waitFor();

    await page.getByRole('button', { name: 'Rebuild revenue' }).click();
    await page
      .getByRole('dialog', { name: 'Rebuild revenue?' })
      .getByRole('button', { name: 'Rebuild' })
      .click();
    const tracker = page.getByRole('region', { name: 'rebuild of revenue' });
    await tracker.getByText('40 of 100').waitFor();
    await assertAccessible(page, 'projections, a rebuild under way');
    await tracker.getByText('done, swapped').waitFor();
    assert.ok(polls >= 4);
    await done();
  });

  it('audit: filters by outcome and time, shows error codes, pages by cursor', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const { page, seen, done } = await signedIn((path, query) => {
      if (path !== '/admin/audit') return undefined;
      if (query.get('before') === '2') return { entries: [auditEntry(1, 'accepted', null)], next: null };
      return {
        entries: [auditEntry(3, 'rejected', 'domain-rule'), auditEntry(2, 'accepted', null)],
        next: 2,
      };
    });
    await page.goto(`${shop?.url}/console/#/audit`);
    await page.getByRole('cell', { name: 'domain-rule' }).waitFor();
    await page.getByLabel('Outcome').selectOption('rejected');
    await page.getByLabel('From').fill('2026-12-07T12:00:00');
    const filtering = nextRequest(page, '/admin/audit', 'outcome', 'rejected');
    await page.getByRole('button', { name: 'Filter' }).click();
    assert.match((await filtering).get('from') ?? '', /^2026-12-0[67]T\d\d:00:00\.000Z$/);
    const filtered = () => seen.filter((s) => s.path === '/admin/audit').at(-1)?.query;
    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByRole('cell', { name: /9000-000000000001/ }).waitFor();
    assert.equal(filtered()?.get('before'), '2');
    await assertAccessible(page, 'audit');
    await done();
  });
});
