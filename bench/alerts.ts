// `npm run bench -- alerts`: alert evaluation and delivery (issue 11). Prints figures; asserts nothing.
//
//  1. CPU seconds of the server process with 10,000 servers reporting at their nominal rate (every
//     30 s: 333 heartbeats/s), without rules and with 5 rules over every server, in the same run on
//     the same fleet: per round, a phase without rules, then the first minute after the 5 rules are
//     created (the first evaluation of every server), then a steady phase with them; the rules are
//     deleted between rounds. The fleet's telemetry is a realistic mix: 1 % of servers run hot
//     (CPU above 90, so the CPU rule goes PENDING and fires after its 60 s), 2 % hover around 90
//     (PENDING / cancelled churn), 0.5 % have a full disk; the rest are quiet.
//  2. OFFLINE threshold -> webhook latency: servers (interval 5 s, grace 0) send one heartbeat each at
//     staggered times and fall silent, while the fleet keeps reporting under the 5 rules. Each
//     OFFLINE alert's arrival at a local webhook (digests unpacked: every alert in a digest counts)
//     minus its threshold (the server's last heartbeat as the server recorded it + interval + grace).
//  3. A flapping server (one heartbeat, silent past its OFFLINE threshold, again): notifications
//     (digests unpacked) per rule.
// The server runs as `npm start` runs it (dist/), on SQLite, with the product's defaults (the digest
// window included) unless BENCH_ALERT_DIGEST_MS sets ALERT_DIGEST_WINDOW_MS.
// BENCH_ALERT_PROFILE=<dir>: the server runs with --cpu-prof into that directory.
// BENCH_ALERT_SERVER_LOG=<file>: the server's log (stdout and stderr) is appended there.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { insertBulkFleet, type BulkMember } from '../test/helpers/bulk-fleet.ts';
import { startReceiver, type Received } from '../test/alerts/receiver.ts';
import { cpuSeconds, serverFlags } from './lib.ts';

const root = join(import.meta.dirname, '..');
const TOKEN = 'bench-admin-token-0123456789';
const FLEET = Number(process.env.BENCH_ALERT_SERVERS ?? 10_000);
const RATE = Math.round(FLEET / 30);
const PHASE_MS = Number(process.env.BENCH_ALERT_PHASE_MS ?? 60_000);
const ROUNDS = Number(process.env.BENCH_ALERT_ROUNDS ?? 2);
const LATENCY_SAMPLES = Number(process.env.BENCH_ALERT_SAMPLES ?? 240);
const LATENCY_SPACING_MS = Number(process.env.BENCH_ALERT_SPACING_MS ?? 250);
const FLAP_CYCLES = Number(process.env.BENCH_ALERT_FLAPS ?? 6);
const DIGEST_MS = process.env.BENCH_ALERT_DIGEST_MS;
const PROFILE_DIR = process.env.BENCH_ALERT_PROFILE;

interface Child {
  process: ChildProcess;
  url: string;
  port: number;
  stop(): Promise<void>;
}

