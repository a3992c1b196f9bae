import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, serve, type RunningServer } from '@tandem/cli';
import { signToken } from '@tandem/http';
import type { Browser } from 'playwright-core';
import type { AnyProjection } from '@tandem/core';
import { createShopApp } from '@tandem/example-shop';
import { launchBrowser } from './browser.js';

/** A real shop server for the console's browser tests, and tokens for it. */
export interface ConsoleShop {
  readonly url: string;
  readonly running: RunningServer;
  /** A token of the `admin` role. */
  readonly adminToken: string;
  /** A token of the `customer` role (refused by the admin API with 403). */
  readonly customerToken: string;
  /** Sends a command as the admin (to give the pages something to show). */
  command(type: string, data: unknown): Promise<Response>;
  close(): Promise<void>;
}

/** Options of {@link startConsoleShop}. */
export interface ConsoleShopOptions {
  /** Projections run beside the shop's own (a test's poison projection, say). */
  readonly projections?: readonly AnyProjection[];
}

/**
 * Starts the shop as `npm start` does (`serve` from @tandem/cli, the console included) in this
 * process, on a free port and a temporary SQLite file, with no log output.
 */
export async function startConsoleShop(options: ConsoleShopOptions = {}): Promise<ConsoleShop> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-console-shop-'));
  const env = {
    PORT: '0',
    DATABASE_URL: `sqlite:${join(dir, 'shop.db')}`,
    TANDEM_SECRET: 'console-e2e-secret-console-e2e-secret',
    TANDEM_RATE_LIMIT: 'off',
  };
  let running: RunningServer;
  try {
    running = await serve({
      config: loadConfig(env),
      createApp: (store, appOptions) =>
        createShopApp(store, {
          ...appOptions,
          projections: [...(appOptions?.projections ?? []), ...(options.projections ?? [])],
        }),
      logger: false,
      log: () => {},
      tracing: false,
      env,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const adminToken = await signToken({ sub: 'console-admin', role: 'admin' }, running.auth);
  const customerToken = await signToken({ sub: 'console-customer', role: 'customer' }, running.auth);
  return {
    url: running.url,
    running,
    adminToken,
    customerToken,
    command: (type, data) =>
      fetch(`${running.url}/commands/${type}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${adminToken}`,
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify(data),
      }),
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a browser test file works with: a browser and a shop, or why there is no browser. */
export interface ConsoleTestbed {
  readonly browser?: Browser;
  readonly shop?: ConsoleShop;
  /** Set when no browser could start outside CI: the tests skip with this reason. */
  readonly skip?: string;
}

/**
 * Launches Debian's chromium and a shop server for one test file (its `before`). Without a
 * chromium outside CI, only the reason to skip, and no shop.
 */
export async function openConsoleTestbed(options: ConsoleShopOptions = {}): Promise<ConsoleTestbed> {
  const launched = await launchBrowser();
  if ('skip' in launched) return { skip: launched.skip };
  try {
    return { browser: launched.browser, shop: await startConsoleShop(options) };
  } catch (error) {
    await launched.browser.close();
    throw error;
  }
}

/** Closes what {@link openConsoleTestbed} opened (a file's `after`). */
export async function closeConsoleTestbed(testbed: ConsoleTestbed): Promise<void> {
  await testbed.browser?.close();
  await testbed.shop?.close();
}
