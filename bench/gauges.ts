// `npm run bench -- gauges`: what a Prometheus scrape of /metrics costs with METRICS_PER_SERVER=true
// at a large fleet (issue 10). The fleet (BENCH_GAUGES_SERVERS, default 100,000: most ONLINE with
// telemetry, some LATE, OFFLINE, PENDING) is written into the stopped server's SQLite file; the
// server runs as `npm start` runs it (the bundle in dist/), idle but for the probes below.
//
//  1. scrapes one after another, as Prometheus sends them (node:http, Accept-Encoding: gzip):
//     time to the first and the last byte, bytes, samples, and the server's CPU seconds per scrape
//     (utime + stime from /proc, so the figure does not depend on how busy the machine is);
//  2. heartbeat latency (one heartbeat at a time, back to back, from a process of its own) with no
//     scrape running and while scrapes run: the text streams out in chunks, so ingest should not
//     wait for a whole scrape;
//  3. the same /metrics without the gauges, for scale; peak RSS.
// At 100,000 servers `npm start`'s --max-old-space-size=512 is too small for the fleet plus a scrape
// (the server dies of heap exhaustion): run with BENCH_SERVER_FLAGS="--max-semi-space-size=4
// --max-old-space-size=1024". Prints figures; asserts nothing.
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertBulkFleet } from '../test/helpers/bulk-fleet.ts';
import { cpuSeconds, fmt, heartbeatBody, rssMb, serverFlags, start, type Child } from './lib.ts';

const root = join(import.meta.dirname, '..');
const TOKEN = 'bench-admin-token-0123456789';
const FLEET = Number(process.env.BENCH_GAUGES_SERVERS ?? 100_000);
const SCRAPES = Number(process.env.BENCH_GAUGES_SCRAPES ?? 5);

interface Scrape {
  firstByteMs: number;
  lastByteMs: number;
  bytes: number;
  samples: number;
  encoding: string;
  cpuS: number;
}

