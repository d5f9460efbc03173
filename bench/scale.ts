// `npm run bench -- scale`: the live view at fleet scale (issue 9). Prints figures; asserts nothing.
//
// 100,000 servers (BENCH_FLEET) registered directly in SQLite and each reporting once, then
// reporting at their nominal rate (every 30 s: 3,333 heartbeats/s) for BENCH_SECONDS while
// BENCH_SUBSCRIBERS clients follow the fleet live:
//   - fleetChanges (default): 90 % watch the 50 rows of a page on screen (`ids`), 10 % the
//     problem view (`status: [LATE, OFFLINE]`) — what the status page and admin list do;
//   - overviewUpdated (BENCH_SUBSCRIPTION=overviewUpdated): the whole fleet per push (the old page).
// Plus one stalled subscriber (stops reading; BENCH_STALLED=0 to leave it out) and, for reference,
// one unnarrowed fleetChanges subscriber. Measured: heartbeat p50/p99 and rate, server CPU (all
// threads), bytes and events per subscriber per second, RSS, `overview(first: 50)` latency under
// that load, then the full unpaged `overview` latency.
//
// BENCH_ROOT=<dir> runs the server built from another checkout (e.g. the code before a change).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { cpuSeconds, driveHeartbeats, fmt, memoryBreakdown, rssMb, serverFlags, start, type Child } from './lib.ts';

const root = process.env.BENCH_ROOT ?? join(import.meta.dirname, '..');
const TOKEN = 'bench-admin-token-0123456789';
const FLEET = Number(process.env.BENCH_FLEET ?? 100_000);
const RATE = Math.round(FLEET / 30);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 50);
const SUBSCRIPTION = process.env.BENCH_SUBSCRIPTION ?? 'fleetChanges';
const STALLED = process.env.BENCH_STALLED !== '0';
const ROW = 'id identifier name status lastSeenAt openclawVersion pluginVersion agents { id name } cpuPct memPct diskPct swapPct loadAvg uptimeSeconds';
const TOTALS = 'totals { servers online late offline pending }';

async function gql(url: string, query: string, variables?: unknown) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const json = JSON.parse(text) as any;
  if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 500));
  return { data: json.data, bytes: text.length };
}

interface Counter {
  bytes: number;
  events: number;
  resets: number;
  version?: string;
}

