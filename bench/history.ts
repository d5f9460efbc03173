// `npm run bench -- history` (issue 10): what the tiered history costs and how fast it answers.
//
// What is simulated, and how. A fleet of BENCH_SERVERS servers (default 1,000) with BENCH_DAYS of
// history (default 400) ending now, written into a fresh database through the product's own code
// where it matters, on a simulated clock (the services' `now`):
//  - The last 48 h (the raw tier's retention) go through the real ingest transaction,
//    `store.commitHeartbeats` (the same call the HTTP handler makes, minus HTTP), one heartbeat per
//    server every 30 s, with receivedAt set to the simulated time; one batch per 30 s of fleet
//    time (as group commit would make of them). Every simulated minute the real rollup runs
//    (`rollUp`, 5,000-row chunks, as HISTORY_ROLLUP_SECONDS=60 does): its CPU is measured here, per
//    simulated hour of fleet time.
//  - Older history is not sent as 1.15 billion heartbeats. Synthetic raw rows are inserted into the
//    heartbeats table (same columns the ingest writes) one simulated day at a time and folded into
//    the tiers by the same rollup (`rollUp`), then dropped by the same retention (`pruneHistory`,
//    simulated now = the end of that day, every 7 days and at the end). Density: 1 row per
//    5-minute bucket for the last 30 days (the 5-minute tier's retention), 1 row per hour before
//    that (whose 5-minute buckets are pruned anyway). The tiers then hold exactly the rows (one per
//    server and bucket) a real fleet leaves; only the counts are smaller (1 / 12 / 24 or 288
//    instead of 10 / 120 / 2,880). In SQLite's record format a count of 1 takes 0 bytes instead of
//    1, so each synthetic 5-minute row is 7 bytes smaller than a real one: the report adds that
//    back. The 48 h of raw rows are real heartbeats.
//  - Status history: synthetic transitions (registration, then ~1 outage per server per 10 days:
//    ONLINE → LATE → OFFLINE → ONLINE, minutes to hours) inserted into status_changes, then folded
//    into uptime_days / fleet_uptime_days by the real `rollUpUptime`.
// Reported (SQLite; queries also on PostgreSQL with BENCH_DATABASE_URL):
//  - bytes on disk per server (pages in use, and the file), per table (dbstat);
//  - rollup CPU per simulated hour of fleet time;
//  - metrics p50 over 24 h / 30 d / 1 y and uptime p50 over 30 d: GraphQL over HTTP against the
//    built server (dist/main.mjs, a child process, real clock: the simulation ends at "now");
//  - ingest heartbeats/s before the tiered history (BENCH_BEFORE_ROOT: a checkout of 7e5159f with
//    its node_modules) and now, alternating rounds, same load generator (bench/lib.ts) and fleet;
//  - with BENCH_BASELINE_ROOT (another checkout, built the same way), its server answers the same
//    queries on the same database, alternating request by request with this one: before/after of
//    a query optimisation in one run.
// BENCH_SERVERS / BENCH_DAYS shrink it; BENCH_QUERIES sets samples per figure; BENCH_PG_SERVERS
// the PostgreSQL fleet (default 100: query cost is per server, generation on PostgreSQL is slower).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DEFAULT_HISTORY } from '../src/config.ts';
import { openDatabase, type Database as HfDatabase } from '../src/db/index.ts';
import { openSqlite } from '../src/db/sqlite-store.ts';
import type { BatchItem } from '../src/db/store.ts';
import type { Services } from '../src/services/context.ts';
import { hashSecret } from '../src/services/heartbeats.ts';
import { pruneHistory, rollUp } from '../src/services/history.ts';
import { rollUpUptime } from '../src/services/uptime-rollup.ts';
import { cpuSeconds, driveHeartbeats, fmt, serverFlags, start, type Child } from './lib.ts';

