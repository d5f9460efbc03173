// Unit tests of the sidecar's building blocks: collectors on this host's real /proc, the body
// checked against the backend's own zod schema, backoff, settings and the HTTP outcome handling.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatBodySchema, MAX_HEARTBEAT_BYTES, toHeartbeatRecord } from '../../src/services/heartbeat-schema.ts';
import {
  backoffBounds,
  backoffDelayMs,
  buildHeartbeat,
  collectMetrics,
  cpuPercent,
  createOutcomeLogger,
  diskPctFromStatfs,
  EXIT_CONFIG,
  heartbeatUrlFor,
  memPctFromMeminfo,
  memPctFromOs,
  nextBeatDelayMs,
  normalizeAgents,
  parseMeminfo,
  parseProcStatCpu,
  PLUGIN_VERSION,
  postHeartbeat,
  readCpuTimes,
  readDiskPct,
  readLoadAvg,
  readMeminfo,
  readSettings,
  readUptimeSeconds,
  redactUrl,
  startReporter,
  swapPctFromMeminfo,
} from '../../plugin/server/telemetry.mjs';
import { freePort, PLUGIN_DIR, runSidecar, startReceiver, type Receiver } from './helpers.ts';

const onLinux = process.platform === 'linux';
const pluginPackage = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'package.json'), 'utf8'));

function expectPct(value: unknown) {
  expect(typeof value).toBe('number');
  expect(value as number).toBeGreaterThanOrEqual(0);
  expect(value as number).toBeLessThanOrEqual(100);
}

const baseSettings = {
  heartbeatUrl: 'http://127.0.0.1:9/monitor/server/heartbeat-v2',
  apiKey: 'hfm_test_secret_key_1234567890',
  identifier: 'unit-host',
  intervalSec: 30,
  diskPath: '/',
  openclawVersion: '2026.9.6',
  agents: [{ id: 'alpha', name: 'Alpha' }, 'beta'],
  parentPid: null,
};

describe('collectors on this host', () => {
  it.runIf(onLinux)('reads CPU times from /proc/stat and computes a busy share from two samples', async () => {
    const first = await readCpuTimes();
    const until = Date.now() + 150;
    while (Date.now() < until) Math.sqrt(Math.random()); // make sure some CPU time passes
    const second = await readCpuTimes();
    expect(second.total).toBeGreaterThan(first.total);
    expectPct(cpuPercent(first, second));
  });

  it('computes cpu_pct from counter deltas, iowait counted as idle', () => {
    const a = parseProcStatCpu('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n');
    const b = parseProcStatCpu('cpu  150 0 150 800 200 0 0 0 0 0\n');
    // busy +100 of total +300 (idle +100, iowait +100)
    expect(cpuPercent(a, b)).toBeCloseTo(33.33, 2);
    expect(cpuPercent(a, a)).toBeNull(); // no time passed: unknown, not 0 %
    expect(cpuPercent(null, b)).toBeNull();
    expect(cpuPercent(b, a)).toBeNull(); // counters went backwards (reboot of a VM snapshot)
  });

  it.runIf(onLinux)('reads memory and swap from /proc/meminfo', async () => {
    const info = await readMeminfo();
    expect(info?.MemTotal).toBeGreaterThan(0);
    expectPct(memPctFromMeminfo(info!));
    expectPct(swapPctFromMeminfo(info!));
  });

  it('derives memory and swap shares from meminfo text', () => {
    const info = parseMeminfo('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\nSwapTotal:       400 kB\nSwapFree:        100 kB\n');
    expect(memPctFromMeminfo(info)).toBe(75);
    expect(swapPctFromMeminfo(info)).toBe(75);
    expect(swapPctFromMeminfo({ SwapTotal: 0, SwapFree: 0 })).toBe(0); // no swap: none in use
    expect(memPctFromMeminfo({ MemTotal: 1000 })).toBeNull(); // old kernel: caller falls back
    expect(memPctFromOs(250, 1000)).toBe(75);
    expectPct(memPctFromOs());
  });

  it('reads disk usage like df and rejects a missing path', async () => {
    expectPct(await readDiskPct('/'));
    // 1000 blocks, 200 free of which 100 reserved for root: 800 used of 900 usable
    expect(diskPctFromStatfs({ blocks: 1000, bfree: 200, bavail: 100 })).toBeCloseTo(88.89, 2);
    await expect(readDiskPct('/definitely/not/here')).rejects.toThrow();
  });

  it('reads a load list of three and a non-negative uptime', () => {
    const load = readLoadAvg();
    expect(load).toHaveLength(3);
    for (const n of load) expect(n).toBeGreaterThanOrEqual(0);
    expect(readUptimeSeconds()).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(readUptimeSeconds())).toBe(true);
  });

  it('collects every metric, and reports an unreadable disk once without losing the rest', async () => {
    const state = { cpu: await readCpuTimes() };
    await new Promise((r) => setTimeout(r, 50));
    const problems: string[] = [];
    const ok = await collectMetrics(baseSettings, state, (_k: string, m: string) => problems.push(m));
    for (const key of ['mem_pct', 'disk_pct', 'swap_pct'] as const) expectPct(ok[key]);
    if (onLinux) expectPct(ok.cpu_pct);
    expect(ok.load_avg).toHaveLength(3);
    expect(problems).toEqual([]);

    const bad = await collectMetrics({ ...baseSettings, diskPath: '/no/such/mount' }, state, (_k: string, m: string) => problems.push(m));
    expect(bad.disk_pct).toBeNull();
    expectPct(bad.mem_pct);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('/no/such/mount');
  });
});

