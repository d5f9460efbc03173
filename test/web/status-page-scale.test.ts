// The status page in Chromium against a fleet of 20,000 servers: the first rows and the totals
// come quickly, a heartbeat shows within a second, only the rows in view are in the DOM however
// far one scrolls, search and status filters run on the server, totals stay live, no console
// errors and no CSP violations. (`npm run bench -- web` measures the same at 100,000.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBulkFleet } from '../helpers/bulk-fleet.ts';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';
import { chromiumAvailable, firstRowAt, launchChromium, openPage, recordFirstRow, screenshot } from './browser.ts';

const available = chromiumAvailable();
const FLEET = 20_000;
/** Sorts before every `fleet-…` identifier: the first row in the default order. */
const PROBE = 'aaa-probe';

const rows = (page: Page) => page.locator('tr[data-identifier]');
const count = async (page: Page, testId: string) => Number(await page.getByTestId(testId).locator('.total-count').textContent());
const scrollTo = (page: Page, top: number) => page.getByTestId('server-scroller').evaluate((box, to) => void (box.scrollTop = to), top);

describe.skipIf(!available)(`status page with ${FLEET.toLocaleString('en-US')} servers`, () => {
  let server: TestServer;
  let browser: Browser;
  let probeKey: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'harborforge-web-scale-'));
    const first = await startTestServer({ web: true, dataDir }); // creates the database
    await first.stop();
    insertBulkFleet(dataDir, FLEET);
    [server, browser] = await Promise.all([startTestServer({ web: true, dataDir }), launchChromium()]);
    const { id } = await server.createServer(PROBE, { name: 'Probe' });
    probeKey = await server.issueKey(id);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('paints the first rows and the totals quickly, then shows a heartbeat within a second', async () => {
    const { page, problems, context } = await openPage(browser);
    await recordFirstRow(page);
    const response = await page.goto(`${server.url}/`);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    await rows(page).first().waitFor();
    await page.getByTestId('total-all').locator('.total-count').filter({ hasText: String(FLEET + 1) }).waitFor();
    const paintMs = await firstRowAt(page);
    console.log(`first useful paint within ${Math.round(paintMs)} ms at ${FLEET} servers`);
    expect(paintMs).toBeLessThan(5_000); // the bench's 1.5 s target is measured on a quiet machine
    expect(await rows(page).first().getAttribute('data-identifier')).toBe(PROBE);
    expect(await count(page, 'total-online')).toBe(FLEET * 0.92); // the bulk fleet's mix: 92 % online
    await page.locator('[data-live-state="live"]').waitFor();

    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const marker = `marker-${i}-${Date.now().toString(36)}`;
      const sentAt = Date.now();
      expect((await server.heartbeat(probeKey, seedHeartbeat(PROBE, { agents: [marker] }))).status).toBe(200);
      await page.locator(`tr[data-identifier="${PROBE}"]`, { hasText: marker }).waitFor({ timeout: 5_000 });
      delays.push(Date.now() - sentAt);
    }
    console.log(`heartbeat → screen ${delays.join(' / ')} ms`);
    expect([...delays].sort((a, b) => a - b)[1]).toBeLessThanOrEqual(1_000);
    expect(await page.locator(`tr[data-identifier="${PROBE}"]`).getAttribute('data-status')).toBe('ONLINE');
    await screenshot(page, 'web-status-scale');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps only the rows in view in the DOM while scrolling to any position', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/`);
    await rows(page).first().waitFor();
    const rowHeight = await rows(page).first().evaluate((row) => (row as HTMLElement).offsetHeight);
    const scroller = page.getByTestId('server-scroller');
    const scrollHeight = await scroller.evaluate((box) => box.scrollHeight);
    expect(scrollHeight).toBeGreaterThan((FLEET - 1) * rowHeight); // one tall table, all rows reachable

    // Jump to the middle and to the end: the rows there load, and the DOM stays small.
    for (const index of [9_999, FLEET]) {
      await scrollTo(page, index * rowHeight);
      // The list is PROBE, then fleet-000000…: position `index` holds fleet-(index - 1).
      const identifier = `fleet-${String(index - 1).padStart(6, '0')}`;
      await page.locator(`tr[data-identifier="${identifier}"]`).waitFor({ timeout: 10_000 });
      expect(await rows(page).count()).toBeLessThanOrEqual(80);
    }
    // A smooth run through a stretch: every frame has its rows (no placeholder left behind).
    let most = 0;
    for (let step = 0; step < 20; step++) {
      await scroller.evaluate((box) => void (box.scrollTop -= 600));
      most = Math.max(most, await page.locator('tr.vrow').count());
    }
    expect(most).toBeLessThanOrEqual(80);
    await page.locator('tr.vrow-loading').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(async (e) => {
      console.log('block held / rows in view / page:', await page.locator('main').getAttribute('data-block'), await scroller.getAttribute('data-view'), await page.locator('main').innerText().then((t) => t.slice(0, 300)));
      throw e;
    });
    await screenshot(page, 'web-status-scale-scrolled');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('sorts problems first on the server: OFFLINE on top, ONLINE at the end, any position', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/`);
    await rows(page).first().waitFor();
    await page.getByRole('button', { name: 'Status', exact: true }).click();
    // The bulk fleet's first OFFLINE server is fleet-000024 (every 25th, unless it never reported).
    await page.locator('tr[data-identifier]').first().and(page.locator('[data-identifier="fleet-000024"]')).waitFor({ timeout: 10_000 });
    expect(page.url()).toContain('order=problems');
    const rank = { OFFLINE: 0, LATE: 1, PENDING: 2, ONLINE: 3 } as Record<string, number>;
    const inView = () => rows(page).evaluateAll((found) => found.map((row) => row.getAttribute('data-status')!));
    const top = await inView();
    expect(top[0]).toBe('OFFLINE');
    expect(top.map((status) => rank[status]!)).toEqual([...top.map((status) => rank[status]!)].sort((a, b) => a - b));
    // The end of the list: the last ONLINE identifier, and only ONLINE rows around it.
    const rowHeight = await rows(page).first().evaluate((row) => (row as HTMLElement).offsetHeight);
    await scrollTo(page, (FLEET + 10) * rowHeight);
    await page.locator('tr[data-identifier="fleet-019998"]').waitFor({ timeout: 10_000 });
    expect(new Set(await inView())).toEqual(new Set(['ONLINE']));
    expect(await rows(page).count()).toBeLessThanOrEqual(80);
    // Back to the identifier order from the Server column.
    await page.getByRole('button', { name: 'Server', exact: true }).click();
    await page.locator('tr[data-identifier]').first().and(page.locator(`[data-identifier="${PROBE}"]`)).waitFor({ timeout: 10_000 });
    expect(page.url()).not.toContain('order=');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('searches and filters on the server, with live totals', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/`);
    await rows(page).first().waitFor();
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill('fleet-01234');
    await page.getByText(`10 of ${FLEET + 1} servers`).waitFor();
    expect(await rows(page).count()).toBe(10);
    expect(page.url()).toContain('q=fleet-01234');

    await search.fill('');
    await page.getByTestId('total-offline').click();
    const offline = await count(page, 'total-offline');
    await page.getByText(`${offline} of ${FLEET + 1} servers`).waitFor();
    const statuses = await rows(page).evaluateAll((found) => [...new Set(found.map((row) => row.getAttribute('data-status')))]);
    expect(statuses).toEqual(['OFFLINE']);

    // Totals are live for the whole fleet, whatever the filter shows.
    const before = await count(page, 'total-all');
    await server.createServer(`zzz-added-${Date.now()}`);
    await page.getByTestId('total-all').locator('.total-count').filter({ hasText: String(before + 1) }).waitFor({ timeout: 5_000 });
    // ...and the new server is in its place in the list, in either order.
    await page.getByTestId('total-pending').click();
    await page.getByRole('button', { name: 'Server', exact: true }).click();
    await page.locator('tr[data-identifier]').first().and(page.locator('[data-identifier^="zzz-added-"]')).waitFor({ timeout: 5_000 });
    expect(page.url()).toContain('order=desc');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('gives the admin list the same: rows in view only, any position, search on the server, actions on a far row', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/admin`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByLabel('Admin token').press('Enter');
    await rows(page).first().waitFor();
    await page.getByText(/^\d+ servers$/).waitFor(); // the whole fleet (earlier tests may have added a server)
    const rowHeight = await rows(page).first().evaluate((row) => (row as HTMLElement).offsetHeight);
    await scrollTo(page, FLEET * rowHeight);
    const last = page.locator('tr[data-identifier="fleet-019999"]');
    await last.waitFor({ timeout: 10_000 });
    expect(await rows(page).count()).toBeLessThanOrEqual(80);
    // A key generated for a row far down the list shows in that row.
    await page.getByRole('button', { name: 'Generate API Key for fleet-019999' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await last.getByText(/never used/).waitFor();

    await page.getByRole('searchbox', { name: 'Search' }).fill('fleet-01234');
    await page.getByText(/^10 of \d+ servers$/).waitFor();
    expect(await rows(page).count()).toBe(10);
    await page.getByLabel('Status filter').selectOption('OFFLINE');
    await page.getByText('No server matches these filters.').waitFor(); // fleet-01234x has no OFFLINE server
    await screenshot(page, 'web-admin-scale');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
