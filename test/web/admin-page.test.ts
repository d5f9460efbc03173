// The admin page in a real browser against a real server, through the UI only: sign-in (and a
// failed one), Add Server with inline errors, Generate / Revoke API Key, Delete Server, and live
// updates from changes made elsewhere.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, uniqueIdentifier, type TestServer } from '../helpers/server.ts';
import { chromiumAvailable, launchChromium, markDocument, openPage, screenshot } from './browser.ts';

const available = chromiumAvailable();

const row = (page: Page, identifier: string) => page.locator(`tr[data-identifier="${identifier}"]`);

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Admin token').fill(token);
  // Keyboard, not a click: Enter in the field submits the form.
  await page.getByLabel('Admin token').press('Enter');
}

describe.skipIf(!available)('admin page', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ web: true }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('rejects a wrong token with an error and keeps nothing', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/admin`);
    await screenshot(page, 'web-admin-signin');
    await signIn(page, 'not-the-admin-token-at-all');
    const error = page.getByRole('alert').filter({ hasText: 'not accepted' });
    await error.waitFor();
    expect(await page.getByLabel('Admin token').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(page.url()).toBe(`${server.url}/admin`);
    // The browser logs the 401 of the GraphQL request as a console error; nothing else may appear.
    expect(problems.filter((problem) => !/status of 401/.test(problem))).toEqual([]);
    await context.close();
  });

  it('signs in, adds a server, generates, revokes and deletes its key and the server', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/admin`);
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole('heading', { name: 'Add Server' }).waitFor();
    // The token is kept for this tab only, never in the URL.
    expect(await page.evaluate(() => sessionStorage.getItem('harborforge.adminToken'))).toBe(ADMIN_TOKEN);
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.getByText(/challenge/i).count()).toBe(0);
    const sameDocument = await markDocument(page);

    // Add Server: a validation error, shown next to the identifier.
    const identifierField = page.getByLabel('Identifier', { exact: true });
    await identifierField.fill('not valid!');
    await page.getByRole('button', { name: 'Add Server' }).click();
    await page.getByTestId('error-identifier').waitFor();
    expect(await page.getByTestId('error-identifier').textContent()).toContain('may contain only');
    expect(await identifierField.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('identifier');

    // ...and a success.
    const identifier = uniqueIdentifier('admin-ui');
    await identifierField.fill(identifier);
    await page.getByLabel('Display name').fill('Admin UI box');
    await page.getByRole('button', { name: 'Add Server' }).click();
    await row(page, identifier).waitFor();
    expect(await row(page, identifier).innerText()).toContain('Admin UI box');
    expect(await row(page, identifier).getAttribute('data-status')).toBe('PENDING');
    expect(await identifierField.inputValue()).toBe('');

    // ...and a conflict, inline too.
    await identifierField.fill(identifier);
    await page.getByRole('button', { name: 'Add Server' }).click();
    await page.getByTestId('error-identifier').waitFor();
    expect(await page.getByTestId('error-identifier').textContent()).toContain('already exists');
    await identifierField.fill('');

    // Generate API Key: shown once, with the plugin configuration, and it works.
    await row(page, identifier).getByRole('button', { name: 'Generate API Key' }).click();
    const dialog = page.getByRole('dialog', { name: `API key for Admin UI box` });
    await dialog.waitFor();
    const apiKey = await dialog.getByTestId('api-key').inputValue();
    expect(apiKey.length).toBeGreaterThan(20);
    expect(await dialog.innerText()).toMatch(/shown only this once/);
    expect(await dialog.innerText()).toMatch(/replaces this one/);
    const config = JSON.parse((await dialog.getByTestId('openclaw-config').textContent())!);
    expect(config.plugins.entries['harborforge-monitor']).toEqual({
      enabled: true,
      config: { backendUrl: server.url, apiKey, identifier, intervalSec: 30 },
    });
    await dialog.getByRole('button', { name: 'Copy key' }).click();
    await dialog.getByText(/Copied\.|Copy failed/).waitFor();
    await screenshot(page, 'web-admin-key');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });

    expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);
    // The row follows through serverUpdated, no reload.
    await page.waitForSelector(`tr[data-identifier="${identifier}"][data-status="ONLINE"]`);
    expect(await row(page, identifier).innerText()).toContain('OpenClaw 2026.9.6');

    // Generating again asks first, because it replaces a working key; Escape cancels.
    await row(page, identifier).getByRole('button', { name: 'Generate API Key' }).click();
    const replace = page.getByRole('dialog', { name: `Replace the API key of ${identifier}?` });
    await replace.waitFor();
    await page.keyboard.press('Escape');
    await replace.waitFor({ state: 'detached' });
    expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);

    // Revoke API Key, after confirmation; the key stops working.
    await row(page, identifier).getByRole('button', { name: 'Revoke API Key' }).click();
    const revoke = page.getByRole('dialog', { name: `Revoke the API key of ${identifier}?` });
    await revoke.getByRole('button', { name: 'Revoke API Key' }).click();
    await revoke.waitFor({ state: 'detached' });
    await row(page, identifier).getByText('No key').or(row(page, identifier).getByText('Revoked')).waitFor();
    expect(await row(page, identifier).getByRole('button', { name: 'Revoke API Key' }).isDisabled()).toBe(true);
    expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(401);

    // Delete Server, after confirmation.
    await row(page, identifier).getByRole('button', { name: 'Delete Server' }).click();
    const remove = page.getByRole('dialog', { name: `Delete ${identifier}?` });
    await remove.getByRole('button', { name: 'Delete Server' }).click();
    await row(page, identifier).waitFor({ state: 'detached' });
    const listed = await server.gql<{ servers: { edges: { node: { identifier: string } }[] } }>(
      `{ servers(first: 500) { edges { node { identifier } } } }`,
    );
    expect(listed.data!.servers.edges.map((edge) => edge.node.identifier)).not.toContain(identifier);

    expect(await sameDocument()).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('follows changes made elsewhere live, and keeps the session across a reload', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/admin`);
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    await page.locator('[data-live-state="live"]').waitFor();
    const sameDocument = await markDocument(page);

    // Someone else (another admin, a script) adds a server, gives it a key, it reports in.
    const identifier = uniqueIdentifier('elsewhere');
    const { id } = await server.createServer(identifier);
    await row(page, identifier).waitFor();
    const apiKey = await server.issueKey(id);
    await row(page, identifier).locator('.key-cell').waitFor();
    expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);
    await page.waitForSelector(`tr[data-identifier="${identifier}"][data-status="ONLINE"]`);
    await page.locator('.events').getByText(`${identifier} was added`).waitFor();
    await screenshot(page, 'web-admin');

    const deleted = await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id });
    expect(deleted.errors).toBeUndefined();
    await row(page, identifier).waitFor({ state: 'detached' });
    expect(await sameDocument()).toBe(true);

    // sessionStorage survives a reload of the tab; signing out forgets the token.
    await page.reload();
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('harborforge.adminToken'))).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works from the keyboard, with visible focus and a label on every field', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}/admin`);
    // The token field has focus on arrival: type and press Enter, no mouse.
    await page.waitForFunction(() => document.activeElement?.id === 'admin-token', undefined, { timeout: 5_000 });
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Servers' }).waitFor();

    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement;
      const style = getComputedStyle(element);
      return { text: element.textContent, outline: `${style.outlineStyle} ${style.outlineWidth}` };
    });
    expect(focused).toEqual({ text: 'Skip to content', outline: 'solid 3px' });

    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((element) => {
          const labelled = (element as HTMLInputElement).labels?.length || element.getAttribute('aria-label') || element.getAttribute('aria-labelledby');
          return !labelled && !(element.textContent ?? '').trim();
        })
        .map((element) => element.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
