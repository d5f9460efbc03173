// End to end with the real backend: the sidecar, run standalone as systemd would run it, makes a
// registered server ONLINE with real metrics; a revoked key gives one clear 401 message while the
// sidecar keeps retrying; a wrong identifier gives a 409 message; SIGTERM ends it at once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from './backend.ts';
import { PLUGIN_DIR, runSidecar, uniqueIdentifier, type RunningProcess } from './helpers.ts';

const pluginVersion = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'package.json'), 'utf8')).version;

let backend: Backend;
const running: RunningProcess[] = [];

beforeAll(async () => {
  backend = await startBackend();
}, 60_000);

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await backend?.close();
});

function start(env: Record<string, string>) {
  const proc = runSidecar(env);
  running.push(proc);
  return proc;
}

describe('standalone sidecar against the real backend', () => {
  it('turns the server ONLINE with real metrics, logs one 401 after revocation and keeps retrying, and exits on SIGTERM', async () => {
    const identifier = uniqueIdentifier('e2e-standalone');
    const server = await backend.addServer(identifier, 'E2E standalone');
    expect(server.status).toBe('PENDING');
    const { api_key: apiKey } = await backend.generateKey(server.id);

    const proc = start({
      HARBORFORGE_URL: backend.url,
      HARBORFORGE_API_KEY: apiKey,
      HARBORFORGE_IDENTIFIER: identifier,
      HARBORFORGE_INTERVAL_SEC: '1',
      HARBORFORGE_OPENCLAW_VERSION: '2026.9.6',
      HARBORFORGE_AGENTS: JSON.stringify([{ id: 'alpha', name: 'Alpha' }, 'beta']),
    });

    const online = await backend.waitForServer(server.id, (s) => s.status === 'ONLINE', 15_000, 'the server to be ONLINE');
    expect(online.last_seen_at).not.toBeNull();
    expect(online.plugin_version).toBe(pluginVersion);
    expect(online.openclaw_version).toBe('2026.9.6');
    expect(online.agents).toEqual([
      { id: 'alpha', name: 'Alpha' },
      { id: 'beta', name: 'beta' },
    ]);
    for (const key of ['cpu_pct', 'mem_pct', 'disk_pct', 'swap_pct'] as const) {
      expect(online[key], key).toBeGreaterThanOrEqual(0);
      expect(online[key], key).toBeLessThanOrEqual(100);
    }
    expect(online.uptime_seconds).toBeGreaterThan(0);
    expect(online.load_avg).toBeTruthy();
    await proc.waitForOutput(/first heartbeat accepted/);

    // A second heartbeat updates the record (the loop really runs on its interval).
    await backend.waitForServer(server.id, (s) => s.last_seen_at !== online.last_seen_at, 5_000, 'a second heartbeat');

    await backend.revokeKey(server.id);
    await proc.waitForOutput(/\[error\] the backend refused the API key \(401\): the key is wrong or has been revoked/, 10_000);
    // Backoff with a 1 s interval retries after ~0.5–1 s, 1–2 s, 2–4 s…: several refusals in 5 s,
    // yet a single message, and the process is still running.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(proc.child.exitCode).toBeNull();
    expect(proc.output().match(/\(401\)/g)).toHaveLength(1); // "(401)": a bare 401 could be part of a pid or port
    expect(proc.output()).not.toContain(apiKey);

    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    const { code } = await proc.waitForExit(3_000);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1_500);
  }, 60_000);

  it("logs a clear 409 message when the identifier is not the key's server", async () => {
    const identifier = uniqueIdentifier('e2e-owner');
    const server = await backend.addServer(identifier);
    const { api_key: apiKey } = await backend.generateKey(server.id);
    const proc = start({
      HARBORFORGE_URL: backend.url,
      HARBORFORGE_API_KEY: apiKey,
      HARBORFORGE_IDENTIFIER: `${identifier}-typo`,
      HARBORFORGE_INTERVAL_SEC: '1',
    });
    await proc.waitForOutput(/\[error\] the backend says identifier ".*-typo" is not the server this API key belongs to \(409\)/, 10_000);
    expect((await backend.getServer(server.id)).status).toBe('PENDING'); // nothing stored from a refused beat
    proc.child.kill('SIGTERM');
    expect((await proc.waitForExit(3_000)).code).toBe(0);
  }, 30_000);
});
