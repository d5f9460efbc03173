// The sidecar as a real process: prompt exit on SIGTERM, no orphan when its gateway dies, and the
// plugin's supervisor (restart after a crash, SIGKILL for a sidecar that ignores SIGTERM).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatBodySchema } from '../../src/services/heartbeat-schema.ts';
import { createSidecarSupervisor } from '../../plugin/lib/sidecar.js';
import { isAlive, runSidecar, startReceiver, TELEMETRY_SCRIPT, track, waitUntil, type Receiver } from './helpers.ts';

let receiver: Receiver | undefined;
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await receiver?.close();
  receiver = undefined;
});

function killLater(pid: number | undefined) {
  cleanups.push(() => {
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  });
}

function recordingLogger() {
  const lines: string[] = [];
  const at = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('standalone sidecar process', () => {
  it('reports, then exits promptly and cleanly on SIGTERM', async () => {
    receiver = await startReceiver();
    const proc = runSidecar({
      HARBORFORGE_URL: receiver.url,
      HARBORFORGE_API_KEY: 'hfm_process_test_key',
      HARBORFORGE_IDENTIFIER: 'proc-host',
      HARBORFORGE_INTERVAL_SEC: '1',
    });
    killLater(proc.child.pid);
    await receiver.waitForRequests(1);
    expect(heartbeatBodySchema.parse(receiver.requests[0].json).identifier).toBe('proc-host');
    await proc.waitForOutput(/first heartbeat accepted/);
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    const { code } = await proc.waitForExit(3000);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(proc.output()).toContain('[info] stopping: SIGTERM');
    expect(proc.output()).not.toContain('hfm_process_test_key');
  });

  it('exits promptly on SIGTERM while a request hangs on a dead backend', async () => {
    // A backend that accepts the connection but never answers: the in-flight fetch must not
    // hold the sidecar (and so the gateway's shutdown) hostage.
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const port = (silent.address() as import('node:net').AddressInfo).port;
    const proc = runSidecar({ HARBORFORGE_URL: `http://127.0.0.1:${port}`, HARBORFORGE_API_KEY: 'k', HARBORFORGE_INTERVAL_SEC: '1' });
    killLater(proc.child.pid);
    await waitUntil(() => sockets.length > 0, 5000, 'the sidecar to connect');
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    expect((await proc.waitForExit(3000)).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

/**
 * Starts a stand-in "gateway": a Node process that starts the sidecar the way the plugin does
 * (IPC channel and/or HARBORFORGE_PARENT_PID) and prints the sidecar's pid.
 */
async function startFakeGateway(receiverUrl: string, { ipc }: { ipc: boolean }) {
  const code = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, [${JSON.stringify(TELEMETRY_SCRIPT)}], {
      env: { PATH: process.env.PATH, HARBORFORGE_URL: ${JSON.stringify(receiverUrl)}, HARBORFORGE_API_KEY: 'k',
             HARBORFORGE_INTERVAL_SEC: '1', HARBORFORGE_PARENT_PID: String(process.pid) },
      stdio: ${ipc ? "['ignore', 'inherit', 'inherit', 'ipc']" : "['ignore', 'inherit', 'inherit']"},
    });
    console.log('SIDECAR_PID=' + child.pid);
    setInterval(() => {}, 1000);
  `;
  const gateway = track(spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] }));
  killLater(gateway.child.pid);
  const line = await gateway.waitForOutput(/SIDECAR_PID=\d+/);
  const sidecarPid = Number(line.split('=')[1]);
  killLater(sidecarPid);
  return { gateway, sidecarPid };
}

describe('no orphan when the gateway dies', () => {
  for (const ipc of [true, false]) {
    it(`exits after its parent is SIGKILLed (${ipc ? 'IPC channel closes' : 'parent pid changes'})`, async () => {
      receiver = await startReceiver();
      const { gateway, sidecarPid } = await startFakeGateway(receiver.url, { ipc });
      await receiver.waitForRequests(1);
      expect(isAlive(sidecarPid)).toBe(true);
      gateway.child.kill('SIGKILL');
      await gateway.waitForExit();
      await waitUntil(() => !isAlive(sidecarPid), 4000, `sidecar ${sidecarPid} to exit after its parent died`);
    }, 15_000);
  }
});

describe('supervisor', () => {
  function script(body: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-sup-'));
    const file = path.join(dir, 'fake-sidecar.mjs');
    writeFileSync(file, body);
    return file;
  }

  it('stops with nothing started, twice, without complaint', async () => {
    const { lines, logger } = recordingLogger();
    const sup = createSidecarSupervisor({ logger });
    await sup.stop();
    await sup.stop('gateway stopping');
    expect(lines).toEqual([]);
  });

  it("pipes the sidecar's lines to the logger at their level", async () => {
    const { lines, logger } = recordingLogger();
    const file = script(`console.log('[info] hello'); console.error('[error] bad key'); console.error('raw trace'); setInterval(() => {}, 1000);`);
    const sup = createSidecarSupervisor({ logger, script: file });
    cleanups.push(() => sup.stop());
    await sup.start({ PATH: process.env.PATH ?? '' });
    await waitUntil(() => lines.some((l) => l.includes('raw trace')), 5000, 'output');
    expect(lines).toContain('info telemetry: hello');
    expect(lines).toContain('error telemetry: bad key');
    expect(lines).toContain('warn telemetry: raw trace');
  });

  it('restarts a crashed sidecar, but not one that refused its configuration', async () => {
    const { lines, logger } = recordingLogger();
    const crash = script(`setTimeout(() => process.exit(3), 100);`);
    const sup = createSidecarSupervisor({ logger, script: crash });
    cleanups.push(() => sup.stop());
    await sup.start({ PATH: process.env.PATH ?? '' });
    const firstPid = sup.pid;
    await waitUntil(() => lines.filter((l) => l.includes('telemetry sidecar started')).length >= 2, 5000, 'a restart');
    expect(lines.some((l) => l.startsWith('warn') && l.includes('exited unexpectedly (code 3)'))).toBe(true);
    expect(sup.pid).not.toBe(firstPid);
    await sup.stop();

    const { lines: lines2, logger: logger2 } = recordingLogger();
    const refuse = script(`console.error('[error] not starting: HARBORFORGE_URL is not set'); process.exit(78);`);
    const sup2 = createSidecarSupervisor({ logger: logger2, script: refuse });
    cleanups.push(() => sup2.stop());
    await sup2.start({ PATH: process.env.PATH ?? '' });
    await waitUntil(() => lines2.some((l) => l.includes('refused its configuration')), 5000, 'the refusal');
    await new Promise((r) => setTimeout(r, 1500));
    expect(lines2.filter((l) => l.includes('telemetry sidecar started'))).toHaveLength(1);
    expect(sup2.running).toBe(false);
  });

  it('kills a sidecar that ignores SIGTERM after the grace period', async () => {
    const { lines, logger } = recordingLogger();
    const stubborn = script(`process.on('SIGTERM', () => console.log('[info] ignoring SIGTERM')); console.log('[info] up'); setInterval(() => {}, 1000);`);
    const sup = createSidecarSupervisor({ logger, script: stubborn, graceMs: 300 });
    await sup.start({ PATH: process.env.PATH ?? '' });
    const pid = sup.pid!;
    killLater(pid);
    await waitUntil(() => lines.includes('info telemetry: up'), 5000, 'the stub to start');
    const t0 = Date.now();
    await sup.stop('test');
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(isAlive(pid)).toBe(false);
    expect(lines.some((l) => l.includes('ignored SIGTERM') && l.startsWith('warn'))).toBe(true);
  });

  it('keeps exactly one sidecar per process, even across plugin instances', async () => {
    const { logger } = recordingLogger();
    const file = script(`setInterval(() => {}, 1000);`);
    const a = createSidecarSupervisor({ logger, script: file });
    const b = createSidecarSupervisor({ logger, script: file });
    cleanups.push(() => a.stop(), () => b.stop());
    await a.start({ PATH: process.env.PATH ?? '' });
    const aPid = a.pid!;
    await a.start({ PATH: process.env.PATH ?? '' }); // a second gateway_start replaces, not adds
    expect(isAlive(aPid)).toBe(false);
    const a2Pid = a.pid!;
    await b.start({ PATH: process.env.PATH ?? '' });
    expect(a.running).toBe(false);
    expect(isAlive(a2Pid)).toBe(false);
    expect(isAlive(b.pid!)).toBe(true);
  });
});