/** A graphql-transport-ws client that counts the bytes and events it receives; `stall` stops reading after the first event. */
function subscriber(url: string, query: string, variables: Record<string, unknown>, stall = false): { counter: Counter; ready: Promise<void>; close(): void } {
  const counter: Counter = { bytes: 0, events: 0, resets: 0 };
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
  ws.on('message', (data: Buffer) => {
    counter.bytes += data.length;
    const message = JSON.parse(String(data));
    if (message.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
    if (message.type === 'next') {
      counter.events++;
      const event = message.payload.data?.fleetChanges;
      if (event?.reset) counter.resets++;
      if (event) counter.version = event.version;
      if (counter.events === 1) {
        resolveReady();
        if (stall) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      }
    }
    if (message.type === 'error') console.error('subscription error', JSON.stringify(message.payload).slice(0, 300));
  });
  ws.on('error', (error) => console.error('subscriber socket', error.message));
  return { counter, ready, close: () => ws.terminate() };
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-scale-'));
  console.log(`HarborForge scale benchmark — ${fmt(FLEET)} servers at ${fmt(RATE)} heartbeats/s for ${SECONDS} s, ${SUBSCRIBERS} ${SUBSCRIPTION} subscribers (server from ${root})`);
  spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
  const hfEnv = { DATA_DIR: dataDir, PORT: '0', HARBORFORGE_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', HEARTBEAT_RATE_LIMIT: '1000000000' };
  const flags = serverFlags(root);
  const ready = /status page http:\/\/127\.0\.0\.1:(\d+)\//;
  let hf: Child = await start([...flags, 'dist/main.mjs'], hfEnv, ready, root);
  const subscribers: { close(): void }[] = [];
  try {
    // The fleet goes straight into the database (registration speed is not measured here); the
    // restart makes the server load it, as after any restart.
    await hf.stop();
    const fleet: { identifier: string; key: string; id: string }[] = [];
    const db = new Database(join(dataDir, 'harborforge.db'));
    const insertServer = db.prepare(`INSERT INTO monitored_servers (id, identifier, name, intervalSeconds, graceSeconds, createdAt, updatedAt) VALUES (?, ?, ?, 30, 60, ?, ?)`);
    const insertKey = db.prepare(`INSERT INTO api_keys (id, serverId, hash, prefix, createdAt) VALUES (?, ?, ?, ?, ?)`);
    db.transaction(() => {
      const now = Date.now();
      for (let i = 0; i < FLEET; i++) {
        const identifier = `scale-${String(i).padStart(6, '0')}`;
        const key = `hfm_scale_${i}_${createHash('sha256').update(String(i)).digest('hex').slice(0, 20)}`;
        insertServer.run(`scale-id-${i}`, identifier, `Server ${i}`, now, now);
        insertKey.run(`scale-key-${i}`, `scale-id-${i}`, createHash('sha256').update(key).digest('hex'), key.slice(0, 12), now);
        fleet.push({ identifier, key, id: `scale-id-${i}` });
      }
    })();
    db.close();
    hf = await start([...flags, 'dist/main.mjs'], hfEnv, ready, root);
    const pid = hf.process.pid!;
    console.log(`loaded           ${fmt(FLEET)} servers; server RSS ${rssMb(pid, 'VmRSS')} MB`);

    const drive = (options: Partial<autocannon.Options>) => driveHeartbeats(hf.url, fleet, { connections: 32, ...options });

    // Every server reports once (as a fleet that has been running), fast.
    const warm = await drive({ amount: FLEET });
    console.log(`first reports    ${fmt(warm['2xx'])} of ${fmt(FLEET)} in ${fmt(warm.duration, 1)} s (${fmt(warm['2xx'] / warm.duration)}/s)`);

    // Subscribers, like status pages: a page by query, then its changes.
    const counters: Counter[] = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      let sub;
      if (SUBSCRIPTION === 'overviewUpdated') {
        sub = subscriber(hf.url, `subscription { overviewUpdated { generatedAt ${TOTALS} servers { ${ROW} } } }`, {});
      } else if (i % 10 === 9) {
        const { data } = await gql(hf.url, `{ overview(first: 50, status: [LATE, OFFLINE]) { version } }`);
        sub = subscriber(hf.url, `subscription ($since: String) { fleetChanges(since: $since, status: [LATE, OFFLINE]) { version reset ${TOTALS} changed { ${ROW} } removed } }`, { since: data.overview.version });
      } else {
        const offset = Math.floor((i / SUBSCRIBERS) * (FLEET - 50));
        const { data } = await gql(hf.url, `query ($offset: Int) { overview(first: 50, offset: $offset) { version servers { id } } }`, { offset });
        const ids = data.overview.servers.map((s: { id: string }) => s.id);
        sub = subscriber(hf.url, `subscription ($since: String, $ids: [ID!]) { fleetChanges(since: $since, ids: $ids) { version reset ${TOTALS} changed { ${ROW} } removed } }`, { since: data.overview.version, ids });
      }
      subscribers.push(sub);
      counters.push(sub.counter);
    }
    const reference = SUBSCRIPTION === 'fleetChanges' ? subscriber(hf.url, `subscription { fleetChanges { version reset ${TOTALS} changed { ${ROW} } removed } }`, {}) : null;
    if (reference) subscribers.push(reference);
    const stalled = STALLED
      ? subscriber(
          hf.url,
          SUBSCRIPTION === 'fleetChanges'
            ? `subscription { fleetChanges(first: 10000) { version reset ${TOTALS} changed { ${ROW} } removed } }`
            : `subscription { overviewUpdated { ${TOTALS} servers { ${ROW} } } }`,
          {},
          true,
        )
      : null;
    if (stalled) subscribers.push(stalled);

    // The steady state: nominal rate, subscribers live, overview(first: 50) now and then.
    const load = drive({ overallRate: RATE, duration: SECONDS + 3 });
    await new Promise((r) => setTimeout(r, 3000)); // warm-up: jit, first events
    for (const c of [...counters, ...(reference ? [reference.counter] : [])]) Object.assign(c, { bytes: 0, events: 0, resets: 0 });
    const cpu0 = cpuSeconds(pid);
    const rss0 = rssMb(pid, 'VmRSS');
    const t0 = performance.now();
    const pageLatencies: number[] = [];
    const rssSamples: number[] = [];
    let pageError: string | null = null;
    while (performance.now() - t0 < SECONDS * 1000 - 500) {
      const after = fleet[Math.floor(Math.random() * FLEET)]!.identifier;
      const started = performance.now();
      try {
        await gql(hf.url, `query ($after: String) { overview(first: 50, after: $after) { ${TOTALS} servers { ${ROW} } } }`, { after });
        pageLatencies.push(performance.now() - started);
      } catch (error) {
        pageError ??= String(error).slice(0, 200);
      }
      rssSamples.push(rssMb(pid, 'VmRSS'));
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await load;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(pid) - cpu0) / seconds;
    const rss1 = rssMb(pid, 'VmRSS');
    pageLatencies.sort((a, b) => a - b);

    const perSub = (c: Counter) => ({ bytes: c.bytes / seconds, events: c.events / seconds });
    const stats = counters.map(perSub);
    const maxBytes = Math.max(...stats.map((s) => s.bytes));
    const avgBytes = stats.reduce((a, s) => a + s.bytes, 0) / stats.length;
    const minEvents = Math.min(...stats.map((s) => s.events));
    const avgEvents = stats.reduce((a, s) => a + s.events, 0) / stats.length;

    console.log(`\n== ${fmt(FLEET)} servers at ${fmt(RATE)} heartbeats/s, ${SUBSCRIBERS} ${SUBSCRIPTION} subscribers${STALLED ? ' + 1 stalled' : ''}${reference ? ' + 1 unnarrowed' : ''}, ${fmt(seconds, 1)} s ==`);
    console.log(`heartbeats       ${fmt(result.requests.average)}/s offered ${fmt(RATE)}   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms   max ${result.latency.max} ms   non-2xx/errors ${result.non2xx + result.errors + result.timeouts}   (target p99 <= 25 ms)`);
    console.log(`server CPU       ${fmt(cpu * 100)} % of one core (all threads)   (target <= 100 %)`);
    console.log(`per subscriber   bytes/s avg ${fmt(avgBytes / 1024, 1)} KB max ${fmt(maxBytes / 1024, 1)} KB (target <= 300 KB)   events/s avg ${fmt(avgEvents, 2)} min ${fmt(minEvents, 2)} (target >= 1)`);
    if (reference) console.log(`unnarrowed       one fleetChanges subscriber of the whole fleet: ${fmt(perSub(reference.counter).bytes / 1024, 1)} KB/s, ${fmt(perSub(reference.counter).events, 2)} events/s, ${reference.counter.resets} resets`);
    if (stalled) console.log(`stalled          received ${fmt(stalled.counter.bytes / 1024)} KB then stopped reading; server RSS during the window: start ${rss0} MB, min ${Math.min(...rssSamples)} MB, max ${Math.max(...rssSamples)} MB, end ${rss1} MB`);
    console.log(`server RSS       ${rss1} MB now, peak ${rssMb(pid, 'VmHWM')} MB   (target <= 350 MB)`);
    console.log(`memory           ${await memoryBreakdown(hf.url)}`);
    console.log(
      pageLatencies.length
        ? `overview(first: 50) under load: p50 ${fmt(percentile(pageLatencies, 50), 1)} ms   p99 ${fmt(percentile(pageLatencies, 99), 1)} ms   (${pageLatencies.length} queries; target p50 <= 10 ms)`
        : `overview(first: 50): not supported (${pageError})`,
    );

    for (const sub of subscribers) sub.close();
    subscribers.length = 0;
    await new Promise((r) => setTimeout(r, 1000));
    // The full unpaged overview, without other load.
    const full: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      bytes = (await gql(hf.url, `{ overview { generatedAt ${TOTALS} servers { ${ROW.replace('id ', '')} } } }`)).bytes;
      full.push(performance.now() - started);
    }
    full.sort((a, b) => a - b);
    console.log(`full overview    p50 ${fmt(percentile(full, 50))} ms   min ${fmt(full[0]!)} ms   max ${fmt(full.at(-1)!)} ms   (${fmt(bytes / 1024 / 1024, 1)} MB answer; target <= 300 ms)`);
    console.log(`server RSS       peak ${rssMb(pid, 'VmHWM')} MB after the full overviews`);
  } finally {
    for (const sub of subscribers) sub.close();
    await hf.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
