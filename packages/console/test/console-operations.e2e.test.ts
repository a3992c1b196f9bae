import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { defineCollection, defineProjection } from '@tandem/core';
import { eventually } from '@tandem/testing';
import { assertAccessible, openConsolePage, signIn, screenshotFolder } from './console-page.js';
import { closeConsoleTestbed, openConsoleTestbed, type ConsoleShop } from './console-shop.js';

// The operator's paths the issue names, each from the console alone against a real shop server:
// watch a paused projection fall behind and catch up, find a parked event, look at it and replay
// it once fixed, and trace a PlaceOrder by its correlation id.

/** Whether the poison projection refuses poisoned products (the "bug" an operator fixes). */
let poisonRefused = true;
/** How long the projection takes per event: long enough, during the rebuild test, to watch it. */
let applyDelayMs = 0;
const labels = defineCollection<{ name: string }>({ name: 'labels' });
/**
 * A projection with a bug: it cannot apply a product whose name holds "poison" until the test
 * "deploys the fix" (clears `poisonRefused`). Its events park (`skip`) after one attempt.
 */
const productLabels = defineProjection({
  name: 'product-labels',
  version: 1,
  events: ['ProductCreated'],
  collections: { labels },
  onError: 'skip',
  retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  async apply(events, { collections }) {
    for (const event of events) {
      if (applyDelayMs > 0) await sleep(applyDelayMs);
      const { productId, name } = event.data as { productId: string; name: string };
      if (poisonRefused && name.includes('poison')) throw new Error(`Cannot label ${name}`);
      await collections.labels.upsert(productId, { name });
    }
  },
});

/** Where the screenshots go: docs/console/ with `npm run screenshots`. */
const shots = screenshotFolder();

let shop: ConsoleShop | undefined;
let browser: Browser | undefined;
let skip: string | undefined;

before(async () => {
  ({ browser, shop, skip } = await openConsoleTestbed({ projections: [productLabels] }));
});

after(() => closeConsoleTestbed({ browser, shop }));

/** Creates a product as the admin; fails the test on a refusal. */
async function createProduct(productId: string, name = `A ${productId}`): Promise<void> {
  assert.ok(shop !== undefined);
  const created = await shop.command('CreateProduct', {
    productId,
    name,
    description: 'For the console operations tests',
    category: 'kitchen',
    price: 1_500,
    initialStock: 20,
  });
  assert.equal(created.status, 200, await created.text());
}

/** Confirms the dialog `title` with its button `label`. */
async function confirm(page: Page, title: string, label: string): Promise<void> {
  await page.getByRole('dialog', { name: title }).getByRole('button', { name: label, exact: true }).click();
}

/** The overview's lag row of `projection`, as its cells read now. */
async function lagRow(page: Page, projection: string): Promise<{ state: string; lag: number }> {
  const row = page
    .getByRole('table', { name: "Each projection's lag over the last minutes" })
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: projection, exact: true }) });
  const cells = await row.getByRole('cell').allInnerTexts();
  return { state: cells[1] ?? '', lag: Number((cells[2] ?? 'NaN').replace(/,/g, '')) };
}

