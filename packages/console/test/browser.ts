import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium: the tests never download a browser. */
export const chromiumPath = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches headless chromium, or says why it cannot: without CI a missing chromium skips the
 * browser tests (the reason printed); with CI=true it is a failure (.ci/run installs it).
 */
export async function launchBrowser(): Promise<{ browser: Browser } | { skip: string }> {
  if (!existsSync(chromiumPath)) {
    const reason = `no chromium at ${chromiumPath} (apt-get install chromium, or set TANDEM_CHROMIUM)`;
    if (process.env.CI === 'true') throw new Error(`CI needs chromium for the console tests: ${reason}`);
    console.log(`# skipping the console browser tests: ${reason}`);
    return { skip: reason };
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return { browser };
}

/** axe-core's browser bundle, injected into pages by {@link axeViolations}. */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One accessibility violation axe found. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[]; readonly failureSummary?: string }[];
}

/**
 * Runs axe-core on the page as it is (WCAG 2.1 A and AA rules, best practices included) and
 * returns the violations of `serious` or `critical` impact. The source is evaluated over CDP, which
 * the page's Content-Security-Policy does not govern (a <script> tag would be refused, as it should).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if ((await page.evaluate('typeof globalThis.axe')) === 'undefined') await page.evaluate(axeSource);
  // A string, not a function: this file is type-checked without the DOM's types.
  const violations = (await page.evaluate(`
    (async () => {
      const result = await globalThis.axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
      }));
    })()
  `)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
