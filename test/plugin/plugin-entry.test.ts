// The OpenClaw entry with a fake plugin API: what it registers in which mode, how it reads its
// config and the agents, and a full gateway_start → heartbeat → gateway_stop cycle with a real
// sidecar process. Also checks that the package is what OpenClaw and npm expect.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatBodySchema } from '../../src/services/heartbeat-schema.ts';
import pluginEntry, { register } from '../../plugin/index.js';
import { agentsFromConfig, resolvePluginSettings, sidecarEnv } from '../../plugin/lib/config.js';
import { findSidecarPids, PLUGIN_DIR, startReceiver, uniqueIdentifier, waitUntil, type Receiver } from './helpers.ts';

type Handler = (event: unknown, ctx?: unknown) => unknown;

/** A stand-in for OpenClaw's plugin API that records what the plugin does with it. */
function fakeApi(overrides: Record<string, unknown> = {}) {
  const hooks = new Map<string, Handler[]>();
  const disposers: Array<() => unknown> = [];
  const logs: string[] = [];
  const at = (level: string) => (m: string) => logs.push(`${level} ${m}`);
  const api = {
    id: 'harborforge-monitor',
    registrationMode: 'full',
    config: {},
    pluginConfig: undefined as unknown,
    runtime: { version: '2026.9.6' },
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    on: (name: string, handler: Handler) => hooks.set(name, [...(hooks.get(name) ?? []), handler]),
    lifecycle: { onDispose: (fn: () => unknown) => disposers.push(fn) },
    ...overrides,
  };
  const fire = async (name: string, event: unknown = {}, ctx: unknown = {}) => {
    for (const h of hooks.get(name) ?? []) await h(event, ctx);
  };
  return { api, hooks, disposers, logs, fire };
}

function fakeSupervisor() {
  const calls: string[] = [];
  let lastEnv: Record<string, string> | null = null;
  const factory = () => ({
    async start(env: Record<string, string>) {
      calls.push('start');
      lastEnv = env;
    },
    async stop(reason: string) {
      calls.push(`stop:${reason}`);
    },
  });
  return { calls, factory, env: () => lastEnv };
}

describe('registration', () => {
  for (const mode of ['discovery', 'tool-discovery', 'setup-only', 'setup-runtime', 'cli-metadata']) {
    it(`does nothing in registrationMode "${mode}"`, () => {
      const { api, hooks, disposers, logs } = fakeApi({ registrationMode: mode, pluginConfig: { backendUrl: 'http://x', apiKey: 'k' } });
      let made = 0;
      register(api, { supervisorFactory: (() => (made++, fakeSupervisor().factory())) as never });
      expect(hooks.size).toBe(0);
      expect(disposers).toHaveLength(0);
      expect(made).toBe(0);
      expect(logs).toEqual([]);
    });
  }

  it('registers gateway_start, gateway_stop and a dispose hook in the live gateway', () => {
    const { api, hooks, disposers } = fakeApi();
    pluginEntry.register(api);
    expect([...hooks.keys()].sort()).toEqual(['gateway_start', 'gateway_stop']);
    expect(disposers).toHaveLength(1);
  });

  it('registers on older hosts that have no registrationMode and no lifecycle', () => {
    const { api, hooks } = fakeApi({ registrationMode: undefined, lifecycle: undefined });
    expect(() => register(api)).not.toThrow();
    expect(hooks.has('gateway_start')).toBe(true);
  });

  it('exports the definition OpenClaw expects', () => {
    expect(pluginEntry).toMatchObject({ id: 'harborforge-monitor', name: expect.any(String), description: expect.any(String) });
    expect(typeof pluginEntry.register).toBe('function');
  });
});

