import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations } from './browser.js';

/** A console tab opened by {@link openConsolePage}. */
export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Closes the tab, then fails if the page threw or broke its Content-Security-Policy meanwhile. */
  done(): Promise<void>;
}

/** Options of {@link openConsolePage}. */
export interface ConsolePageOptions {
  /** Signed in with this token from the first line the app runs (else the sign-in form). */
  readonly token?: string;
  /** Default 1280x800, the screenshots' size. */
  readonly viewport?: { readonly width: number; readonly height: number };
  readonly colorScheme?: 'light' | 'dark';
  /** Runs before the console loads (to route requests, say). */
  readonly prepare?: (context: BrowserContext) => Promise<unknown>;
}

/**
 * Opens `/console/` of `baseUrl` in a fresh context (its own sessionStorage and localStorage),
 * recording page errors and CSP violations for `done()` to fail on.
 */
export async function openConsolePage(
  browser: Browser,
  baseUrl: string,
  options: ConsolePageOptions = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  if (options.token !== undefined) {
    // An init script runs before the app, and the page's CSP does not govern it.
    await context.addInitScript(
      `sessionStorage.setItem('tandem-console-token', ${JSON.stringify(options.token)})`,
    );
  }
  await options.prepare?.(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) errors.push(message.text());
  });
  await page.goto(`${baseUrl}/console/`);
  return {
    context,
    page,
    async done() {
      await context.close();
      assert.deepEqual(errors, [], 'errors in the page');
    },
  };
}

/** Signs in on the sign-in form with `token`. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Fails with axe-core's `serious` and `critical` violations of the page as it is now. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(
    violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
    [],
    `axe on ${name}`,
  );
}

/**
 * Where the tests save their screenshots: `docs/console/` (the pictures in docs/console.md) when
 * TANDEM_CONSOLE_SCREENSHOTS=1 (`npm run screenshots`), else a fresh temporary folder. Every run
 * takes them, so a page that cannot be photographed fails everywhere; only a run asked to refresh
 * the docs writes into the tree (each picture holds the time it was taken, so every run would
 * otherwise leave the docs changed).
 */
export function screenshotFolder(): string {
  if (process.env['TANDEM_CONSOLE_SCREENSHOTS'] === '1')
    return new URL('../../../docs/console/', import.meta.url).pathname;
  return `${mkdtempSync(join(tmpdir(), 'tandem-console-shots-'))}/`;
}