function startBundle(dataDir: string, profile = false): Promise<Child> {
  const flags = serverFlags(root);
  if (profile && PROFILE_DIR) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    flags.push('--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR)}`);
  }
  const env: Record<string, string | undefined> = {
    ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', HARBORFORGE_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn',
    HEARTBEAT_RATE_LIMIT: '1000000000',
  };
  if (DIGEST_MS !== undefined) env.ALERT_DIGEST_WINDOW_MS = DIGEST_MS;
  const child = spawn(process.execPath, [...flags, 'dist/main.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      if (process.env.BENCH_ALERT_SERVER_LOG) appendFileSync(process.env.BENCH_ALERT_SERVER_LOG, chunk);
      output += chunk;
      const match = /status page (http:\/\/[\d.]+:(\d+))\//.exec(output);
      if (match) resolve({ process: child, url: match[1]!, port: Number(match[2]), stop: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) });
    });
    child.stderr!.on('data', (chunk) => {
      if (process.env.BENCH_ALERT_SERVER_LOG) appendFileSync(process.env.BENCH_ALERT_SERVER_LOG, chunk);
      output += chunk;
      if (output.length > 100_000) output = output.slice(-50_000);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${output.slice(-5000)}`)));
  });
}

/** Answers "the database is unavailable; retry later" (SQLite busy past its timeout on a loaded machine). */
let unavailableAnswers = 0;

async function gql(url: string, query: string, variables?: Record<string, unknown>) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ query, variables }) });
    const result = (await response.json()) as any;
    if (!result.errors) return result.data;
    // What a client is told to do with this answer: retry later.
    if (/unavailable/i.test(result.errors[0].message) && attempt < 10) {
      unavailableAnswers++;
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    throw new Error(result.errors[0].message);
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function heartbeat(port: number, key: string, body: Record<string, unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, path: '/monitor/server/heartbeat-v2', method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': key, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Deterministic noise in [0, 1) from two integers. */
const noise = (a: number, b: number) => {
  const x = Math.sin(a * 12.9898 + b * 78.233) * 43_758.5453;
  return x - Math.floor(x);
};

/** Telemetry of fleet member `s` at its `n`-th heartbeat: 1 % hot, 2 % hovering around 90, 0.5 % full disk. */
function telemetry(s: number, n: number) {
  const r = noise(s, n);
  const cpu = s % 100 === 7 ? 93 + 6 * r : s % 50 === 13 ? 80 + 20 * r : 10 + 60 * r;
  const disk = s % 200 === 3 ? 97 : 30 + (s % 50);
  return { cpu_pct: Math.round(cpu * 10) / 10, mem_pct: 40 + (s % 40), disk_pct: disk, swap_pct: 1, load_avg: [0.5, 0.4, 0.3] };
}

/**
 * The fleet reporting at its nominal rate until stop(), each member every 30 s: every 100 ms it sends
 * what is due by the clock (a late tick catches up), with at most 64 requests in flight (a server
 * that stalls gets the backlog as fast as it answers; the shortfall shows in the rate printed).
 */
function reportFleet(port: number, fleet: BulkMember[]) {
  let next = 0;
  let sent = 0;
  let failed = 0;
  let inFlight = 0;
  /** Heartbeat round trips (ms) since the last take(). */
  let latencies: number[] = [];
  const started = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    while (next < due && inFlight < 64) {
      const s = next % fleet.length;
      const round = Math.floor(next / fleet.length);
      next++;
      const member = fleet[s]!;
      inFlight++;
      const sentAt = performance.now();
      heartbeat(port, member.key, { identifier: member.identifier, ...telemetry(s, round), openclaw_version: '2026.9.6', plugin_version: '0.1.0', uptime_seconds: 86_400 + round * 30 })
        .then((status) => (status === 200 ? sent++ : failed++), () => failed++)
        .finally(() => {
          inFlight--;
          latencies.push(performance.now() - sentAt);
        });
    }
  }, 100);
  const take = () => {
    const taken = latencies.sort((a, b) => a - b);
    latencies = [];
    return taken;
  };
  return { stop: () => clearInterval(timer), counts: () => ({ sent, failed }), latencies: take };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** Every alert a webhook request carried: the request itself, or each item of its digest. */
function alertsIn(received: Received[]) {
  return received.flatMap((r) => {
    const body = r.body as any;
    const items: any[] = body?.digest?.length ? body.digest : [body];
    return items.map((item) => ({ at: r.at, item, digest: Boolean(body?.digest?.length) }));
  });
}

export async function runAlertsBench(): Promise<void> {
  console.log(`HarborForge alerts benchmark — ${FLEET} servers reporting ${RATE} heartbeats/s, SQLite, bundle, ALERT_DIGEST_WINDOW_MS=${DIGEST_MS ?? '(default)'}`);
  spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-bench-alerts-'));
  const receiver = await startReceiver();
  let server = await startBundle(dataDir);
  await server.stop();
  const fleet = insertBulkFleet(dataDir, FLEET, { prefix: 'alertbench', intervalSeconds: 30, withKeys: true });
  server = await startBundle(dataDir, true);
  const db = new Database(join(dataDir, 'harborforge.db'), { readonly: true });
  const rows = () => db.prepare(`SELECT (SELECT count(*) FROM alert_states) AS states, (SELECT count(*) FROM alert_events) AS events, (SELECT count(*) FROM alert_outbox) AS outbox`).get() as { states: number; events: number; outbox: number };
  try {
    const reporting = reportFleet(server.port, fleet);
    // Every member reports once before anything is measured (the bulk fleet starts partly LATE/OFFLINE).
    console.log(`warm-up: 35 s (load average ${load()})`);
    await sleep(35_000);

    // 1. CPU, per round: no rules; the first minute with 5 rules; steady with 5 rules.
    const channel = (await gql(server.url, `mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { id } } }`, { i: { name: 'bench', kind: 'WEBHOOK', settings: { url: receiver.url } } })).createAlertChannel.channel.id;
    const ruleInputs = [
      { name: 'offline', kind: 'OFFLINE', channelIds: [channel] },
      { name: 'late', kind: 'LATE', channelIds: [channel] },
      { name: 'cpu', kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 90, clearThreshold: 85, forSeconds: 60, channelIds: [channel] },
      { name: 'disk', kind: 'METRIC', metric: 'DISK_PCT', operator: 'ABOVE', threshold: 95, channelIds: [channel] },
      { name: 'version', kind: 'VERSION_CHANGED', channelIds: [channel] },
    ];
    interface Phase { name: string; round: number; cpu: number; seconds: number; heartbeats: number; failed: number; rtt: string; load: string; rows: ReturnType<typeof rows> }
    const rtt = () => {
      const sorted = reporting.latencies();
      return sorted.length ? `heartbeat p50 ${pct(sorted, 50).toFixed(0)} ms, p99 ${pct(sorted, 99).toFixed(0)} ms` : 'no heartbeat answered';
    };
    const print = (p: Phase) =>
      console.log(`   round ${p.round} ${p.name.padEnd(14)} cpu ${p.cpu.toFixed(2)} s in ${p.seconds.toFixed(1)} s = ${(p.cpu / p.seconds).toFixed(3)} cores; ${p.heartbeats} heartbeats (${(p.heartbeats / p.seconds).toFixed(0)}/s, ${p.failed} failed; ${p.rtt}); rows: states ${p.rows.states}, events ${p.rows.events}, outbox ${p.rows.outbox}; load ${p.load}`);
    const phases: Phase[] = [];
    const measure = async (name: string, round: number, ms: number) => {
      const before = cpuSeconds(server.process.pid!);
      const counted = reporting.counts();
      reporting.latencies();
      const started = performance.now();
      await sleep(ms);
      const seconds = (performance.now() - started) / 1000;
      const phase = { name, round, cpu: cpuSeconds(server.process.pid!) - before, seconds, heartbeats: reporting.counts().sent - counted.sent, failed: reporting.counts().failed - counted.failed, rtt: rtt(), load: load(), rows: rows() };
      phases.push(phase);
      print(phase);
    };
    console.log(`\n1. server CPU at ${RATE} heartbeats/s (${PHASE_MS / 1000} s phases; first minute = 60 s from the rules' creation):`);
    for (let round = 1; round <= ROUNDS; round++) {
      await measure('no rules', round, PHASE_MS);
      const before = cpuSeconds(server.process.pid!);
      const counted = reporting.counts();
      reporting.latencies();
      const started = performance.now();
      const ids: string[] = [];
      for (const input of ruleInputs) ids.push((await gql(server.url, `mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, { i: input })).createAlertRule.rule.id);
      // The first minute counts from just before the rules exist (their creation included).
      await sleep(Math.max(0, 60_000 - (performance.now() - started)));
      const seconds = (performance.now() - started) / 1000;
      const first = { name: 'first minute', round, cpu: cpuSeconds(server.process.pid!) - before, seconds, heartbeats: reporting.counts().sent - counted.sent, failed: reporting.counts().failed - counted.failed, rtt: rtt(), load: load(), rows: rows() };
      phases.push(first);
      print(first);
      await measure('5 rules steady', round, PHASE_MS);
      if (round < ROUNDS) for (const id of ids) await gql(server.url, `mutation ($id: ID!) { deleteAlertRule(id: $id) { deletedRuleId } }`, { id });
    }
    const perHeartbeatMs = (name: string) => {
      const ps = phases.filter((p) => p.name === name);
      return (ps.reduce((a, p) => a + p.cpu, 0) / ps.reduce((a, p) => a + p.heartbeats, 0)) * 1000;
    };
    const rate = (name: string) => {
      const ps = phases.filter((p) => p.name === name);
      return ps.reduce((a, p) => a + p.cpu, 0) / ps.reduce((a, p) => a + p.seconds, 0);
    };
    const none = rate('no rules');
    console.log(`   cores busy: no rules ${none.toFixed(3)}, first minute ${rate('first minute').toFixed(3)} (x${(rate('first minute') / none).toFixed(3)}), steady ${rate('5 rules steady').toFixed(3)} (x${(rate('5 rules steady') / none).toFixed(3)})`);
    console.log(`   CPU ms per heartbeat: no rules ${perHeartbeatMs('no rules').toFixed(3)}, first minute ${perHeartbeatMs('first minute').toFixed(3)}, steady ${perHeartbeatMs('5 rules steady').toFixed(3)}`);
    for (let round = 1; round <= ROUNDS; round++) {
      const of = (name: string) => phases.find((p) => p.round === round && p.name === name)!;
      const r = (p: Phase) => p.cpu / p.seconds;
      console.log(`   round ${round} ratios: first minute / no rules x${(r(of('first minute')) / r(of('no rules'))).toFixed(3)}, steady / no rules x${(r(of('5 rules steady')) / r(of('no rules'))).toFixed(3)}`);
    }

    // 2. OFFLINE -> webhook latency, under the fleet's load and the 5 rules.
    const samples: { id: string; identifier: string; key: string }[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const identifier = `latency-${String(i).padStart(4, '0')}`;
      const added = (await gql(server.url, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier, intervalSeconds: 5, graceSeconds: 0 } })).addServer.server;
      const key = (await gql(server.url, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id: added.id })).generateApiKey.apiKey;
      samples.push({ id: added.id, identifier, key });
    }
    const latencyStarted = Date.now();
    const cpuBefore = cpuSeconds(server.process.pid!);
    const countedBeforeLatency = reporting.counts();
    for (const sample of samples) {
      await heartbeat(server.port, sample.key, { identifier: sample.identifier, cpu_pct: 10, disk_pct: 10 });
      await sleep(LATENCY_SPACING_MS);
    }
    const sampleIds = new Set(samples.map((s) => s.id));
    const offlineAlerts = () => alertsIn(receiver.received).filter((a) => a.item?.event === 'FIRING' && a.item?.rule?.kind === 'OFFLINE' && sampleIds.has(a.item?.server?.id));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && new Set(offlineAlerts().map((a) => a.item.server.id)).size < samples.length) await sleep(100);
    const latencyCpu = cpuSeconds(server.process.pid!) - cpuBefore;
    const latencyFleet = { sent: reporting.counts().sent - countedBeforeLatency.sent, failed: reporting.counts().failed - countedBeforeLatency.failed };
    const arrivals = new Map<string, { at: number; digest: boolean }>();
    for (const a of offlineAlerts()) if (!arrivals.has(a.item.server.id)) arrivals.set(a.item.server.id, { at: a.at, digest: a.digest });
    const latencies: number[] = [];
    let viaDigest = 0;
    for (const sample of samples) {
      const arrival = arrivals.get(sample.id);
      if (!arrival) continue;
      const { server: view } = await gql(server.url, `query ($id: ID!) { server(id: $id) { lastSeenAt } }`, { id: sample.id });
      const threshold = new Date(view.lastSeenAt).getTime() + 5_000;
      latencies.push(arrival.at - threshold);
      if (arrival.digest) viaDigest++;
    }
    latencies.sort((a, b) => a - b);
    const messages = receiver.received.filter((r) => r.at >= latencyStarted).length;
    console.log(`\n2. OFFLINE threshold -> webhook (ms; ${latencies.length}/${samples.length} arrived, ${viaDigest} inside digests; ${messages} webhook requests in that time; one server silent every ${LATENCY_SPACING_MS} ms):`);
    console.log(`   p50 ${pct(latencies, 50)}, p90 ${pct(latencies, 90)}, p99 ${pct(latencies, 99)}, max ${latencies.at(-1)}, min ${latencies[0]}; server CPU ${(latencyCpu / ((Date.now() - latencyStarted) / 1000)).toFixed(3)} cores; load ${load()}`);
    console.log(`   the fleet's heartbeats meanwhile: ${latencyFleet.sent} accepted, ${latencyFleet.failed} refused`);

    // 3. A flapping server: one heartbeat, silent past its OFFLINE threshold (5 s), again.
    const identifier = `flap-${Date.now()}`;
    const flap = (await gql(server.url, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier, intervalSeconds: 5, graceSeconds: 0 } })).addServer.server;
    const flapKey = (await gql(server.url, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id: flap.id })).generateApiKey.apiKey;
    const flapStarted = Date.now();
    const flapStatuses: number[] = [];
    for (let cycle = 0; cycle < FLAP_CYCLES; cycle++) {
      flapStatuses.push(await heartbeat(server.port, flapKey, { identifier }).catch(() => 0));
      await sleep(6_000);
    }
    flapStatuses.push(await heartbeat(server.port, flapKey, { identifier }).catch(() => 0));
    await sleep(6_000);
    const flapSeconds = (Date.now() - flapStarted) / 1000;
    const flapAlerts = alertsIn(receiver.received).filter((a) => a.item?.server?.id === flap.id);
    const flapMessages = new Set(flapAlerts.map((a) => a.at)).size;
    const byRule = new Map<string, number>();
    for (const a of flapAlerts) byRule.set(`${a.item.rule.name} ${a.item.event}`, (byRule.get(`${a.item.rule.name} ${a.item.event}`) ?? 0) + 1);
    const refused = flapStatuses.filter((status) => status !== 200).length;
    console.log(`\n3. flapping server (${FLAP_CYCLES} up/down cycles of 6 s over ${flapSeconds.toFixed(0)} s): ${flapAlerts.length} notifications in ${flapMessages} webhook requests (${[...byRule].map(([k, v]) => `${k}: ${v}`).join(', ')})`);
    // A refused heartbeat is no "up": the figure only counts when every one was accepted.
    if (refused) console.log(`   NOT VALID: ${refused} of its ${flapStatuses.length} heartbeats were refused (${flapStatuses.join(' ')})`);
    console.log(`   bound: per rule and channel, 2 per OFFLINE cycle (FIRING + RESOLVED); a cycle lasts at least interval + grace (>= 5 s here);`);
    console.log(`   ALERT_DIGEST_WINDOW_MS caps the messages per channel at 1 per window (digests carry the rest).`);
    reporting.stop();
    console.log(`\nheartbeats sent ${reporting.counts().sent}, failed ${reporting.counts().failed}; "database unavailable" answers retried: ${unavailableAnswers}; load average ${load()}`);
  } finally {
    db.close();
    await server.stop();
    await receiver.close();
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
