import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually } from '@tandem/testing';
import { assertAccessible, openConsolePage, signIn, screenshotFolder } from './console-page.js';
import { closeConsoleTestbed, openConsoleTestbed, type ConsoleShop } from './console-shop.js';

/** Where the screenshots go: docs/console/ with `npm run screenshots`. */
const shots = screenshotFolder();

let shop: ConsoleShop | undefined;
let browser: Browser | undefined;
let skip: string | undefined;

before(async () => {
  ({ browser, shop, skip } = await openConsoleTestbed());
  if (shop === undefined) return;
  // Something for the pages to show.
  for (const id of ['kettle', 'teapot']) {
    const created = await shop.command('CreateProduct', {
      productId: id,
      name: `A ${id}`,
      description: 'For the console tests',
      category: 'kitchen',
      price: 2_500,
      initialStock: 10,
    });
    assert.equal(created.status, 200, await created.text());
  }
  mkdirSync(shots, { recursive: true });
});

after(() => closeConsoleTestbed({ browser, shop }));

/**
 * Waits for a page's first load to land. The overview holds its live stream open for as long as it
 * shows, so the network never goes idle there: it has landed once a sample filled the lag table.
 */
async function settled(page: Page, name: string): Promise<void> {
  if (name !== 'Overview') return page.waitForLoadState('networkidle');
  await page
    .getByRole('table', { name: "Each projection's lag over the last minutes" })
    .getByRole('cell', { name: 'product-pages', exact: true })
    .waitFor();
}

/** A fresh console tab on the shop. */
function openConsole() {
  assert.ok(browser !== undefined && shop !== undefined);
  return openConsolePage(browser, shop.url);
}

describe('the console in a browser', () => {
  it('refuses a customer token with the reason, stores nothing, and no data request succeeds', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(shop !== undefined);
    const { page, done } = await openConsole();
    const succeeded: string[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/admin/') && response.ok())
        succeeded.push(response.url());
    });
    await page.getByRole('heading', { name: 'Tandem console' }).waitFor();
    await assertAccessible(page, 'login');
    await page.screenshot({ path: `${shots}login.png` });

    await signIn(page, shop.customerToken);
    await page.getByRole('alert').filter({ hasText: "This token is not an admin's." }).waitFor();
    await signIn(page, 'not-a-token');
    await page.getByRole('alert').filter({ hasText: 'This is not a valid token.' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    assert.equal(await page.getByRole('navigation', { name: 'Pages' }).count(), 0);
    assert.deepEqual(succeeded, []);
    await done();
  });

  it('signs an admin in to the overview, shows every page accessibly, and signs out', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(shop !== undefined);
    const { page, done } = await openConsole();
    await signIn(page, shop.adminToken);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    await settled(page, 'Overview');
    // Rates need two samples: photograph a chart with a line in it.
    await page.getByText(/^Now: [\d.,]+\/s commands/).waitFor();
    await assertAccessible(page, 'overview');
    await page.screenshot({ path: `${shots}overview.png` });

    const pages = [
      ['Projections', 'Projections', 'projections'],
      ['Parked', 'Parked events', 'parked'],
      ['Events', 'Events', 'events'],
      ['Streams', 'Streams', 'streams'],
      ['Audit', 'Audit', 'audit'],
    ] as const;
    for (const [link, heading, file] of pages) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      // Let the page's first load land before judging and photographing it.
      await page.waitForLoadState('networkidle');
      await assertAccessible(page, file);
      await page.screenshot({ path: `${shots}${file}.png` });
    }

    // The dark theme passes too, and is remembered.
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    await page.getByRole('heading', { name: 'Projections', level: 1 }).waitFor();
    await page.waitForLoadState('networkidle');
    await assertAccessible(page, 'projections (dark)');
    await page.screenshot({ path: `${shots}projections-dark.png` });
    assert.equal(await page.evaluate("localStorage.getItem('tandem-console-theme')"), 'dark');
    await page.getByRole('button', { name: 'Light theme' }).click();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    await done();
  });

  it('verifies a projection after confirming in a dialog, and shows the result', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(shop !== undefined);
    const { page, done } = await openConsole();
    await signIn(page, shop.adminToken);
    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    const verify = page.getByRole('button', { name: /^Verify / }).first();
    await verify.waitFor();
    const name = ((await verify.getAttribute('aria-label')) ?? '').replace(/^Verify /, '');
    await verify.click();
    const dialog = page.getByRole('dialog', { name: `Verify ${name}?` });
    await dialog.waitFor();
    // Escape closes it without acting.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await verify.click();
    await assertAccessible(page, 'confirm dialog');
    await dialog.getByRole('button', { name: 'Verify' }).click();
    await page
      .getByRole('region', { name: `verify of ${name}` })
      .getByText(/matches a fresh rebuild/)
      .waitFor();
    await done();
  });

  it('rebuilds a projection after confirming, following its progress until swapped', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(shop !== undefined);
    const { page, done } = await openConsole();
    await signIn(page, shop.adminToken);
    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    const rebuild = page.getByRole('button', { name: 'Rebuild product-pages' });
    await rebuild.click();
    const polled = page.waitForRequest((r) =>
      new URL(r.url()).pathname.startsWith('/admin/projections/requests/'),
    );
    await page
      .getByRole('dialog', { name: 'Rebuild product-pages?' })
      .getByRole('button', { name: 'Rebuild' })
      .click();
    await polled;
    await page.getByRole('region', { name: 'rebuild of product-pages' }).getByText('done, swapped').waitFor();
    await done();
  });

  it('stays usable at 800 px: the page never scrolls sideways, wide tables scroll in their box', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(shop !== undefined);
    const { page, done } = await openConsole();
    await page.setViewportSize({ width: 800, height: 800 });
    await signIn(page, shop.adminToken);
    for (const name of ['Overview', 'Projections', 'Parked', 'Events', 'Streams', 'Audit']) {
      await page.getByRole('link', { name, exact: true }).click();
      await settled(page, name);
      assert.ok(
        ((await page.evaluate('document.documentElement.scrollWidth')) as number) <= 800,
        `${name} scrolls sideways at 800 px`,
      );
    }
    await page.getByRole('link', { name: 'Projections', exact: true }).click();
    await page
      .getByRole('button', { name: /^Verify / })
      .first()
      .waitFor();
    await page.screenshot({ path: `${shots}projections-800.png` });
    await done();
  });

  it('reads the log from a position typed in, one page at a time', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    assert.ok(shop !== undefined);
    const { page, done } = await openConsole();
    await signIn(page, shop.adminToken);
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByLabel('Up to position').fill('3');
    await page.getByRole('button', { name: 'Filter' }).click();
    const table = page.getByRole('table', { name: 'Events, newest first' });
    await eventually(
      async () => {
        const positions = await table.locator('tbody tr td:first-child').allInnerTexts();
        assert.deepEqual(positions, ['3', '2', '1']);
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.match(page.url(), /#\/events\?upTo=3$/);
    await done();
  });

  it('returns to the login form when the token is refused later', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const { page, done } = await openConsole();
    await page.evaluate("sessionStorage.setItem('tandem-console-token', 'expired.or.revoked')");
    await page.goto(`${new URL(page.url()).origin}/console/#/projections`);
    // Only the hash changed: load the page again, so it starts with the stored token.
    await page.reload();
    await page.getByText('The server refused the token').waitFor();
    await page.getByLabel('Admin token').waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    await done();
  });
});
