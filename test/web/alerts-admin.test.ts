// The Alerts section of /admin in a real browser against a real server and a real webhook
// receiver: add a channel and test it, rules and silences through their forms, a server that goes
// silent fires an OFFLINE alert that shows up live, and the status page marks that server.
import { createHmac } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, uniqueIdentifier, type TestServer } from '../helpers/server.ts';
import { startHttpReceiver, type HttpReceiver } from '../helpers/receivers.ts';
import { chromiumAvailable, launchChromium, markDocument, openPage, screenshot } from './browser.ts';

const available = chromiumAvailable();

async function signIn(page: Page): Promise<void> {
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByLabel('Admin token').press('Enter');
}

describe.skipIf(!available)('admin page: Alerts', () => {
  let server: TestServer;
  let browser: Browser;
  let hook: HttpReceiver;

  beforeAll(async () => {
    [server, browser, hook] = await Promise.all([startTestServer({ web: true }), launchChromium(), startHttpReceiver()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await hook?.close();
  });

  it('adds and tests a webhook channel, creates an OFFLINE rule and silences, and shows the firing alert live and on the status page', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/admin`);
    await signIn(page);
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Firing alerts' }).waitFor();
    expect(page.url()).toBe(`${server.url}/admin#alerts`);
    const sameDocument = await markDocument(page);

    // A channel: a wrong URL is refused next to its field, then a good one with a secret.
    await page.getByLabel('Name', { exact: true }).fill('ops-hook');
    await page.getByLabel('URL', { exact: true }).fill('ftp://nowhere');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByTestId('error-channel-url').waitFor();
    expect(await page.getByTestId('error-channel-url').textContent()).toMatch(/http:\/\/ or https:\/\//);
    await page.getByLabel('URL', { exact: true }).fill(`${hook.url}/hook`);
    await page.getByLabel('Signing secret').fill('hook-secret-1');
    await page.getByRole('button', { name: 'Add channel' }).click();
    const channelRow = page.locator('tr[data-channel="ops-hook"]');
    await channelRow.waitFor();
    expect(await channelRow.innerText()).toContain(`${hook.url}/hook`);
    expect(await channelRow.innerText()).toContain('secret set: secret');
    expect(await page.content()).not.toContain('hook-secret-1');

    // Test: the receiver gets a signed TEST message, the page says so and shows the health.
    await channelRow.getByRole('button', { name: 'Test' }).click();
    await channelRow.getByTestId('test-result').filter({ hasText: 'Test sent.' }).waitFor();
    const [test] = await hook.waitFor(1);
    expect(JSON.parse(test!.body).event).toBe('TEST');
    expect(test!.headers['x-harborforge-signature']).toBe(`sha256=${createHmac('sha256', 'hook-secret-1').update(test!.body).digest('hex')}`);
    await channelRow.getByText('Working').waitFor();

    // A server that reports once and then goes silent (OFFLINE after 5 + 5 s).
    const identifier = uniqueIdentifier('alerted');
    const created = await server.createServer(identifier, { intervalSeconds: 5, graceSeconds: 5 });
    const apiKey = await server.issueKey(created.id);

    // An OFFLINE rule for that server, to that channel, through the form.
    await page.getByLabel('Rule name').fill('server down');
    await page.getByLabel('When', { exact: true }).selectOption('OFFLINE');
    await page.locator('#rule-servers').fill(identifier);
    await page.getByRole('button', { name: `Add ${identifier}` }).click();
    await page.getByRole('list', { name: 'Selected servers' }).getByText(identifier).waitFor();
    await page.locator('fieldset').filter({ hasText: 'Send to' }).getByLabel('ops-hook').check();
    await page.getByRole('button', { name: 'Add rule' }).click();
    const ruleRow = page.locator('tr[data-rule="server down"]');
    await ruleRow.waitFor();
    expect(await ruleRow.innerText()).toContain(identifier);
    expect(await ruleRow.innerText()).toContain('ops-hook');

    // A metric rule's form: a threshold is required.
    await page.getByLabel('Rule name').fill('cpu hot');
    await page.getByLabel('When', { exact: true }).selectOption('METRIC');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByTestId('error-rule-threshold').waitFor();
    await page.getByLabel('Threshold', { exact: true }).fill('90');
    await page.getByLabel('Clear threshold').fill('80');
    await page.getByLabel('For (s)').fill('60');
    await page.getByLabel('Tags').first().fill('web');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('tr[data-rule="cpu hot"]').getByText('CPU above 90 % (clears below 80 %) for 1 min').waitFor();

    // Silences: a weekly one for a tag, and a one-off one that is deleted again.
    await page.getByLabel('Comment').fill('weekly patching');
    await page.getByLabel('Weekly').check();
    await page.locator('fieldset').filter({ hasText: 'Days' }).getByLabel('Tue').check();
    await page.getByLabel('Starts at (UTC)').fill('03:30');
    await page.getByLabel('Lasts (min)').fill('45');
    await page.locator('#silence-tags').fill('db');
    await page.getByRole('button', { name: 'Add silence' }).click();
    await page.locator('tr[data-silence="weekly patching"]').getByText('Every Tue, Sun at 03:30 UTC for 45 min').waitFor();
    await page.getByLabel('Comment').fill('one-off window');
    await page.getByLabel('Once').check();
    await page.locator('#silence-tags').fill('nothing-has-this-tag');
    await page.getByRole('button', { name: 'Add silence' }).click();
    const oneOff = page.locator('tr[data-silence="one-off window"]');
    await oneOff.getByText('In force').waitFor();
    await oneOff.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: /Delete the silence/ }).getByRole('button', { name: 'Delete silence' }).click();
    await oneOff.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement?.id === 'silences-title', undefined, { timeout: 5_000 });
    await page.locator('section[aria-labelledby="channels-title"]').screenshot({ path: 'test-results/web-admin-alerts-channels.png' });
    await screenshot(page, 'web-admin-alerts-config');
    // Every control has an accessible name.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((element) => {
          const labelled = (element as HTMLInputElement).labels?.length || element.getAttribute('aria-label') || element.getAttribute('aria-labelledby');
          return !labelled && !(element.textContent ?? '').trim();
        })
        .map((element) => element.outerHTML),
    );
    expect(unlabelled).toEqual([]);

    // The server reports once, then goes silent: the OFFLINE alert fires, live in the page.
    expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);
    const firing = page.locator(`tr[data-alert-server="${identifier}"][data-state="FIRING"]`);
    await firing.waitFor({ timeout: 30_000 });
    expect(await firing.innerText()).toContain('server down');
    const fired = await waitForBody(hook, (body) => body.event === 'FIRING');
    expect(fired).toMatchObject({ event: 'FIRING', server: { identifier }, rule: { name: 'server down', kind: 'OFFLINE' } });
    await page.locator('.alert-event-firing').filter({ hasText: identifier }).waitFor();
    await screenshot(page, 'web-admin-alerts-firing');
    expect(await sameDocument()).toBe(true);

    // The status page marks the server's row.
    const status = await context.newPage();
    await status.goto(`${server.url}/`);
    const mark = status.locator(`[data-identifier="${identifier}"] .alert-mark`);
    await mark.waitFor({ timeout: 10_000 });
    expect(await mark.innerText()).toMatch(/1 alert/);
    await screenshot(status, 'web-status-alert-mark');

    // It reports again: RESOLVED goes out, the alert leaves the page and the mark leaves the row.
    expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);
    await firing.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await waitForBody(hook, (body) => body.event === 'RESOLVED')).toMatchObject({ server: { identifier }, rule: { name: 'server down' } });
    await mark.waitFor({ state: 'detached', timeout: 10_000 });

    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});

async function waitForBody(receiver: HttpReceiver, match: (body: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = receiver.requests.map((request) => JSON.parse(request.body)).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching webhook body in ${receiver.requests.length} request(s)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
