// `npm start` as a newcomer runs it: a fresh data directory, no token configured.
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runMain, startMain } from '../helpers/process.ts';

describe('starting the server', () => {
  it('creates the SQLite database and an admin token on first start, prints it once, and it works', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hf-start-'));
    const first = await startMain({ DATA_DIR: dataDir });
    try {
      const token = /^\s+(hfa_\S+)$/m.exec(first.output())?.[1];
      expect(token, first.output()).toBeTruthy();
      const file = join(dataDir, 'admin-token');
      expect(first.output()).toContain(file);
      expect(readFileSync(file, 'utf8').trim()).toBe(token);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'harborforge.db')).isFile()).toBe(true);
      const response = await fetch(`${first.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation { addServer(input: { identifier: "first" }) { server { identifier status } } }' }),
      });
      expect(await response.json()).toEqual({ data: { addServer: { server: { identifier: 'first', status: 'PENDING' } } } });
      const graphiql = await (await fetch(`${first.url}/graphql`, { headers: { accept: 'text/html' } })).text();
      expect(graphiql).toContain('renderYogaGraphiQL');
      // Everything inline: the page works on machines that cannot reach a CDN.
      expect(graphiql).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet[^>]+href=/);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    // The token is never logged, and the second start neither creates nor prints one.
    const second = await startMain({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    try {
      expect(second.output()).not.toMatch(/hfa_/);
    } finally {
      await second.stop();
    }
  }, 60_000);

  it('the production bundle that npm start runs serves the page, the API and commits heartbeats', async () => {
    execFileSync(process.execPath, [join(import.meta.dirname, '../../scripts/build-server.mjs')]);
    const dataDir = mkdtempSync(join(tmpdir(), 'hf-dist-'));
    const token = 'dist-admin-token-0123456789';
    const server = await startMain({ DATA_DIR: dataDir, HARBORFORGE_ADMIN_TOKEN: token }, 30_000, true);
    try {
      const page = await fetch(`${server.url}/`);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toContain('HarborForge');
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      const added = (await (await fetch(`${server.url}/monitor/admin/servers`, { method: 'POST', headers, body: JSON.stringify({ identifier: 'dist-1' }) })).json()) as any;
      const key = (await (await fetch(`${server.url}/monitor/admin/servers/${added.id}/api-key`, { method: 'POST', headers })).json()) as any;
      const beat = await fetch(`${server.url}/monitor/server/heartbeat-v2`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key.api_key },
        body: JSON.stringify({ identifier: 'dist-1', cpu_pct: 3 }),
      });
      expect(await beat.json()).toMatchObject({ ok: true, status: 'ONLINE' });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it('exits 1 naming the bad variable', async () => {
    const result = await runMain({ PORT: 'not-a-port', LOG_LEVEL: 'loud' });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/PORT:/);
    expect(result.output).toMatch(/LOG_LEVEL:/);
  });

  it('the admin CLI creates (printing once), lists and revokes named tokens', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hf-cli-'));
    const env = { DATA_DIR: dataDir };
    const created = await runMain(env, ['create', 'ops-viewer', '--scope', 'read-only'], 'src/cli/admin.ts');
    expect(created.code).toBe(0);
    const token = /(hfa_\S+)/.exec(created.output)?.[1];
    expect(token).toBeTruthy();
    const listed = await runMain(env, ['list'], 'src/cli/admin.ts');
    expect(listed.output).toMatch(/ops-viewer\tread-only\thfa_.{8}…\tactive/);
    expect(listed.output).not.toContain(token);
    expect((await runMain(env, ['create', 'ops-viewer'], 'src/cli/admin.ts')).output).toContain('already exists');
    expect((await runMain(env, ['create', 'x', '--scope', 'root'], 'src/cli/admin.ts')).output).toContain('scope');

    const server = await startMain({ DATA_DIR: dataDir });
    try {
      const ask = () =>
        fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ viewer { role tokenName } }' }),
        }).then((r) => r.json());
      expect(await ask()).toEqual({ data: { viewer: { role: 'read-only', tokenName: 'ops-viewer' } } });
      expect((await runMain(env, ['revoke', 'ops-viewer'], 'src/cli/admin.ts')).code).toBe(0);
      expect(((await ask()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    } finally {
      await server.stop();
    }
  }, 90_000);
});