describe('operating the shop from the console', () => {
  it("shows a paused projection's lag rise on the overview, and fall to 0 after resume", async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(browser !== undefined && shop !== undefined);
    const { page, done } = await openConsolePage(browser, shop.url);
    await signIn(page, shop.adminToken);
    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    await page.getByRole('button', { name: 'Pause product-pages' }).click();
    await confirm(page, 'Pause product-pages?', 'Pause');
    await page.getByRole('button', { name: 'Resume product-pages' }).waitFor();

    for (let i = 0; i < 5; i += 1) await createProduct(`paused-${i}`);
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await eventually(
      async () => {
        const row = await lagRow(page, 'product-pages');
        assert.match(row.state, /paused/);
        assert.ok(row.lag >= 5, `lag ${row.lag}, want at least 5 while paused`);
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await assertAccessible(page, 'overview with a paused projection');
    await page.screenshot({ path: `${shots}overview-paused.png` });

    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    await page.getByRole('button', { name: 'Resume product-pages' }).click();
    await confirm(page, 'Resume product-pages?', 'Resume');
    await page.getByRole('button', { name: 'Pause product-pages' }).waitFor();
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await eventually(
      async () => {
        const row = await lagRow(page, 'product-pages');
        assert.doesNotMatch(row.state, /paused/);
        assert.equal(row.lag, 0);
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await done();
  });

  it('parks a poison event, shows its payload and error, and replays it once fixed: the count drops', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(browser !== undefined && shop !== undefined);
    poisonRefused = true;
    await createProduct('poisoned-kettle', 'A poison kettle');
    const { page, done } = await openConsolePage(browser, shop.url);
    await signIn(page, shop.adminToken);

    // The projections page shows the parked count, and links to the parked events.
    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    const parkedLink = page
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'product-labels', exact: true }) })
      .getByRole('link', { name: '1' });
    await eventually(
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await parkedLink.waitFor({ timeout: 1_000 });
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    await parkedLink.click();
    await page.getByRole('heading', { name: 'Parked events', level: 1 }).waitFor();
    await page.getByRole('status').getByText('1 parked').waitFor();

    const details = page.getByRole('button', {
      name: /^Details of ProductCreated at \d+ \(product-labels\)$/,
    });
    await details.click();
    // The payload as stored, and the error that parked it.
    await page.getByText('Cannot label A poison kettle').first().waitFor();
    await page.getByText('"poisoned-kettle"').first().waitFor();
    await assertAccessible(page, 'parked event details');
    await page.screenshot({ path: `${shots}parked-details.png` });

    // The fix is deployed; replay the event from the console.
    poisonRefused = false;
    await page.getByRole('button', { name: /^Replay ProductCreated at \d+ \(product-labels\)$/ }).click();
    await confirm(page, 'Replay 1 parked event(s) of product-labels?', 'Replay');
    await page
      .getByRole('status')
      .getByText(/^0 parked/)
      .waitFor();
    await page.getByText('No parked events.').waitFor();

    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    await page
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'product-labels', exact: true }) })
      .getByRole('cell', { name: '0', exact: true })
      .first()
      .waitFor();
    await done();
  });

  it('rebuilds a projection from the console, its progress shown until the swap', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(browser !== undefined && shop !== undefined);
    // Enough events for several of the rebuild's batches (500 each), written straight to the log.
    const appended = await shop.running.app.store.events.append(
      Array.from({ length: 2_000 }, (_, i) => ({
        streamId: `product-bulk-${i}`,
        expectedVersion: 'no-stream' as const,
        events: [
          {
            type: 'ProductCreated',
            data: {
              productId: `bulk-${i}`,
              name: `Bulk ${i}`,
              description: '',
              category: 'bulk',
              price: 100,
            },
          },
        ],
      })),
    );
    assert.ok(await shop.running.app.projections?.waitFor(['product-labels'], appended.position, 30_000));
    const { page, done } = await openConsolePage(browser, shop.url);
    await signIn(page, shop.adminToken);
    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    // 2,000 events at 2 ms each: seconds, reported per batch and polled every 500 ms.
    applyDelayMs = 2;
    try {
      await page.getByRole('button', { name: 'Rebuild product-labels' }).click();
      await confirm(page, 'Rebuild product-labels?', 'Rebuild');
      const tracker = page.getByRole('region', { name: 'rebuild of product-labels' });
      await tracker.getByRole('progressbar', { name: /Rebuild progress/ }).waitFor();
      await tracker
        .getByText(/\d[\d,]* of [1-9][\d,]*/)
        .first()
        .waitFor();
      await assertAccessible(page, 'rebuild under way');
      await page.screenshot({ path: `${shots}rebuild-progress.png` });
      await tracker.getByText('done, swapped').waitFor({ timeout: 60_000 });
      await tracker.getByText('The new version caught up and was swapped in.').waitFor();
    } finally {
      applyDelayMs = 0;
    }
    await done();
  });

  it("finds a PlaceOrder's events by its correlation id, and opens the order's stream with its state", async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(browser !== undefined && shop !== undefined);
    await createProduct('traced-teapot');
    const correlationId = `checkout-${randomUUID()}`;
    const registered = await fetch(`${shop.url}/commands/RegisterCustomer`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${shop.customerToken}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ name: 'Console Customer', state: 'CA' }),
    });
    assert.ok(registered.ok, await registered.text());
    const placed = await fetch(`${shop.url}/commands/PlaceOrder`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${shop.customerToken}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        'tandem-correlation-id': correlationId,
      },
      body: JSON.stringify({
        items: [{ productId: 'traced-teapot', quantity: 2 }],
        shippingAddress: { line1: '1 Main St', city: 'Springfield', state: 'CA', zip: '94107' },
      }),
    });
    const answer = (await placed.json()) as { ids?: { orderId?: string } };
    assert.equal(placed.status, 200, JSON.stringify(answer));
    const orderId = answer.ids?.orderId;
    assert.ok(orderId !== undefined, `the order id in ${JSON.stringify(answer)}`);

    const { page, done } = await openConsolePage(browser, shop.url);
    await signIn(page, shop.adminToken);
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByLabel('Correlation id').fill(correlationId);
    await page.getByRole('button', { name: 'Filter' }).click();
    const table = page.getByRole('table', { name: 'Events, newest first' });
    await table.getByRole('cell', { name: 'OrderPlaced', exact: true }).waitFor();
    await table.getByRole('cell', { name: 'StockReserved', exact: true }).waitFor();
    // Only this flow's events: every row carries the correlation id.
    const rows = await table.getByRole('row').count();
    assert.equal(await table.getByRole('link', { name: correlationId }).count(), rows - 1);
    await assertAccessible(page, 'events by correlation id');
    await page.screenshot({ path: `${shots}events-correlation.png` });

    // The order's stream, with the decider's state after its event.
    await table.getByRole('link', { name: `order-${orderId}` }).click();
    await page.getByRole('heading', { name: 'Streams', level: 1 }).waitFor();
    await page.getByRole('status').getByText('folded by the decider for "order-"').waitFor();
    await page.getByRole('button', { name: 'Show details of version 1' }).click();
    const state = await page.getByLabel('State after this event').innerText();
    assert.equal((JSON.parse(state) as { status: string }).status, 'payment_pending');
    assert.match(await page.getByLabel('Data as stored (schema 1)').innerText(), /"traced-teapot"/);
    await assertAccessible(page, 'stream with state');
    await page.screenshot({ path: `${shots}stream-state.png` });
    await done();
  });
});
