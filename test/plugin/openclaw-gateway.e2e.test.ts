// The plugin inside a real OpenClaw gateway, reporting to the real backend.
//
// Installs the pinned `openclaw` package and a Node 24 runtime from npm into .cache/openclaw-e2e
// (reused across runs), starts `openclaw gateway run` with the plugin loaded from plugin/, and
// checks what an operator would: the server turns ONLINE in Monitor with the gateway's OpenClaw
// version and its configured agents; after the gateway stops, no sidecar is left behind. A second
// gateway without plugin config must start anyway and say clearly why telemetry is off.
//
// Without npm access the test is skipped with a message, except under CI=true, where it fails.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from './backend.ts';
import { findSidecarPids, freePort, isAlive, PLUGIN_DIR, uniqueIdentifier, waitUntil } from './helpers.ts';
import { ensureOpenClaw, gatewayConfig, startGateway, OPENCLAW_VERSION, type Gateway, type OpenClawInstall } from './openclaw.ts';

const inCI = process.env.CI === 'true';
const pluginVersion = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'package.json'), 'utf8')).version;

let install: OpenClawInstall | undefined;
let installError: unknown;
let backend: Backend;
const gateways: Gateway[] = [];
const roots: string[] = [];

beforeAll(async () => {
  try {
    install = await ensureOpenClaw();
    const how = install.installMs === null ? 'reused the cached install' : `installed in ${(install.installMs / 1000).toFixed(1)} s`;
    console.log(`[openclaw e2e] OpenClaw ${install.version} with Node ${process.versions.node} → Node 24 from npm: ${how} (${install.dir})`);
  } catch (error) {
    installError = error;
    if (inCI) throw error;
  }
  backend = await startBackend();
}, 10 * 60_000);

afterAll(async () => {
  for (const g of gateways) g.killGroup();
  await backend?.close();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function needInstall(ctx: { skip: (note?: string) => void }): OpenClawInstall {
  if (!install) {
    const why = `OpenClaw ${OPENCLAW_VERSION} could not be installed from npm (${(installError as Error)?.message ?? installError})`;
    if (inCI) throw new Error(why);
    console.warn(`[openclaw e2e] SKIPPED: ${why}`);
    ctx.skip(why);
  }
  return install!;
}

function newRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hf-openclaw-'));
  roots.push(root);
  return root;
}

/** The gateway's console output and the messages of its JSON log file, for failure messages. */
function gatewayDiagnostics(gateway: Gateway): string {
  let log = '';
  try {
    log = readFileSync(gateway.logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(-40)
      .map((line) => {
        try {
          const entry = JSON.parse(line);
          return `${entry.time} ${entry._meta?.logLevelName ?? ''} ${typeof entry.message === 'string' ? entry.message : line}`;
        } catch {
          return line;
        }
      })
      .join('\n');
  } catch {
    // not written yet
  }
  return `--- gateway output ---\n${gateway.output().split('\n').slice(-60).join('\n')}\n--- ${gateway.logFile} (tail) ---\n${log}`;
}

describe('harborforge-monitor in a real OpenClaw gateway', () => {
  it(
    'reports the gateway as ONLINE with its OpenClaw version and agents, and leaves no sidecar after SIGTERM',
    async (ctx) => {
      const oc = needInstall(ctx);
      const identifier = uniqueIdentifier('gw-e2e');
      const server = await backend.addServer(identifier, 'Gateway E2E');
      const { api_key: apiKey } = await backend.generateKey(server.id);
      const root = newRoot();
      const t0 = Date.now();
      const gateway = startGateway(oc, {
        root,
        port: await freePort(),
        config: gatewayConfig({
          root,
          pluginDir: PLUGIN_DIR,
          pluginConfig: { backendUrl: backend.url, apiKey, identifier, intervalSec: 5 },
        }),
      });
      gateways.push(gateway);

      let online;
      try {
        online = await backend.waitForServer(
          server.id,
          (s) => s.status === 'ONLINE' && s.openclaw_version != null,
          90_000,
          'the gateway plugin to report',
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${gatewayDiagnostics(gateway)}`);
      }
      const onlineMs = Date.now() - t0;
      expect(online.openclaw_version).toBe(oc.version);
      expect(online.plugin_version).toBe(pluginVersion);
      expect(online.agents).toEqual([
        { id: 'alpha', name: 'Alpha' },
        { id: 'beta', name: 'beta' },
      ]);
      for (const key of ['cpu_pct', 'mem_pct', 'disk_pct', 'swap_pct'] as const) {
        expect(online[key], key).toBeGreaterThanOrEqual(0);
        expect(online[key], key).toBeLessThanOrEqual(100);
      }

      // Exactly one sidecar, a child of the gateway (register() runs several times per process).
      const sidecars = findSidecarPids(identifier);
      expect(sidecars, gatewayDiagnostics(gateway)).toHaveLength(1);
      const ppid = Number(readFileSync(`/proc/${sidecars[0]}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      expect(ppid).toBe(gateway.pid);
      await gateway.waitForOutput(/harborforge-monitor: telemetry: first heartbeat accepted/, 10_000);
      expect(gateway.output()).not.toContain(apiKey);

      const t1 = Date.now();
      const { code } = await gateway.stop(30_000);
      const stopMs = Date.now() - t1;
      expect(code, gatewayDiagnostics(gateway)).toBe(0);
      expect(gateway.output()).toMatch(/harborforge-monitor: stopping telemetry sidecar \(pid \d+\): gateway stopping/);
      await waitUntil(() => !isAlive(sidecars[0]!), 2_000, `sidecar ${sidecars[0]} to be gone`);
      expect(findSidecarPids(identifier)).toEqual([]);
      console.log(
        `[openclaw e2e] OpenClaw ${oc.version}: launch → ONLINE in ${(onlineMs / 1000).toFixed(1)} s; SIGTERM → exit in ${(stopMs / 1000).toFixed(1)} s`,
      );
    },
    3 * 60_000,
  );

  it(
    'starts without plugin config and logs a clear warning instead of failing',
    async (ctx) => {
      const oc = needInstall(ctx);
      const root = newRoot();
      const gateway = startGateway(oc, { root, port: await freePort(), config: gatewayConfig({ root, pluginDir: PLUGIN_DIR, pluginConfig: undefined }) });
      gateways.push(gateway);
      try {
        await gateway.waitForOutput(/harborforge-monitor: enabled but not configured \(backendUrl is not set; apiKey is not set\): telemetry is off/, 90_000);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${gatewayDiagnostics(gateway)}`);
      }
      expect(gateway.child.exitCode).toBeNull(); // still running
      expect(gateway.output()).not.toMatch(/telemetry sidecar started/);
      const { code } = await gateway.stop(30_000);
      expect(code).toBe(0);
    },
    3 * 60_000,
  );
});