describe('heartbeat body', () => {
  it("passes the backend's own schema with real metrics and maps to a full record", async () => {
    const state = { cpu: await readCpuTimes() };
    await new Promise((r) => setTimeout(r, 50));
    const body = buildHeartbeat(baseSettings, await collectMetrics(baseSettings, state));
    const parsed = heartbeatBodySchema.safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    const record = toHeartbeatRecord(parsed.data!);
    expect(record).toMatchObject({
      identifier: 'unit-host',
      openclawVersion: '2026.9.6',
      pluginVersion: pluginPackage.version,
      agents: [
        { id: 'alpha', name: 'Alpha' },
        { id: 'beta', name: 'beta' },
      ],
    });
    for (const key of ['memPct', 'diskPct', 'swapPct', 'load1', 'load5', 'load15', 'uptimeSeconds'] as const) {
      expect(record[key], key).not.toBeNull();
    }
  });

  it('carries the plugin version from the plugin package.json', () => {
    expect(PLUGIN_VERSION).toBe(pluginPackage.version);
  });

  it('sends null for what it cannot know, which the backend accepts', () => {
    const body = buildHeartbeat({ ...baseSettings, openclawVersion: null, agents: null }, {});
    expect(body).toEqual({
      identifier: 'unit-host',
      openclaw_version: null,
      plugin_version: pluginPackage.version,
      agents: null,
      cpu_pct: null,
      mem_pct: null,
      disk_pct: null,
      swap_pct: null,
      load_avg: null,
      uptime_seconds: null,
    });
    expect(heartbeatBodySchema.safeParse(body).success).toBe(true);
  });

  it('keeps a huge agent list within the backend limits instead of failing every beat', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ id: `agent-${i}-${'x'.repeat(300)}`, name: 'n'.repeat(300) }));
    const agents = normalizeAgents(many);
    expect(agents).toHaveLength(500);
    const body = buildHeartbeat({ ...baseSettings, agents }, { cpu_pct: 1 });
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(MAX_HEARTBEAT_BYTES);
    expect(body.agents!.length).toBeGreaterThan(0);
    expect(heartbeatBodySchema.safeParse(body).success).toBe(true);
  });

  it('normalises agents: names or {id, name}, no blanks', () => {
    expect(normalizeAgents(['a', ' ', { id: 'b' }, { id: ' c ', name: 'C' }, { name: 'no id' }, 7, null])).toEqual([
      'a',
      { id: 'b', name: 'b' },
      { id: 'c', name: 'C' },
    ]);
    expect(normalizeAgents('alpha')).toBeNull();
  });
});

describe('scheduling', () => {
  it('backs off exponentially from the base and never beyond the cap', () => {
    const bounds = { baseMs: 1000, capMs: 8000 };
    const top = (n: number) => backoffDelayMs(n, bounds, () => 1);
    const bottom = (n: number) => backoffDelayMs(n, bounds, () => 0);
    expect([1, 2, 3, 4, 5, 6, 50, 5000].map(top)).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000]);
    // equal jitter: at least half the step
    expect([1, 2, 3, 4, 10].map(bottom)).toEqual([500, 1000, 2000, 4000, 4000]);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelayMs(1 + (i % 12), bounds);
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });

  it('derives backoff bounds from the interval', () => {
    expect(backoffBounds(30)).toEqual({ baseMs: 5000, capMs: 300_000 });
    expect(backoffBounds(1)).toEqual({ baseMs: 1000, capMs: 300_000 });
    expect(backoffBounds(3600)).toEqual({ baseMs: 5000, capMs: 3_600_000 });
  });

  it('jitters the regular interval by ±10 %', () => {
    expect(nextBeatDelayMs(30, () => 0)).toBe(27_000);
    expect(nextBeatDelayMs(30, () => 1)).toBe(33_000);
    expect(nextBeatDelayMs(30, () => 0.5)).toBe(30_000);
  });
});

