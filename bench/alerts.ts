// `npm run bench -- alerts`: alert evaluation and delivery (issue 11). Prints figures; asserts nothing.
//
//  1. CPU of the server process with 10,000 servers reporting at their nominal rate (every 30 s:
//     333 heartbeats/s), without rules and with 5 rules over every server, alternating phases.
//  2. OFFLINE transition -> webhook latency: servers (interval 5 s, grace 0) fall silent one after
//     another while the fleet keeps reporting; arrival at a local webhook minus the OFFLINE threshold.
//  3. A flapping server (up for one heartbeat, down past its OFFLINE threshold, repeatedly): how many
//     notifications reach the webhook.
// The server runs as `npm start` runs it (dist/), on SQLite, with ALERT_DIGEST_WINDOW_MS=0 so that
// latency is per notification (storm control would batch the staggered transitions).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertBulkFleet, type BulkMember } from '../test/helpers/bulk-fleet.ts';
import { startReceiver } from '../test/alerts/receiver.ts';

const root = join(import.meta.dirname, '..');
const TOKEN = 'bench-admin-token-0123456789';
const FLEET = Number(process.env.BENCH_ALERT_SERVERS ?? 10_000);
const RATE = Math.round(FLEET / 30);
const PHASE_MS = Number(process.env.BENCH_ALERT_PHASE_MS ?? 15_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_ALERT_SAMPLES ?? 30);
const FLAP_CYCLES = Number(process.env.BENCH_ALERT_FLAPS ?? 6);

interface Child {
  process: ChildProcess;
  url: string;
  port: number;
  stop(): Promise<void>;
}

