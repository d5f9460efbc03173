// Debian's Chromium driven by playwright-core, for the web page tests. Without /usr/bin/chromium
// the browser tests skip with a message on a developer machine and fail under CI=true.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = join(process.cwd(), 'test-results');

export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${message}`);
  console.warn(`SKIPPED: web page browser tests — ${message}`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and CSP violations: a clean page has none. */
  problems: string[];
}

/** A fresh context (own sessionStorage) and page, watching for anything that went wrong. */
export async function openPage(browser: Browser, url?: string): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  // CSP violations are reported as console errors too, but make them unmistakable.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  if (url) await page.goto(url);
  return { context, page, problems };
}

/** Marks the document so a test can prove a change arrived without a reload. */
export async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  return () => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Records, inside the page, when the first server row and the fleet totals are in the DOM and the
 * frame after (ms since navigation start). Source text, not a function: the TypeScript loader
 * would wrap named functions in helpers that do not exist in the page.
 */
const FIRST_ROW_PROBE = `(() => {
  const check = () => {
    if (window.__firstRowAt) return;
    const row = document.querySelector('tr[data-identifier]');
    const total = document.querySelector('[data-testid="total-all"] .total-count');
    if (row && total && Number(total.textContent.replace(/\\D/g, '')) > 0) {
      window.__firstRowAt = performance.now();
      requestAnimationFrame(() => (window.__firstPaintAt = performance.now()));
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
})()`;

/** Call before `goto`; then `firstRowAt(page)`. */
export async function recordFirstRow(page: Page): Promise<void> {
  await page.addInitScript(FIRST_ROW_PROBE);
}

/** Navigation start → the frame after the first row and the totals showed, in ms. */
export async function firstRowAt(page: Page, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Polled from outside: waitForFunction evaluates text inside the page, which its CSP forbids.
    const at = (await page.evaluate('window.__firstPaintAt')) as number | undefined;
    if (at) return at;
    if (Date.now() > deadline) throw new Error(`no server row and totals on screen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