describe('settings from the environment', () => {
  it('reads the standalone variables', () => {
    const { settings, errors, warnings } = readSettings({
      HARBORFORGE_URL: 'https://mon.example.com/base/',
      HARBORFORGE_API_KEY: ' key ',
      HARBORFORGE_IDENTIFIER: 'web-1',
      HARBORFORGE_INTERVAL_SEC: '15',
      HARBORFORGE_DISK_PATH: '/var',
      HARBORFORGE_OPENCLAW_VERSION: '2026.9.6',
      HARBORFORGE_AGENTS: '[{"id":"alpha","name":"Alpha"}]',
      HARBORFORGE_PARENT_PID: '4242',
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(settings).toEqual({
      heartbeatUrl: 'https://mon.example.com/base/monitor/server/heartbeat-v2',
      apiKey: 'key',
      identifier: 'web-1',
      intervalSec: 15,
      diskPath: '/var',
      openclawVersion: '2026.9.6',
      agents: [{ id: 'alpha', name: 'Alpha' }],
      parentPid: 4242,
    });
  });

  it('defaults the identifier to the host name, the interval to 30 s and the disk to /', () => {
    const { settings, errors } = readSettings({ HARBORFORGE_URL: 'http://x', HARBORFORGE_API_KEY: 'k' });
    expect(errors).toEqual([]);
    expect(settings).toMatchObject({ identifier: os.hostname(), intervalSec: 30, diskPath: '/', agents: null, openclawVersion: null, parentPid: null });
  });

  it('refuses to start without URL or key, naming the variables', () => {
    const { errors } = readSettings({ HARBORFORGE_URL: 'ftp://x' });
    expect(errors.join('\n')).toMatch(/HARBORFORGE_URL is not a usable http\(s\) URL/);
    expect(errors.join('\n')).toMatch(/HARBORFORGE_API_KEY is not set/);
    expect(readSettings({}).errors.join('\n')).toMatch(/HARBORFORGE_URL is not set/);
  });

  it('clamps the interval to 1..3600 s and warns', () => {
    expect(readSettings({ HARBORFORGE_URL: 'http://x', HARBORFORGE_API_KEY: 'k', HARBORFORGE_INTERVAL_SEC: '0' }).settings.intervalSec).toBe(1);
    const big = readSettings({ HARBORFORGE_URL: 'http://x', HARBORFORGE_API_KEY: 'k', HARBORFORGE_INTERVAL_SEC: '99999' });
    expect(big.settings.intervalSec).toBe(3600);
    expect(big.warnings[0]).toMatch(/out of range/);
    const junk = readSettings({ HARBORFORGE_URL: 'http://x', HARBORFORGE_API_KEY: 'k', HARBORFORGE_INTERVAL_SEC: 'soon' });
    expect(junk.settings.intervalSec).toBe(30);
    expect(junk.warnings[0]).toMatch(/not a number/);
  });

  it('reads the key from HARBORFORGE_API_KEY_FILE (systemd credentials)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-key-'));
    const file = path.join(dir, 'key');
    writeFileSync(file, 'hfm_from_file\n');
    expect(readSettings({ HARBORFORGE_URL: 'http://x', HARBORFORGE_API_KEY_FILE: file }).settings.apiKey).toBe('hfm_from_file');
    expect(readSettings({ HARBORFORGE_URL: 'http://x', HARBORFORGE_API_KEY_FILE: path.join(dir, 'nope') }).errors[0]).toMatch(/ENOENT/);
  });

  it('builds endpoint URLs and redacts credentials for logs', () => {
    expect(heartbeatUrlFor('http://h:8080')).toBe('http://h:8080/monitor/server/heartbeat-v2');
    expect(heartbeatUrlFor('http://h/x//?q=1')).toBe('http://h/x/monitor/server/heartbeat-v2');
    expect(redactUrl('https://user:pw@h/p?token=1')).toBe('https://h/p');
  });
});