const root = join(import.meta.dirname, '..');
const TOKEN = 'bench-admin-token-0123456789';
const SERVERS = Number(process.env.BENCH_SERVERS ?? 1000);
const DAYS = Number(process.env.BENCH_DAYS ?? 400);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const PG_URL = process.env.BENCH_DATABASE_URL;
const PG_SERVERS = Number(process.env.BENCH_PG_SERVERS ?? 100);
const BEFORE_ROOT = process.env.BENCH_BEFORE_ROOT;
const BASELINE_ROOT = process.env.BENCH_BASELINE_ROOT;
const INGEST_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const INGEST_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean)); // sqlite,postgres,ingest

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const RAW_MS = DEFAULT_HISTORY.retentionSeconds[0] * 1000;
const FIVE_MIN_MS = DEFAULT_HISTORY.retentionSeconds[300] * 1000;
const METRIC_COLUMNS = ['cpuPct', 'memPct', 'diskPct', 'swapPct', 'load1', 'load5', 'load15', 'uptimeSeconds'] as const;

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const load = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim().replace(/^.*load average/, 'load average');

/** A deterministic pseudo-random sequence: the same fleet on every run and provider. */
function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

interface FleetMember {
  id: string;
  identifier: string;
  key: string;
}

interface RawRow {
  serverId: string;
  at: number;
  values: number[];
}

/** What differs between the providers when writing synthetic rows. */
interface SyntheticWriter {
  insertFleet(fleet: FleetMember[], createdAt: number, seenAt: number): Promise<void>;
  insertRaw(rows: RawRow[]): Promise<void>;
  insertStatusChanges(rows: { serverId: string; fromStatus: string | null; toStatus: string; at: number; cause: string }[]): Promise<void>;
  close(): Promise<void>;
}