function startBundle(dataDir: string): Promise<Child> {
  const startScript: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
  const flags = startScript.replace(/^node\s+/, '').replace(/\s*dist\/main\.mjs.*$/, '').split(' ').filter(Boolean);
  const env = {
    ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', HARBORFORGE_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn',
    HEARTBEAT_RATE_LIMIT: '1000000000', ALERT_DIGEST_WINDOW_MS: '0', STATUS_SWEEP_MS: '250',
  };
  const child = spawn(process.execPath, [...flags, 'dist/main.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /status page (http:\/\/[\d.]+:(\d+))\//.exec(output);
      if (match) resolve({ process: child, url: match[1]!, port: Number(match[2]), stop: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) });
    });
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${output}`)));
  });
}

/** user+system CPU seconds of a process so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function gql(url: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ query, variables }) });
  const result = (await response.json()) as any;
  if (result.errors) throw new Error(result.errors[0].message);
  return result.data;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });
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

/** The fleet reporting at its nominal rate until stop() (bounded: at most RATE per second). */
function reportFleet(port: number, fleet: BulkMember[]) {
  let next = 0;
  let sent = 0;
  let failed = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < RATE / 10; i++) {
      const member = fleet[next++ % fleet.length]!;
      const n = next;
      heartbeat(port, member.key, { identifier: member.identifier, cpu_pct: (n * 7) % 100, mem_pct: (n * 13) % 100, disk_pct: 50, openclaw_version: '2026.9.6', plugin_version: '0.1.0', uptime_seconds: 86_400 + n })
        .then((status) => (status === 200 ? sent++ : failed++), () => failed++);
    }
  }, 100);
  return { stop: () => clearInterval(timer), counts: () => ({ sent, failed }) };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function runAlertsBench(): Promise<void> {
  console.log(`HarborForge alerts benchmark — ${FLEET} servers reporting ${RATE} heartbeats/s, SQLite, bundle`);
  spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-bench-alerts-'));
  const receiver = await startReceiver();
  let server = await startBundle(dataDir);
  await server.stop();
  const fleet = insertBulkFleet(dataDir, FLEET, { prefix: 'alertbench', intervalSeconds: 30, withKeys: true });
  server = await startBundle(dataDir);
  try {
    const load = reportFleet(server.port, fleet);
    await new Promise((r) => setTimeout(r, 5_000)); // warm-up

    // 1. CPU: alternate phases without and with rules.
    const channel = (await gql(server.url, `mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { id } } }`, { i: { name: 'bench', kind: 'WEBHOOK', settings: { url: receiver.url } } })).createAlertChannel.channel.id;
    const ruleInputs = [
      { name: 'offline', kind: 'OFFLINE', channelIds: [channel] },
      { name: 'late', kind: 'LATE', channelIds: [channel], forSeconds: 60 },
      { name: 'cpu', kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 95, clearThreshold: 90, forSeconds: 120, channelIds: [channel] },
      { name: 'mem', kind: 'METRIC', metric: 'MEM_PCT', operator: 'ABOVE', threshold: 99, channelIds: [channel] },
      { name: 'version', kind: 'VERSION_CHANGED', channelIds: [channel] },
    ];
    const measure = async () => {
      const before = cpuSeconds(server.process.pid!);
      const started = performance.now();
      await new Promise((r) => setTimeout(r, PHASE_MS));
      return (cpuSeconds(server.process.pid!) - before) / ((performance.now() - started) / 1000);
    };
    const without: number[] = [];
    const withRules: number[] = [];
    for (let round = 0; round < 2; round++) {
      without.push(await measure());
      const ids: string[] = [];
      for (const input of ruleInputs) ids.push((await gql(server.url, `mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, { i: input })).createAlertRule.rule.id);
      await new Promise((r) => setTimeout(r, 2_000)); // the first evaluation of every server with new rules
      withRules.push(await measure());
      if (round === 0) for (const id of ids) await gql(server.url, `mutation ($id: ID!) { deleteAlertRule(id: $id) { deletedRuleId } }`, { id });
    }
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`\n1. server CPU at ${RATE} heartbeats/s (cores busy; ${PHASE_MS / 1000} s phases, alternating):`);
    console.log(`   without rules: ${without.map((x) => x.toFixed(3)).join(', ')}  (avg ${avg(without).toFixed(3)})`);
    console.log(`   with 5 rules:  ${withRules.map((x) => x.toFixed(3)).join(', ')}  (avg ${avg(withRules).toFixed(3)})`);
    console.log(`   ratio with/without: ${(avg(withRules) / avg(without)).toFixed(3)}  (heartbeats sent ${load.counts().sent}, failed ${load.counts().failed})`);

    // 2. OFFLINE -> webhook latency, under the fleet's load and the 5 rules.
    const samples: { id: string; threshold: number }[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const identifier = `latency-${i}-${Date.now()}`;
      const added = (await gql(server.url, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier, intervalSeconds: 5, graceSeconds: 0 } })).addServer.server;
      const key = (await gql(server.url, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id: added.id })).generateApiKey.apiKey;
      const sentAt = Date.now();
      await heartbeat(server.port, key, { identifier });
      samples.push({ id: added.id, threshold: sentAt + 5_000 });
      await new Promise((r) => setTimeout(r, 150));
    }
    const deadline = Date.now() + 30_000;
    const arrival = (id: string) => receiver.received.find((r) => r.body?.event === 'FIRING' && r.body?.rule?.kind === 'OFFLINE' && r.body?.server?.id === id)?.at;
    while (Date.now() < deadline && samples.some((s) => arrival(s.id) === undefined)) await new Promise((r) => setTimeout(r, 50));
    const latencies = samples.flatMap((s) => (arrival(s.id) === undefined ? [] : [arrival(s.id)! - s.threshold])).sort((a, b) => a - b);
    console.log(`\n2. OFFLINE threshold -> webhook (ms, ${latencies.length}/${samples.length} arrived): p50 ${pct(latencies, 50)}, p99 ${pct(latencies, 99)}, max ${latencies.at(-1)}`);

    // 3. A flapping server: one heartbeat, silent past its OFFLINE threshold (5 s), again.
    const identifier = `flap-${Date.now()}`;
    const flap = (await gql(server.url, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier, intervalSeconds: 5, graceSeconds: 0 } })).addServer.server;
    const flapKey = (await gql(server.url, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id: flap.id })).generateApiKey.apiKey;
    const flapStarted = Date.now();
    for (let cycle = 0; cycle < FLAP_CYCLES; cycle++) {
      await heartbeat(server.port, flapKey, { identifier });
      await new Promise((r) => setTimeout(r, 6_000));
    }
    await heartbeat(server.port, flapKey, { identifier });
    await new Promise((r) => setTimeout(r, 2_000));
    const flapSeconds = (Date.now() - flapStarted) / 1000;
    const flapNotifications = receiver.received.filter((r) => r.body?.server?.id === flap.id);
    const byRule = new Map<string, number>();
    for (const r of flapNotifications) byRule.set(r.body.rule.name, (byRule.get(r.body.rule.name) ?? 0) + 1);
    console.log(`\n3. flapping server (${FLAP_CYCLES} down/up cycles of 6 s over ${flapSeconds.toFixed(0)} s): ${flapNotifications.length} notifications (${[...byRule].map(([k, v]) => `${k}: ${v}`).join(', ')})`);
    console.log(`   bound: per rule and channel, 2 per OFFLINE cycle (FIRING + RESOLVED), and a cycle lasts at least interval + grace (>= 5 s);`);
    console.log(`   forSeconds rules (late, 60 s) stay silent for cycles shorter than forSeconds; ALERT_DIGEST_WINDOW_MS caps messages per channel at 1 per window.`);
    load.stop();
  } finally {
    await server.stop();
    await receiver.close();
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