/** One scrape as Prometheus sends it; counts the bytes on the wire and the sample lines. */
function scrape(child: Child): Promise<Scrape> {
  const url = new URL('/metrics', child.url);
  const cpuBefore = cpuSeconds(child.process.pid!);
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/plain;version=0.0.4;q=1', 'accept-encoding': 'gzip' } }, (res) => {
      let firstByteMs = NaN;
      let bytes = 0;
      let samples = 0;
      let lineStart = true;
      res.on('data', (chunk: Buffer) => {
        if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - startedAt;
        bytes += chunk.length;
        // Sample lines: lines not starting with '#' (identity-encoded text; see `encoding`). Native
        // indexOf, so that reading 100 MB costs this process little next to the server.
        for (let at = 0; at < chunk.length; ) {
          if (lineStart && chunk[at] !== 0x23) samples++;
          const end = chunk.indexOf(0x0a, at);
          if (end < 0) {
            lineStart = false;
            break;
          }
          lineStart = true;
          at = end + 1;
        }
      });
      res.on('end', () =>
        resolve({ firstByteMs, lastByteMs: performance.now() - startedAt, bytes, samples, encoding: res.headers['content-encoding'] ?? 'identity', cpuS: cpuSeconds(child.process.pid!) - cpuBefore }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Heartbeats one at a time, back to back, from a child process of their own (so that reading a
 * 100 MB scrape in this process cannot delay them); `stop()` resolves with their round trips in ms.
 */
function heartbeatProbe(child: Child, member: { identifier: string; key: string }): { started: Promise<void>; stop(): Promise<number[]> } {
  const source = `
    const times = [];
    let stopping = false;
    process.stdin.on('data', () => (stopping = true));
    (async () => {
      for (let n = 0; !stopping; n++) {
        const body = ${JSON.stringify(heartbeatBody(member.identifier, 100_000))}.replace('100000', String(100000 + n));
        const startedAt = performance.now();
        const response = await fetch(${JSON.stringify(`${child.url}/monitor/server/heartbeat-v2`)}, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ${JSON.stringify(member.key)} }, body });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error('heartbeat answered ' + response.status);
        times.push(performance.now() - startedAt);
        if (n === 0) process.stdout.write('started\\n');
      }
      process.stdout.write(JSON.stringify(times));
      process.exit(0);
    })();`;
  const probe = spawn(process.execPath, ['-e', source], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  let started!: () => void;
  probe.stdout!.on('data', (chunk) => {
    output += chunk;
    if (output.startsWith('started\n')) started();
  });
  const done = new Promise<number[]>((resolve, reject) =>
    probe.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output.slice('started\n'.length))) : reject(new Error(`probe exited ${code}`)))),
  );
  return {
    started: new Promise((resolve) => (started = resolve)),
    stop() {
      probe.stdin!.end('stop\n');
      return done;
    },
  };
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const median = (values: number[]) => pct(values, 50);

export async function benchGauges() {
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-bench-gauges-'));
  spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
  const env = (perServer: boolean) => ({
    DATA_DIR: dataDir,
    PORT: '0',
    HARBORFORGE_ADMIN_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
    HEARTBEAT_RATE_LIMIT: '1000000000',
    RATE_LIMIT_ANONYMOUS: '0',
    METRICS_PER_SERVER: String(perServer),
  });
  const flags = [...serverFlags(root), 'dist/main.mjs'];
  const ready = /status page http:\/\/127\.0\.0\.1:(\d+)\//;
  let child = await start(flags, env(true), ready, root); // creates the database
  await child.stop();
  const fleet = insertBulkFleet(dataDir, FLEET, { prefix: 'fleet', withKeys: true, intervalSeconds: 3600 });
  child = await start(flags, env(true), ready, root);
  // Whatever the server says after its start (a crash under memory pressure, say) is shown.
  child.process.stderr!.on('data', (chunk) => process.stderr.write(`server: ${chunk}`));
  child.process.once('exit', (code, signal) => (code || signal) && signal !== 'SIGTERM' && console.error(`server exited ${code ?? signal}`));
  try {
    console.log(`HarborForge /metrics with METRICS_PER_SERVER=true — ${fmt(FLEET)} servers, ${SCRAPES} scrapes; load average before: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await scrape(child); // warm-up (the first also waits for the fleet to load)
    const scrapes: Scrape[] = [];
    for (let i = 0; i < SCRAPES; i++) scrapes.push(await scrape(child));
    const last = scrapes.at(-1)!;
    console.log('\n== Scrapes, one after another ==');
    for (const [i, s] of scrapes.entries()) {
      console.log(`scrape ${i + 1}         first byte ${fmt(s.firstByteMs, 1)} ms   last byte ${fmt(s.lastByteMs, 0)} ms   ${fmt(s.bytes / 1e6, 1)} MB (${s.encoding})   ${fmt(s.samples)} samples   server CPU ${fmt(s.cpuS, 2)} s`);
    }
    console.log(`median           last byte ${fmt(median(scrapes.map((s) => s.lastByteMs)), 0)} ms   server CPU ${fmt(median(scrapes.map((s) => s.cpuS)), 2)} s   ${fmt(last.bytes / FLEET, 0)} bytes and ${fmt(last.samples / FLEET, 1)} samples per server`);

    console.log('\n== Heartbeat round trip, one at a time ==');
    const member = fleet[0]!;
    const quiet = heartbeatProbe(child, member);
    await quiet.started;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idle = await quiet.stop();
    const loaded = heartbeatProbe(child, member);
    await loaded.started;
    const busy: Scrape[] = [];
    for (let i = 0; i < 3; i++) busy.push(await scrape(child));
    const whileScraping = await loaded.stop();
    console.log(`no scrape        ${fmt(idle.length)} heartbeats   p50 ${fmt(median(idle), 2)} ms   p99 ${fmt(pct(idle, 99), 2)} ms   max ${fmt(Math.max(...idle), 1)} ms`);
    console.log(`during scrapes   ${fmt(whileScraping.length)} heartbeats   p50 ${fmt(median(whileScraping), 2)} ms   p99 ${fmt(pct(whileScraping, 99), 2)} ms   max ${fmt(Math.max(...whileScraping), 1)} ms   (scrapes took ${busy.map((s) => fmt(s.lastByteMs, 0)).join(' / ')} ms)`);
    console.log(`server RSS       ${rssMb(child.process.pid!, 'VmRSS')} MB now, peak ${rssMb(child.process.pid!, 'VmHWM')} MB`);

    await child.stop();
    child = await start(flags, env(false), ready, root);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // past the start's own work
    await scrape(child);
    const plain = await scrape(child);
    console.log('\n== Without METRICS_PER_SERVER ==');
    console.log(`scrape           last byte ${fmt(plain.lastByteMs, 1)} ms   ${fmt(plain.bytes / 1e3, 1)} KB   ${fmt(plain.samples)} samples   server CPU ${fmt(plain.cpuS, 2)} s`);
    console.log(`load average after: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
