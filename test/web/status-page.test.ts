// The public status view in a real browser against a real server: live updates through
// overviewUpdated, the ticking "last seen", filters, the lost-connection notice and the SSE
// fallback when WebSockets never get through.
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, uniqueIdentifier, waitFor, type TestServer } from '../helpers/server.ts';
import { chromiumAvailable, launchChromium, markDocument, openPage, screenshot } from './browser.ts';

const available = chromiumAvailable();

const row = (page: Page, identifier: string) => page.locator(`tr[data-identifier="${identifier}"]`);
const waitForStatus = (page: Page, identifier: string, status: string) =>
  page.waitForSelector(`tr[data-identifier="${identifier}"][data-status="${status}"]`, { timeout: 10_000 });

describe.skipIf(!available)('status page', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ web: true }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('turns a server Online live when its heartbeat arrives after the page loaded', async () => {
    const identifier = uniqueIdentifier('status');
    const { id } = await server.createServer(identifier);
    const apiKey = await server.issueKey(id);
    const { page, problems, context } = await openPage(browser, `${server.url}/`);

    await waitForStatus(page, identifier, 'PENDING');
    expect(await row(page, identifier).locator('.pill').textContent()).toBe('Pending');
    expect(await page.locator('[data-live-state="live"]').count()).toBe(1);
    const onlineBefore = Number(await page.getByTestId('total-online').locator('.total-count').textContent());
    const sameDocument = await markDocument(page);

    const response = await server.heartbeat(
      apiKey,
      seedHeartbeat(identifier, { cpu_pct: 7.5, mem_pct: 41.2, disk_pct: 93, agents: ['alpha', { id: 'beta', name: 'Beta' }] }),
    );
    expect(response.status).toBe(200);

    await waitForStatus(page, identifier, 'ONLINE');
    expect(await sameDocument()).toBe(true);
    const text = await row(page, identifier).innerText();
    // Status in words, not only colour; every metric with its number.
    for (const expected of ['Online', '7.5%', '41%', '93%', '0%', '0.42 0.35 0.30', '1 d', 'OpenClaw 2026.9.6', 'plugin 0.1.0', 'alpha, Beta']) {
      expect(text).toContain(expected);
    }
    expect(Number(await page.getByTestId('total-online').locator('.total-count').textContent())).toBe(onlineBefore + 1);

    // "Last seen" ticks in the browser without any new data from the server.
    const lastSeen = row(page, identifier).locator('time.ago');
    const first = await lastSeen.textContent();
    await waitFor(async () => /^\d+ s ago$/.test((await lastSeen.textContent()) ?? '') && (await lastSeen.textContent()) !== first, {
      timeoutMs: 6_000,
      what: 'last seen to tick',
    });

    await screenshot(page, 'web-status');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('filters by status and searches by name or identifier', async () => {
    const online = uniqueIdentifier('filter-on');
    const pending = uniqueIdentifier('filter-pending');
    const { id } = await server.createServer(online, { name: 'Filter Alpha' });
    await server.createServer(pending, { name: 'Filter Beta' });
    expect((await server.heartbeat(await server.issueKey(id), seedHeartbeat(online))).status).toBe(200);

    const { page, problems, context } = await openPage(browser, `${server.url}/`);
    await waitForStatus(page, online, 'ONLINE');
    await waitForStatus(page, pending, 'PENDING');

    await page.getByTestId('total-pending').click();
    expect(await page.getByTestId('total-pending').getAttribute('aria-pressed')).toBe('true');
    await row(page, online).waitFor({ state: 'detached' });
    expect(await row(page, pending).count()).toBe(1);
    expect(page.url()).toContain('status=pending');

    await page.getByTestId('total-all').click();
    await page.getByRole('searchbox', { name: 'Search' }).fill('filter alpha');
    await row(page, pending).waitFor({ state: 'detached' });
    expect(await row(page, online).count()).toBe(1);

    // Searching by identifier works too, and an empty result says so.
    await page.getByRole('searchbox', { name: 'Search' }).fill(pending);
    await row(page, pending).waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('no-such-server-anywhere');
    await page.getByText('No servers match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await row(page, online).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says when the live connection is lost, then catches up after reconnecting', async () => {
    const identifier = uniqueIdentifier('outage');
    const { id } = await server.createServer(identifier);
    const apiKey = await server.issueKey(id);

    const { page, problems, context } = await openPage(browser);
    let blocked = false;
    const sockets: WebSocketRoute[] = [];
    // Sit between the page and the server: while "blocked", every new socket is dropped at once.
    await page.routeWebSocket(/\/graphql$/, (socket) => {
      if (blocked) return socket.close({ code: 1012, reason: 'test outage' });
      socket.connectToServer();
      sockets.push(socket);
    });
    await page.goto(`${server.url}/`);
    await waitForStatus(page, identifier, 'PENDING');
    await page.locator('[data-live-state="live"]').waitFor();
    const sameDocument = await markDocument(page);

    blocked = true;
    for (const socket of sockets) await socket.close({ code: 1001, reason: 'test outage' });
    await page.getByTestId('connection-lost').waitFor();
    expect(await page.locator('[data-live-state="reconnecting"]').count()).toBe(1);
    await screenshot(page, 'web-status-reconnecting');

    // A change made during the outage shows up once the connection is back.
    expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);
    blocked = false;
    await waitForStatus(page, identifier, 'ONLINE');
    await page.locator('[data-live-state="live"]').waitFor();
    expect(await page.getByTestId('connection-lost').count()).toBe(0);
    expect(await sameDocument()).toBe(true);
    expect(problems.filter((problem) => !problem.includes('WebSocket'))).toEqual([]);
    await context.close();
  });

  it('falls back to SSE when WebSockets never connect, and still updates live', async () => {
    const identifier = uniqueIdentifier('sse');
    const { id } = await server.createServer(identifier);
    const apiKey = await server.issueKey(id);

    const { page, problems, context } = await openPage(browser);
    // Like a proxy that drops the Upgrade: no WebSocket ever gets through.
    await page.routeWebSocket(/\/graphql$/, (socket) => socket.close({ code: 1013, reason: 'no websockets here' }));
    await page.goto(`${server.url}/`);
    await waitForStatus(page, identifier, 'PENDING');
    await page.locator('[data-live-state="live"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-live-state="live"]').innerText()).toContain('SSE');

    expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);
    await waitForStatus(page, identifier, 'ONLINE');
    expect(problems.filter((problem) => !problem.includes('WebSocket'))).toEqual([]);
    await context.close();
  });
});

describe.skipIf(!available)('status page when the overview is not public', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ web: true, publicOverview: false }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('asks for a sign-in, then shows the fleet with the admin token of the same tab', async () => {
    const identifier = uniqueIdentifier('private');
    await server.createServer(identifier);
    const { page, problems, context } = await openPage(browser, `${server.url}/`);
    await page.getByRole('alert').filter({ hasText: 'not public' }).waitFor();
    expect(await row(page, identifier).count()).toBe(0);

    await page.getByRole('link', { name: 'Sign in on the admin page' }).click();
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByLabel('Admin token').press('Enter');
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    await page.getByRole('link', { name: 'Status page' }).click();
    await waitForStatus(page, identifier, 'PENDING');
    await page.locator('[data-live-state="live"]').waitFor();
    // The browser logs the refused anonymous request (401/403) as a console error; nothing else may appear.
    expect(problems.filter((problem) => !/status of 40[13]/.test(problem))).toEqual([]);
    await context.close();
  });
});