describe('posting and its outcomes', () => {
  let receiver: Receiver;
  afterEach(async () => {
    await receiver?.close();
  });

  it('posts JSON with the X-API-Key header and classifies every answer', async () => {
    receiver = await startReceiver();
    const url = heartbeatUrlFor(receiver.url);
    const body = { identifier: 'unit-host', cpu_pct: 1 };
    const post = () => postHeartbeat({ url, apiKey: baseSettings.apiKey, body });

    expect(await post()).toMatchObject({ kind: 'ok', status: 200 });
    const [req] = receiver.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/monitor/server/heartbeat-v2');
    expect(req.headers['x-api-key']).toBe(baseSettings.apiKey);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual(body);

    receiver.respondWith(401, { error: { code: 'UNAUTHENTICATED', message: 'unknown or revoked API key' } });
    expect(await post()).toMatchObject({ kind: 'unauthorized', status: 401, message: 'unknown or revoked API key' });
    receiver.respondWith(409, { message: 'identifier mismatch' });
    expect(await post()).toMatchObject({ kind: 'conflict', status: 409, message: 'identifier mismatch' });
    receiver.respondWith(400, { error: { message: 'cpu_pct: Too big' } });
    expect(await post()).toMatchObject({ kind: 'rejected', status: 400, message: 'cpu_pct: Too big' });
    receiver.respondWith(503, { error: 'busy' }, { 'retry-after': '7' });
    expect(await post()).toMatchObject({ kind: 'server', status: 503, retryAfterMs: 7000 });

    const closedPort = await freePort();
    const down = await postHeartbeat({ url: `http://127.0.0.1:${closedPort}/monitor/server/heartbeat-v2`, apiKey: 'k', body });
    expect(down.kind).toBe('network');
    expect(down.message).toMatch(/ECONNREFUSED/);
  });

  it('logs a failure once, repeats it rarely, reports recovery, and never the key', () => {
    const lines: string[] = [];
    let now = 0;
    const record = createOutcomeLogger((level: string, text: string) => lines.push(`${level} ${text}`), baseSettings, {
      repeatMs: 60_000,
      now: () => now,
    });
    record({ kind: 'ok' });
    for (let i = 0; i < 5; i++) record({ kind: 'unauthorized', status: 401, message: 'revoked' });
    now = 61_000;
    record({ kind: 'unauthorized', status: 401, message: 'revoked' });
    record({ kind: 'conflict', status: 409, message: '' });
    record({ kind: 'ok' });
    record({ kind: 'ok' });
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^info first heartbeat accepted/);
    expect(lines[1]).toMatch(/^error .*401.*wrong or has been revoked/);
    expect(lines[2]).toMatch(/^error still failing after 6 attempts/);
    expect(lines[3]).toMatch(/^error .*identifier "unit-host" is not the server this API key belongs to \(409\)/);
    expect(lines[4]).toMatch(/^info heartbeats accepted again after 7 failed attempt/);
    expect(lines.join('\n')).not.toContain(baseSettings.apiKey);
  });

  it('keeps reporting on schedule and backs off after failures', async () => {
    receiver = await startReceiver();
    const lines: string[] = [];
    const reporter = startReporter(
      { ...baseSettings, heartbeatUrl: heartbeatUrlFor(receiver.url), intervalSec: 1 },
      { log: (level: string, text: string) => lines.push(`${level} ${text}`), random: () => 0 },
    );
    try {
      await receiver.waitForRequests(2, 5000); // first beat after ~1 s, next ~0.9 s later
      const first = heartbeatBodySchema.parse(receiver.requests[0].json);
      expect(first.identifier).toBe('unit-host');
      if (onLinux) expectPct(first.cpu_pct); // primed before the first beat
      receiver.respondWith(401);
      const failingFrom = receiver.requests.length;
      await receiver.waitForRequests(failingFrom + 3, 8000); // backoff 0.5 s, 1 s, 2 s with random=0
      expect(lines.filter((l) => l.includes('(401)'))).toHaveLength(1);
    } finally {
      reporter.stop();
    }
    const count = receiver.requests.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.requests.length).toBe(count); // stop() really stops
  }, 20_000);
});

describe('the sidecar as a process', () => {
  it('refuses to start without configuration, with a clear message and exit code 78', async () => {
    const proc = runSidecar({});
    const { code } = await proc.waitForExit();
    expect(code).toBe(EXIT_CONFIG);
    expect(proc.output()).toMatch(/\[error\] not starting: HARBORFORGE_URL is not set/);
    expect(proc.output()).toMatch(/\[error\] not starting: HARBORFORGE_API_KEY is not set/);
  });

  it('does not start the loop when imported as a module', async () => {
    // Importing it in this test process already happened above; if it had started a loop with
    // no settings it would have set process.exitCode to 78 and logged to stderr.
    expect(process.exitCode ?? 0).toBe(0);
  });
});