function sqliteWriter(file: string): SyntheticWriter {
  const db = openSqlite(file);
  db.pragma('synchronous = NORMAL'); // this connection only: the generator's own bulk writes
  const server = db.prepare(`INSERT INTO monitored_servers (id, identifier, name, intervalSeconds, graceSeconds, createdAt, updatedAt) VALUES (?, ?, ?, 30, 60, ?, ?)`);
  const key = db.prepare(`INSERT INTO api_keys (id, serverId, hash, prefix, createdAt) VALUES (?, ?, ?, ?, ?)`);
  const state = db.prepare(`INSERT INTO server_states (serverId, status, lastSeenAt, lateAt, offlineAt, heartbeatCount) VALUES (?, 'ONLINE', ?, ?, ?, 1)`);
  const raw = db.prepare(`INSERT INTO heartbeats (serverId, receivedAt, ${METRIC_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const change = db.prepare(`INSERT INTO status_changes (serverId, fromStatus, toStatus, at, cause) VALUES (?, ?, ?, ?, ?)`);
  return {
    async insertFleet(fleet, createdAt, seenAt) {
      db.transaction(() => {
        for (const m of fleet) {
          server.run(m.id, m.identifier, m.identifier, createdAt, createdAt);
          key.run(`key-${m.id}`, m.id, hashSecret(m.key), m.key.slice(0, 12), createdAt);
          state.run(m.id, seenAt, seenAt + 45_000, seenAt + 90_000);
        }
      })();
    },
    async insertRaw(rows) {
      db.transaction(() => {
        for (const r of rows) raw.run(r.serverId, r.at, ...r.values);
      })();
    },
    async insertStatusChanges(rows) {
      db.transaction(() => {
        for (const r of rows) change.run(r.serverId, r.fromStatus, r.toStatus, r.at, r.cause);
      })();
    },
    async close() {
      db.close();
    },
  };
}

function postgresWriter(url: string): SyntheticWriter {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const ts = (column: number) => `to_timestamp(unnest($${column}::float8[]) / 1000) AT TIME ZONE 'UTC'`;
  return {
    async insertFleet(fleet, createdAt, seenAt) {
      const ids = fleet.map((m) => m.id);
      const times = fleet.map(() => createdAt);
      await pool.query(
        `INSERT INTO monitored_servers (id, identifier, name, "intervalSeconds", "graceSeconds", "createdAt", "updatedAt")
         SELECT unnest($1::text[]), unnest($2::text[]), unnest($2::text[]), 30, 60, ${ts(3)}, ${ts(3)}`,
        [ids, fleet.map((m) => m.identifier), times],
      );
      await pool.query(
        `INSERT INTO api_keys (id, "serverId", hash, prefix, "createdAt") SELECT 'key-' || unnest($1::text[]), unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), ${ts(4)}`,
        [ids, fleet.map((m) => hashSecret(m.key)), fleet.map((m) => m.key.slice(0, 12)), times],
      );
      await pool.query(
        `INSERT INTO server_states ("serverId", status, "lastSeenAt", "lateAt", "offlineAt", "heartbeatCount")
         SELECT unnest($1::text[]), 'ONLINE', ${ts(2)}, ${ts(3)}, ${ts(4)}, 1`,
        [ids, fleet.map(() => seenAt), fleet.map(() => seenAt + 45_000), fleet.map(() => seenAt + 90_000)],
      );
    },
    async insertRaw(rows) {
      for (let i = 0; i < rows.length; i += 20_000) {
        const chunk = rows.slice(i, i + 20_000);
        await pool.query(
          `INSERT INTO heartbeats ("serverId", "receivedAt", ${METRIC_COLUMNS.map((c) => `"${c}"`).join(', ')})
           SELECT unnest($1::text[]), ${ts(2)}, ${METRIC_COLUMNS.map((_, k) => `unnest($${k + 3}::float8[])`).join(', ')}`,
          [chunk.map((r) => r.serverId), chunk.map((r) => r.at), ...METRIC_COLUMNS.map((_, k) => chunk.map((r) => r.values[k]))],
        );
      }
    },
    async insertStatusChanges(rows) {
      for (let i = 0; i < rows.length; i += 20_000) {
        const chunk = rows.slice(i, i + 20_000);
        await pool.query(
          `INSERT INTO status_changes ("serverId", "fromStatus", "toStatus", at, cause)
           SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), ${ts(4)}, unnest($5::text[])`,
          [chunk.map((r) => r.serverId), chunk.map((r) => r.fromStatus), chunk.map((r) => r.toStatus), chunk.map((r) => r.at), chunk.map((r) => r.cause)],
        );
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** Each server's metrics: a slow random walk around its own level, two decimals like real agents. */
function metricSource(fleet: FleetMember[]) {
  const next = random(42);
  const level = fleet.map(() => METRIC_COLUMNS.map((c) => (c === 'uptimeSeconds' ? 0 : c.startsWith('load') ? next() * 4 : next() * 80)));
  const round = (x: number) => Math.round(x * 100) / 100;
  return (index: number, at: number): number[] =>
    level[index]!.map((base, k) => {
      if (METRIC_COLUMNS[k] === 'uptimeSeconds') return Math.floor((at % (30 * DAY)) / 1000);
      const value = base + (next() - 0.5) * (METRIC_COLUMNS[k]!.startsWith('load') ? 1 : 20);
      return round(Math.max(0, METRIC_COLUMNS[k]!.startsWith('load') ? value : Math.min(100, value)));
    });
}

function statusHistory(fleet: FleetMember[], from: number, until: number) {
  const next = random(7);
  const rows: { serverId: string; fromStatus: string | null; toStatus: string; at: number; cause: string }[] = [];
  for (const m of fleet) {
    rows.push({ serverId: m.id, fromStatus: null, toStatus: 'PENDING', at: from, cause: 'REGISTERED' });
    rows.push({ serverId: m.id, fromStatus: 'PENDING', toStatus: 'ONLINE', at: from + 30_000, cause: 'HEARTBEAT' });
    for (let t = from + next() * 10 * DAY; t < until - 3 * HOUR; t += next() * 20 * DAY) {
      const down = 60_000 + next() * 2 * HOUR;
      const at = Math.floor(t);
      rows.push({ serverId: m.id, fromStatus: 'ONLINE', toStatus: 'LATE', at, cause: 'SILENCE' });
      rows.push({ serverId: m.id, fromStatus: 'LATE', toStatus: 'OFFLINE', at: at + 45_000, cause: 'SILENCE' });
      rows.push({ serverId: m.id, fromStatus: 'OFFLINE', toStatus: 'ONLINE', at: Math.floor(at + 45_000 + down), cause: 'HEARTBEAT' });
    }
  }
  return rows;
}

interface Generated {
  fleet: FleetMember[];
  end: number;
  rollupCpuPerHour: number;
  rollupWallPerHour: number;
  ingestedPerSecond: number;
  rawHeartbeats: number;
  generateSeconds: number;
}

/**
 * Writes the simulated history into `db` (migrated already) and rolls it up; see the header.
 * `writer` writes the synthetic rows on its own connection.
 */
async function generate(db: HfDatabase, writer: SyntheticWriter, servers: number, days: number, label: string): Promise<Generated> {
  const started = performance.now();
  const end = Math.floor(Date.now() / MIN) * MIN;
  const begin = end - days * DAY;
  const rawStart = Math.max(begin, end - RAW_MS);
  const fiveMinStart = Math.max(begin, end - FIVE_MIN_MS);
  const clock = { now: begin };
  const services = {
    db,
    now: () => new Date(clock.now),
    history: DEFAULT_HISTORY,
    logger: { info() {}, debug() {}, error: console.error, warn: console.warn },
  } as unknown as Services;
  const fleet: FleetMember[] = Array.from({ length: servers }, (_, i) => ({
    id: `bench-h-${String(i).padStart(6, '0')}`,
    identifier: `history-${String(i).padStart(6, '0')}`,
    key: `hfm_benchhistory_${i}_${createHash('sha256').update(`key${i}`).digest('hex').slice(0, 24)}`,
  }));
  await writer.insertFleet(fleet, begin, rawStart - 30_000);
  await writer.insertStatusChanges(statusHistory(fleet, begin, rawStart));
  const values = metricSource(fleet);

  const phases = { insert: 0, rollup: 0, prune: 0 };
  // 1. Synthetic raw rows, a simulated day at a time, folded by the real rollup, pruned by the real retention.
  let lastPrune = begin;
  for (let day = begin; day < rawStart; day += DAY) {
    const dayEnd = Math.min(day + DAY, rawStart);
    const step = day >= fiveMinStart ? 5 * MIN : HOUR; // 1 row per 5-minute bucket, else 1 per hour
    const rows: RawRow[] = [];
    for (let t = day; t < dayEnd; t += step) fleet.forEach((m, i) => rows.push({ serverId: m.id, at: t + ((i * 7919) % step), values: values(i, t) }));
    let mark = performance.now();
    await writer.insertRaw(rows);
    phases.insert += performance.now() - mark;
    clock.now = dayEnd;
    mark = performance.now();
    await rollUp(services, 50_000);
    phases.rollup += performance.now() - mark;
    if (dayEnd - lastPrune >= 7 * DAY || dayEnd === rawStart) {
      mark = performance.now();
      await pruneHistory(services);
      phases.prune += performance.now() - mark;
      lastPrune = dayEnd;
    }
    const done = Math.round((dayEnd - begin) / DAY);
    if (done % 50 === 0 || dayEnd === rawStart) {
      const secs = (ms: number) => (ms / 1000).toFixed(0);
      log(`${label}: ${done} of ${days} simulated days written (${secs(performance.now() - started)} s: insert ${secs(phases.insert)}, rollup ${secs(phases.rollup)}, prune ${secs(phases.prune)})`);
    }
  }

  // 2. The raw tier's 48 h through the real ingest transaction, the rollup every simulated minute.
  const keyHashes = fleet.map((m) => hashSecret(m.key));
  let rollupCpu = 0;
  let rollupWall = 0;
  let ingestWall = 0;
  let heartbeats = 0;
  for (let t = rawStart; t < end; t += 30_000) {
    const batch: BatchItem[] = fleet.map((m, i) => {
      const [cpuPct, memPct, diskPct, swapPct, load1, load5, load15, uptimeSeconds] = values(i, t);
      return {
        keyHash: keyHashes[i]!,
        receivedAt: new Date(t + ((i * 7919) % 30_000)),
        record: { identifier: m.identifier, openclawVersion: '2026.9.6', pluginVersion: '0.1.0', agents: [{ id: 'alpha', name: 'alpha' }], cpuPct, memPct, diskPct, swapPct, load1, load5, load15, uptimeSeconds },
      } as BatchItem;
    });
    const ingestStarted = performance.now();
    const outcomes = await db.store.commitHeartbeats(batch);
    ingestWall += performance.now() - ingestStarted;
    if (!outcomes.every((o) => o.ok)) throw new Error(`ingest refused a heartbeat: ${JSON.stringify(outcomes.find((o) => !o.ok))}`);
    heartbeats += batch.length;
    clock.now = t + 30_000;
    if ((t - rawStart) % MIN === 30_000) {
      // Nothing else runs meanwhile (ingest awaited): the process's CPU delta is the rollup's.
      const cpu = process.cpuUsage();
      const wall = performance.now();
      await rollUp(services);
      rollupWall += performance.now() - wall;
      const used = process.cpuUsage(cpu);
      rollupCpu += (used.user + used.system) / 1e6;
    }
    if ((t - rawStart) % (6 * HOUR) === 0 && t > rawStart) {
      log(`${label}: raw tier ${((t - rawStart) / HOUR).toFixed(0)} of 48 h ingested (${((performance.now() - started) / 1000).toFixed(0)} s: ingest ${(ingestWall / 1000).toFixed(0)}, rollup ${(rollupWall / 1000).toFixed(0)})`);
    }
  }
  clock.now = end;
  await rollUp(services);
  await pruneHistory(services);
  // Closed days of status history into uptime_days (7 days per call, as the product's timer does).
  while ((await rollUpUptime(services, 7)) > 0);
  const hours = (end - rawStart) / HOUR;
  return {
    fleet,
    end,
    rollupCpuPerHour: rollupCpu / hours,
    rollupWallPerHour: rollupWall / 1000 / hours,
    ingestedPerSecond: heartbeats / (ingestWall / 1000),
    rawHeartbeats: heartbeats,
    generateSeconds: (performance.now() - started) / 1000,
  };
}

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function gql(url: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await response.json()) as { data?: any; errors?: unknown[] };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data;
}

const METRICS_QUERY = `query ($id: ID!, $from: DateTime!, $to: DateTime!) { metrics(serverId: $id, from: $from, to: $to) {
  resolutionSeconds sourceSeconds points { at cpuPct { avg min max } memPct { avg min max } diskPct { avg min max } swapPct { avg min max }
  load1 { avg min max } load5 { avg min max } load15 { avg min max } } } }`;
const UPTIME_QUERY = `query ($id: ID!, $from: DateTime!, $to: DateTime!) { uptime(serverId: $id, from: $from, to: $to) { ratio upSeconds downSeconds } }`;

interface Target {
  label: string;
  url: string;
  pid: number;
}

/**
 * p50/p90 and the server's CPU per request of each query figure, GraphQL over HTTP, one request at
 * a time (as a client's page does). With several targets (the same database served by another
 * build) requests alternate between them, so both see the same moment's machine load.
 */
async function queryFigures(targets: Target[], fleet: FleetMember[]) {
  const pick = random(99);
  const figures: string[] = [];
  const measure = async (name: string, query: string, rangeMs: number, describe: (data: any) => string) => {
    const samples = targets.map((): number[] => []);
    const cpu = targets.map(() => 0);
    let detail = '';
    for (let i = -20; i < QUERIES; i++) {
      const member = fleet[Math.floor(pick() * fleet.length)]!;
      for (const [k, target] of targets.entries()) {
        const to = Date.now();
        const cpuBefore = cpuSeconds(target.pid);
        const started = performance.now();
        const data = await gql(target.url, query, { id: member.id, from: new Date(to - rangeMs).toISOString(), to: new Date(to).toISOString() });
        if (i >= 0) {
          samples[k]!.push(performance.now() - started);
          cpu[k]! += cpuSeconds(target.pid) - cpuBefore;
        } else if (k === 0) detail = describe(data);
      }
    }
    targets.forEach((target, k) => {
      figures.push(
        `${target.label.padEnd(18)} ${name.padEnd(13)} p50 ${percentile(samples[k]!, 50).toFixed(1)} ms   p90 ${percentile(samples[k]!, 90).toFixed(1)} ms   server CPU ${((cpu[k]! / QUERIES) * 1000).toFixed(1)} ms/request   (${QUERIES} requests; ${detail})`,
      );
    });
    if (targets.length === 2) figures.push(`${''.padEnd(18)} ${name.padEnd(13)} ${targets[1]!.label} / ${targets[0]!.label}: p50 ${(percentile(samples[1]!, 50) / percentile(samples[0]!, 50)).toFixed(2)} x, CPU ${(cpu[1]! / cpu[0]!).toFixed(2)} x`);
  };
  const series = (data: any) => `${data.metrics.points.length} points of ${data.metrics.resolutionSeconds} s from source ${data.metrics.sourceSeconds} s`;
  await measure('metrics 24 h', METRICS_QUERY, DAY, series);
  await measure('metrics 30 d', METRICS_QUERY, 30 * DAY, series);
  await measure('metrics 1 y', METRICS_QUERY, 365 * DAY, series);
  await measure('uptime 30 d', UPTIME_QUERY, 30 * DAY, (data) => `ratio ${data.uptime.ratio?.toFixed(5)}`);
  return figures;
}

/** The built server of `dir` on a database, plus (BENCH_BASELINE_ROOT) another build on the same one. */
async function queryPhase(env: Record<string, string>, fleet: FleetMember[], label: string): Promise<string[]> {
  const servers: Child[] = [];
  try {
    const targets: Target[] = [];
    if (BASELINE_ROOT) {
      buildServer(BASELINE_ROOT);
      const baseline = await start([...serverFlags(BASELINE_ROOT), 'dist/main.mjs'], serverEnv(env), READY, BASELINE_ROOT);
      servers.push(baseline);
      targets.push({ label: `${label} baseline`, url: baseline.url, pid: baseline.process.pid! });
    }
    buildServer(root);
    const now = await start([...serverFlags(root), 'dist/main.mjs'], serverEnv(env), READY, root);
    servers.push(now);
    targets.push({ label: `${label} now`, url: now.url, pid: now.process.pid! });
    // Let the start-up jobs (rollup, retention, uptime days, status sweep) finish before measuring.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    return await queryFigures(targets, fleet);
  } finally {
    for (const server of servers) await server.stop();
  }
}

function buildServer(dir: string) {
  const result = spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`build failed in ${dir}`);
}

const serverEnv = (extra: Record<string, string>) => ({ PORT: '0', HARBORFORGE_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', HEARTBEAT_RATE_LIMIT: '1000000000', ...extra });
const READY = /status page http:\/\/127\.0\.0\.1:(\d+)\//;

async function sqlitePart(report: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'hf-bench-history-'));
  const file = join(dir, 'harborforge.db');
  try {
    log(`SQLite: ${SERVERS} servers x ${DAYS} days into ${file} (${load()})`);
    const db = await openDatabase(`file:${file}`);
    const writer = sqliteWriter(file);
    const generated = await generate(db, writer, SERVERS, DAYS, 'SQLite');
    await writer.close();
    await db.close();

    const raw = new Database(file);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    const pages = raw.pragma('page_count', { simple: true }) as number;
    const free = raw.pragma('freelist_count', { simple: true }) as number;
    const tables = raw.prepare(`SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC`).all() as { name: string; bytes: number }[];
    const counts = raw.prepare(`SELECT tier, count(*) AS n FROM metric_rollups GROUP BY tier ORDER BY tier`).all() as { tier: number; n: number }[];
    const rawRows = (raw.prepare(`SELECT count(*) AS n FROM heartbeats`).get() as { n: number }).n;
    raw.close();
    const fileBytes = statSync(file).size;
    // The synthetic 5-minute rows (older than 48 h) hold a count of 1 per metric, stored in 0 bytes
    // instead of the 1 byte of a real count of 10: 7 bytes per such row added back.
    const syntheticFiveMinute = counts.find((c) => c.tier === 300)!.n - SERVERS * (RAW_MS / (5 * MIN));
    const used = (pages - free) * pageSize + 7 * Math.max(0, syntheticFiveMinute);
    const mb = (bytes: number) => fmt(bytes / 1e6, 2);
    report.push(`\n== SQLite: ${fmt(SERVERS)} servers x ${DAYS} days at the default tiers (raw 48 h, 5m 30 d, 1h 400 d, 1d forever) ==`);
    report.push(`generated in     ${fmt(generated.generateSeconds)} s (last 48 h: ${fmt(generated.rawHeartbeats)} heartbeats through commitHeartbeats at ${fmt(generated.ingestedPerSecond)}/s in ${fmt(SERVERS)}-heartbeat batches, one per 30 s of fleet time)`);
    report.push(`rows             raw ${fmt(rawRows)}; rollups ${counts.map((c) => `${c.tier} s: ${fmt(c.n)}`).join(', ')}`);
    report.push(`bytes per server ${mb(used / SERVERS)} MB in use (pages minus free list, + 7 B per synthetic 5-minute row), ${mb(fileBytes / SERVERS)} MB file (goal <= 8 MB); whole database ${mb(used)} MB in use, file ${mb(fileBytes)} MB`);
    report.push(`per table        ${tables.filter((t) => t.bytes > 1e6).map((t) => `${t.name} ${mb(t.bytes / SERVERS)}`).join(', ')} (MB per server)`);
    report.push(`rollup CPU       ${fmt(generated.rollupCpuPerHour, 3)} CPU s per simulated hour of fleet time (${fmt(generated.rollupWallPerHour, 3)} s wall), ${fmt(SERVERS * 120)} heartbeats per hour, rollUp every simulated minute`);

    report.push(...(await queryPhase({ DATA_DIR: dir }, generated.fleet, 'SQLite')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresPart(report: string[]) {
  if (!PG_URL) {
    report.push('\n(PostgreSQL skipped: set BENCH_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/hf_bench_history after createdb)');
    return;
  }
  log(`PostgreSQL: ${PG_SERVERS} servers x ${DAYS} days into ${PG_URL.replace(/\/\/[^@]*@/, '//')} (${load()})`);
  // A clean database every run: drop what an earlier run left.
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  await admin.end();
  const db = await openDatabase(PG_URL);
  const writer = postgresWriter(PG_URL);
  const generated = await generate(db, writer, PG_SERVERS, DAYS, 'PostgreSQL');
  await writer.close();
  await db.close();
  const sizes = new pg.Pool({ connectionString: PG_URL, max: 1 });
  await sizes.query('VACUUM ANALYZE');
  const { rows } = await sizes.query(`SELECT pg_database_size(current_database())::float8 AS bytes`);
  const { rows: tables } = await sizes.query(
    `SELECT relname AS name, pg_total_relation_size(oid)::float8 AS bytes FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 4`,
  );
  await sizes.end();
  report.push(`\n== PostgreSQL: ${fmt(PG_SERVERS)} servers x ${DAYS} days, same simulation ==`);
  report.push(`generated in     ${fmt(generated.generateSeconds)} s (last 48 h through commitHeartbeats at ${fmt(generated.ingestedPerSecond)}/s)`);
  report.push(`bytes per server ${fmt(rows[0].bytes / PG_SERVERS / 1e6, 2)} MB (database size / servers); ${tables.map((t) => `${t.name} ${fmt(t.bytes / PG_SERVERS / 1e6, 2)}`).join(', ')} (MB per server, with indexes)`);
  report.push(`rollup CPU       ${fmt(generated.rollupCpuPerHour, 3)} CPU s of this process per simulated hour (PostgreSQL's own CPU not included), ${fmt(generated.rollupWallPerHour, 3)} s wall`);
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-bench-history-pg-'));
  try {
    report.push(...(await queryPhase({ DATABASE_URL: PG_URL, DATA_DIR: dataDir }, generated.fleet, 'PostgreSQL')));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Ingest heartbeats/s of the code before the tiered history vs now: fresh SQLite each, same fleet, same load, alternating. */
async function ingestPart(report: string[]) {
  if (!BEFORE_ROOT || !existsSync(join(BEFORE_ROOT, 'node_modules'))) {
    report.push('\n(ingest before/after skipped: set BENCH_BEFORE_ROOT to a checkout of 7e5159f, the commit before the tiered history, with `npm ci` run in it)');
    return;
  }
  buildServer(root);
  buildServer(BEFORE_ROOT);
  const fleetSize = 1000;
  const sides: { name: string; dir: string; child?: Child; data: string; fleet: { identifier: string; key: string }[]; rates: number[]; cpu: number; requests: number; p50: number[]; refused: number }[] = [
    { name: 'before (7e5159f)', dir: BEFORE_ROOT, data: mkdtempSync(join(tmpdir(), 'hf-bench-ingest-before-')), fleet: [], rates: [], cpu: 0, requests: 0, p50: [], refused: 0 },
    { name: 'now', dir: root, data: mkdtempSync(join(tmpdir(), 'hf-bench-ingest-now-')), fleet: [], rates: [], cpu: 0, requests: 0, p50: [], refused: 0 },
  ];
  try {
    for (const side of sides) {
      side.child = await start([...serverFlags(side.dir), 'dist/main.mjs'], serverEnv({ DATA_DIR: side.data }), READY, side.dir);
      for (let i = 0; i < fleetSize; i++) {
        const identifier = `ingest-${String(i).padStart(5, '0')}`;
        const { addServer } = await gql(side.child.url, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier } });
        const { generateApiKey } = await gql(side.child.url, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id: addServer.server.id });
        side.fleet.push({ identifier, key: generateApiKey.apiKey });
      }
      await driveHeartbeats(side.child.url, side.fleet, { connections: 64, amount: 2000 }); // warm-up
    }
    log(`ingest: ${INGEST_ROUNDS} rounds x ${INGEST_REQUESTS} heartbeats per side, alternating (${load()})`);
    for (let round = 0; round < INGEST_ROUNDS; round++) {
      for (const side of sides) {
        const cpu = cpuSeconds(side.child!.process.pid!);
        const result = await driveHeartbeats(side.child!.url, side.fleet, { connections: 64, amount: INGEST_REQUESTS });
        side.cpu += cpuSeconds(side.child!.process.pid!) - cpu;
        side.requests += result['2xx'];
        side.rates.push(result.requests.total / result.duration);
        side.p50.push(result.latency.p50);
        side.refused += result.non2xx + result.errors + result.timeouts; // reported, not fatal: an overloaded server may answer 503
      }
    }
    const rate = (side: (typeof sides)[number]) => side.rates.reduce((a, b) => a + b, 0) / side.rates.length;
    report.push(`\n== Ingest, ${fleetSize} servers, 64 connections, ${INGEST_ROUNDS} x ${fmt(INGEST_REQUESTS)} heartbeats per side, alternating (${load()}) ==`);
    for (const side of sides) {
      report.push(`${side.name.padEnd(17)} ${fmt(rate(side))} heartbeats/s (rounds: ${side.rates.map((r) => fmt(r)).join(', ')}; p50 ${side.p50.join(', ')} ms; non-2xx/errors ${side.refused})   server CPU ${fmt((side.cpu / side.requests) * 1e6, 1)} µs per 2xx heartbeat`);
    }
    const [before, now] = sides as [(typeof sides)[0], (typeof sides)[0]];
    report.push(`now / before     ${fmt(rate(now) / rate(before), 3)} x heartbeats/s (goal >= 0.90); CPU per heartbeat ${fmt(now.cpu / now.requests / (before.cpu / before.requests), 3)} x`);
  } finally {
    for (const side of sides) {
      await side.child?.stop();
      rmSync(side.data, { recursive: true, force: true });
    }
  }
}

export async function benchHistory(): Promise<void> {
  const report: string[] = [`HarborForge history benchmark — ${load()}`];
  const parts: [string, (report: string[]) => Promise<void>][] = [
    ['ingest', ingestPart],
    ['sqlite', sqlitePart],
    ['postgres', postgresPart],
  ];
  for (const [name, part] of parts) {
    if (SKIP.has(name)) continue;
    const printed = report.length;
    await part(report);
    console.log(report.slice(printed).join('\n')); // each part as soon as it is done: a later failure loses nothing
  }
  report.push(`\nat the end: ${load()}`);
  console.log(`\n==== summary ====\n${report.join('\n')}`);
}