describe('gateway hooks with a fake supervisor', () => {
  it('warns clearly and starts nothing when the config is missing', async () => {
    const sup = fakeSupervisor();
    const { api, logs, fire } = fakeApi({ pluginConfig: undefined });
    register(api, { supervisorFactory: sup.factory as never });
    await fire('gateway_start', { port: 1 });
    expect(sup.calls).toEqual([]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^warn harborforge-monitor: enabled but not configured \(backendUrl is not set; apiKey is not set\): telemetry is off/);
    expect(logs[0]).toContain('plugins.entries.harborforge-monitor.config');
  });

  it('warns about a half-written config without echoing the key', async () => {
    const sup = fakeSupervisor();
    const { api, logs, fire } = fakeApi({ pluginConfig: { backendUrl: 'not a url', apiKey: 'hfm_secret_value' } });
    register(api, { supervisorFactory: sup.factory as never });
    await fire('gateway_start', { port: 1 });
    expect(sup.calls).toEqual([]);
    expect(logs[0]).toMatch(/backendUrl "not a url" is not an http\(s\) URL/);
    expect(logs.join('\n')).not.toContain('hfm_secret_value');
  });

  it('passes settings, OpenClaw version and agents to the sidecar, and stops it on gateway_stop and dispose', async () => {
    const sup = fakeSupervisor();
    const { api, fire, disposers } = fakeApi({
      pluginConfig: { backendUrl: 'https://mon.example.com', apiKey: 'hfm_k', identifier: 'gw-7', intervalSec: 10, diskPath: '/srv' },
      config: { agents: { list: [{ id: 'old' }] } },
    });
    register(api, { supervisorFactory: sup.factory as never });
    // the hook context's config is the live one and wins over api.config
    await fire('gateway_start', { port: 1 }, { config: { agents: { entries: { alpha: {}, beta: { name: 'Beta' } } } } });
    expect(sup.env()).toMatchObject({
      HARBORFORGE_URL: 'https://mon.example.com',
      HARBORFORGE_API_KEY: 'hfm_k',
      HARBORFORGE_IDENTIFIER: 'gw-7',
      HARBORFORGE_INTERVAL_SEC: '10',
      HARBORFORGE_DISK_PATH: '/srv',
      HARBORFORGE_OPENCLAW_VERSION: '2026.9.6',
      HARBORFORGE_PARENT_PID: String(process.pid),
    });
    expect(JSON.parse(sup.env()!.HARBORFORGE_AGENTS)).toEqual([
      { id: 'alpha', name: 'alpha' },
      { id: 'beta', name: 'Beta' },
    ]);
    await fire('gateway_stop', { reason: 'gateway restarting' });
    await disposers[0]();
    expect(sup.calls).toEqual(['start', 'stop:gateway restarting', 'stop:plugin disposed']);
  });

  it('logs, rather than throws, when starting fails', async () => {
    const { api, logs, fire } = fakeApi({ pluginConfig: { backendUrl: 'http://x', apiKey: 'k' } });
    register(api, {
      supervisorFactory: (() => ({
        start: async () => {
          throw new Error('spawn EACCES');
        },
        stop: async () => {},
      })) as never,
    });
    await expect(fire('gateway_start', { port: 1 })).resolves.toBeUndefined();
    expect(logs.some((l) => l.startsWith('error harborforge-monitor: could not start telemetry') && l.includes('spawn EACCES'))).toBe(true);
  });
});

describe('gateway hooks with the real sidecar', () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
  });

  it('gateway_stop with nothing started is fine', async () => {
    const { api, logs, fire, disposers } = fakeApi();
    register(api);
    await expect(fire('gateway_stop', { reason: 'gateway stopping' })).resolves.toBeUndefined();
    await disposers[0]();
    expect(logs.filter((l) => !l.startsWith('debug'))).toEqual([]);
  });

  it('starts one real sidecar on gateway_start that reports, and leaves none after gateway_stop', async () => {
    receiver = await startReceiver();
    const identifier = uniqueIdentifier('entry');
    const { api, logs, fire } = fakeApi({
      pluginConfig: { backendUrl: receiver.url, apiKey: 'hfm_entry_key', identifier, intervalSec: 5 },
      config: { agents: { list: [{ id: 'alpha', name: 'Alpha' }, { id: 'beta' }] } },
    });
    register(api);
    await fire('gateway_start', { port: 18789 });
    try {
      const [req] = await receiver.waitForRequests(1);
      expect(req.headers['x-api-key']).toBe('hfm_entry_key');
      const body = heartbeatBodySchema.parse(req.json);
      expect(body).toMatchObject({
        identifier,
        openclaw_version: '2026.9.6',
        agents: [
          { id: 'alpha', name: 'Alpha' },
          { id: 'beta', name: 'beta' },
        ],
      });
      expect(findSidecarPids(identifier)).toHaveLength(1);
      await waitUntil(() => logs.some((l) => l.includes('first heartbeat accepted')), 5000, 'the sidecar log line');
      expect(logs.some((l) => l.startsWith('info harborforge-monitor: telemetry: reporting to'))).toBe(true);
    } finally {
      await fire('gateway_stop', { reason: 'gateway stopping' });
    }
    await waitUntil(() => findSidecarPids(identifier).length === 0, 3000, 'no sidecar left');
    expect(logs.join('\n')).not.toContain('hfm_entry_key');
  }, 20_000);
});

