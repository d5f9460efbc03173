// The server page in Chromium against a real server with real ingested history: reached by a
// click on the status page, charts with data, the 90-day uptime bar and figures, the timeline and
// the version changes beside it, the last point following a live heartbeat; the 30-day uptime on
// the status page's and the admin list's rows; no console errors, no CSP violations.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';
import { chromiumAvailable, launchChromium, openPage, screenshot } from './browser.ts';

const available = chromiumAvailable();

const EXPECTED_VERSION_STEPS = [
  ['Plugin 0.1.0 → 0.2.0'],
  ['OpenClaw 2026.9.6 → 2026.11.2'],
  ['OpenClaw 2026.9.6', 'Plugin 0.1.0', 'Agents alpha, Beta'],
];

/** The version list as read on screen: per item, its changes ("Plugin 0.1.0 → 0.2.0"), newest item first. */
async function versionSteps(page: Page): Promise<string[][]> {
  const items = page.locator('section.server-versions li');
  await items.first().waitFor({ timeout: 10_000 });
  const times = await items.locator('time').evaluateAll((nodes) => nodes.map((n) => Date.parse(n.getAttribute('datetime')!)));
  expect(times, 'newest first').toEqual([...times].sort((a, b) => b - a));
  return items.evaluateAll((nodes) =>
    nodes.map((n) => [...n.querySelectorAll('[data-what]')].map((c) => c.textContent!.replace(/^ · /, '').replace(/\s+/g, ' ').trim())),
  );
}
const MIN = 60_000;
const DAY = 86_400_000;