describe('config', () => {
  it('reads agents from agents.entries (current) and agents.list (older)', () => {
    expect(agentsFromConfig({ agents: { entries: { alpha: { name: 'Alpha' }, beta: { identity: { name: 'B' } }, gamma: null } } })).toEqual([
      { id: 'alpha', name: 'Alpha' },
      { id: 'beta', name: 'B' },
      { id: 'gamma', name: 'gamma' },
    ]);
    expect(agentsFromConfig({ agents: { list: [{ id: 'main', name: 'Main', default: true }, { id: 'ops' }, null, { name: 'no id' }, { id: 'ops' }] } })).toEqual([
      { id: 'main', name: 'Main' },
      { id: 'ops', name: 'ops' },
    ]);
    // newer OpenClaw materialises list next to entries: entries win, as in OpenClaw itself
    expect(agentsFromConfig({ agents: { entries: { a: {} }, list: [{ id: 'b' }] } })).toEqual([{ id: 'a', name: 'a' }]);
    expect(agentsFromConfig({})).toEqual([]);
    expect(agentsFromConfig(undefined)).toEqual([]);
    expect(agentsFromConfig({ agents: { defaults: {} } })).toEqual([]);
  });

  it('applies defaults: host name, 30 s, /', () => {
    expect(resolvePluginSettings({ backendUrl: 'http://m', apiKey: 'k' })).toEqual({
      settings: { backendUrl: 'http://m', apiKey: 'k', identifier: os.hostname(), intervalSec: 30, diskPath: '/' },
    });
    expect(resolvePluginSettings({ backendUrl: 'http://m', apiKey: 'k', intervalSec: 1 }).settings?.intervalSec).toBe(5);
    expect(resolvePluginSettings({ backendUrl: 'http://m', apiKey: 'k', intervalSec: 1e9 }).settings?.intervalSec).toBe(3600);
    expect(resolvePluginSettings(null).problems).toEqual(['backendUrl is not set', 'apiKey is not set']);
  });

  it("gives the sidecar only what it needs from the gateway's environment", () => {
    const env = sidecarEnv(
      { backendUrl: 'http://m', apiKey: 'k', identifier: 'i', intervalSec: 30, diskPath: '/' },
      { openclawVersion: null, agents: [], parentPid: 123, baseEnv: { PATH: '/bin', HTTPS_PROXY: 'http://proxy:3128', OPENAI_API_KEY: 'sk-x', NODE_OPTIONS: '--inspect' } },
    );
    expect(env).toEqual({
      PATH: '/bin',
      HTTPS_PROXY: 'http://proxy:3128',
      HARBORFORGE_URL: 'http://m',
      HARBORFORGE_API_KEY: 'k',
      HARBORFORGE_IDENTIFIER: 'i',
      HARBORFORGE_INTERVAL_SEC: '30',
      HARBORFORGE_DISK_PATH: '/',
      HARBORFORGE_AGENTS: '[]',
      HARBORFORGE_PARENT_PID: '123',
    });
  });
});

describe('package', () => {
  const manifest = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'openclaw.plugin.json'), 'utf8'));
  const pkg = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'package.json'), 'utf8'));

  it('has a manifest OpenClaw loads at startup, with the documented config', () => {
    expect(manifest.id).toBe('harborforge-monitor');
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.activation).toEqual({ onStartup: true });
    expect(manifest.uiHints.apiKey.sensitive).toBe(true);
    const props = manifest.configSchema.properties;
    expect(Object.keys(props).sort()).toEqual(['apiKey', 'backendUrl', 'diskPath', 'identifier', 'intervalSec']);
    expect(props.intervalSec).toMatchObject({ default: 30, minimum: 5 });
    expect(props.diskPath.default).toBe('/');
    // Nothing required: a missing value must only warn, while a schema error stops the gateway.
    expect(manifest.configSchema.required).toBeUndefined();
  });

  it('is plain ESM with no runtime dependencies and an entry that exists', () => {
    expect(pkg.name).toBe('harborforge-monitor');
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.openclaw.extensions).toEqual(['./index.js']);
    for (const entry of pkg.openclaw.extensions) expect(existsSync(path.join(PLUGIN_DIR, entry))).toBe(true);
  });

  it('packs every file the plugin needs at run time', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PLUGIN_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out)[0].files as Array<{ path: string }>).map((f) => f.path).sort();
    for (const needed of ['index.js', 'lib/config.js', 'lib/sidecar.js', 'server/telemetry.mjs', 'openclaw.plugin.json', 'package.json', 'README.md']) {
      expect(files).toContain(needed);
    }
  });

  it('is not world-writable (OpenClaw refuses to load such a plugin)', () => {
    for (const p of [PLUGIN_DIR, path.join(PLUGIN_DIR, 'server'), path.join(PLUGIN_DIR, 'lib')]) {
      expect(statSync(p).mode & 0o002, p).toBe(0);
    }
  });
});