describe.skipIf(!available)('server page', () => {
  let server: TestServer;
  let browser: Browser;
  let offset = 0;
  let serverId: string;
  let identifier: string;
  let key: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ web: true, now: () => new Date(Date.now() + offset) }), launchChromium()]);
    const { prisma } = server.app.services.db;
    ({ id: serverId, identifier } = await server.createServer('web-01', { intervalSeconds: 60, graceSeconds: 60 }));
    key = await server.issueKey(serverId);
    // An hour of heartbeats, one a minute, through the real ingest path; OpenClaw is upgraded half
    // an hour ago and the plugin ten minutes ago (version changes).
    for (let i = 60; i >= 1; i--) {
      offset = -i * MIN;
      const wave = Math.sin(i / 6);
      const versions = { openclaw_version: i > 30 ? '2026.9.6' : '2026.11.2', plugin_version: i > 10 ? '0.1.0' : '0.2.0' };
      const reply = await server.heartbeat(key, seedHeartbeat(identifier, { ...versions, cpu_pct: 35 + 25 * wave, mem_pct: 55 + 5 * wave, disk_pct: 63 + i / 60, swap_pct: 2, load_avg: [1 + wave, 0.9, 0.7] }));
      expect(reply.status).toBe(200);
    }
    offset = 0;
    // Neighbours on the status page: one reporting since it was added (100 %), one never (no figure).
    const steady = await server.createServer('api-02', { intervalSeconds: 600, graceSeconds: 600 });
    expect((await server.heartbeat(await server.issueKey(steady.id), seedHeartbeat('api-02'))).status).toBe(200);
    await server.createServer('db-03');
    // Older status history, as the sweep would have written it: registered 80 days ago, two outages.
    const now = Date.now();
    await prisma.statusChange.deleteMany({ where: { serverId, cause: { not: 'REGISTERED' } } });
    await prisma.statusChange.updateMany({ where: { serverId }, data: { at: new Date(now - 80 * DAY) } });
    const history: [string | null, string, number][] = [
      ['PENDING', 'ONLINE', now - 80 * DAY + 3_600_000],
      ['ONLINE', 'OFFLINE', now - 40 * DAY],
      ['OFFLINE', 'ONLINE', now - 40 * DAY + 6 * 3_600_000],
      ['ONLINE', 'OFFLINE', now - 3 * DAY],
      ['OFFLINE', 'ONLINE', now - 3 * DAY + 30 * MIN],
      ['ONLINE', 'OFFLINE', now - 3 * 3_600_000],
      ['OFFLINE', 'ONLINE', now - 60 * MIN],
    ];
    for (const [fromStatus, toStatus, at] of history) {
      await prisma.statusChange.create({ data: { serverId, fromStatus, toStatus, at: new Date(at), cause: toStatus === 'OFFLINE' ? 'SILENCE' : 'HEARTBEAT' } });
    }
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('is reached from the status page and shows charts, the uptime bar and the timelines, the last point live', async () => {
    const { page, problems, context } = await openPage(browser);
    await context.addInitScript((token) => sessionStorage.setItem('harborforge.adminToken', token), ADMIN_TOKEN);
    await page.goto(`${server.url}/`);
    // The row's 30-day uptime, fetched for the rows on screen: the server page's 30 d figure below.
    const rowUptime = page.locator(`tr[data-identifier="${identifier}"] td[data-uptime30d]`);
    await page.waitForSelector(`tr[data-identifier="${identifier}"] td[data-uptime30d]:not([data-uptime30d="loading"])`, { timeout: 15_000 });
    const listed = await rowUptime.textContent();
    expect(listed).toMatch(/^9\d\.\d\d %$/);
    expect(await page.locator('tr[data-identifier="api-02"] td[data-uptime30d]').textContent()).toBe('100 %');
    expect(await page.locator('tr[data-identifier="db-03"] td[data-uptime30d]').textContent()).toBe('—');
    await screenshot(page, 'web-status-uptime');
    await page.locator(`tr[data-identifier="${identifier}"] a.server-name`).click();
    await page.waitForURL(`${server.url}/server?id=${serverId}`);

    const charts = page.locator('section.chart');
    await charts.first().waitFor();
    expect(await charts.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-chart')))).toEqual(['CPU', 'Memory', 'Disk', 'Swap', 'Load']);
    for (const chart of await charts.all()) {
      // 24 h at 300 points is 5-minute buckets: the hour of heartbeats fills 12–13 of them.
      expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(12);
      expect(await chart.locator('canvas').count()).toBe(1);
    }
    expect(await page.locator('.uptime-day').count()).toBe(90);
    expect(await page.locator('.uptime-bad').count()).toBeGreaterThanOrEqual(2);
    const figure = async (key: string) => page.locator(`[data-uptime="${key}"]`).textContent();
    // 24 h: OFFLINE for the 2 h before the last hour's heartbeats: 22 of 24 hours up.
    expect(await figure('24h')).toBe('91.67 %');
    expect(await figure('30d')).toBe(listed);
    expect(await page.locator('section.server-timeline li').count()).toBeGreaterThanOrEqual(7);
    // Beside it, the version changes, newest first, each said as what changed.
    expect(await versionSteps(page)).toEqual(EXPECTED_VERSION_STEPS);
    await page.getByRole('button', { name: '1 h' }).click();
    await page.waitForFunction(() => document.querySelector('.segmented .active')?.textContent === '1 h' && document.querySelector('section.chart'));
    await page.locator('.chart-host .u-over').first().hover({ position: { x: 300, y: 60 } });
    await screenshot(page, 'web-server-page');

    // A heartbeat arrives: the charts gain their live last point without a reload.
    const before = Number(await charts.first().getAttribute('data-points'));
    expect((await server.heartbeat(key, seedHeartbeat(identifier, { cpu_pct: 97, openclaw_version: '2026.11.2', plugin_version: '0.2.0' }))).status).toBe(200);
    await page.waitForFunction((n) => Number(document.querySelector('section.chart')?.getAttribute('data-points')) === n + 1, before, { timeout: 10_000 });

    await page.getByRole('button', { name: '7 d' }).click();
    await page.waitForFunction(() => document.querySelector('.segmented .active')?.textContent === '7 d');
    await charts.first().waitFor();
    await screenshot(page, 'web-server-page-7d');
    await page.getByRole('button', { name: '30 d' }).click();
    await page.waitForFunction(() => document.querySelector('.segmented .active')?.textContent === '30 d' && document.querySelector('section.chart'));
    // The pointer off the range buttons (its hover style would hide the active one) and the page at the top.
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'web-server-page-versions');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('without a token shows the public uptime and says how to see the rest', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/server?id=${serverId}`);
    await page.locator('.uptime-day').first().waitFor({ timeout: 10_000 }).catch(async (error) => {
      throw new Error(`${error.message}\n${await page.locator('body').innerText()}\n${problems.join('\n')}`);
    });
    expect(await page.locator('section.chart').count()).toBe(0);
    await page.getByRole('link', { name: 'sign in on the admin page' }).waitFor();
    // Versions are public where the overview is; the status transitions are not.
    expect(await versionSteps(page)).toEqual(EXPECTED_VERSION_STEPS);
    expect(await page.locator('section.server-timeline').count()).toBe(0);
    await screenshot(page, 'web-server-page-public');
    expect(problems).toEqual([]);
    await context.close();
  }, 30_000);

  it('shows the 30-day uptime on the admin list rows too', async () => {
    const { page, problems, context } = await openPage(browser);
    await context.addInitScript((token) => sessionStorage.setItem('harborforge.adminToken', token), ADMIN_TOKEN);
    await page.goto(`${server.url}/admin`);
    await page.waitForSelector(`tr[data-identifier="${identifier}"] td[data-uptime30d]:not([data-uptime30d="loading"])`, { timeout: 15_000 });
    expect(await page.locator(`tr[data-identifier="${identifier}"] td[data-uptime30d]`).textContent()).toMatch(/^9\d\.\d\d %$/);
    expect(await page.locator('tr[data-identifier="api-02"] td[data-uptime30d]').textContent()).toBe('100 %');
    expect(await page.getByRole('columnheader', { name: 'Uptime 30 d' }).count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  }, 30_000);
});
