// `npm run bench -- web`: the status page in Chromium against a large fleet (issue 9).
//
//  1. first useful paint: navigation start → the first server row and the fleet totals on screen;
//  2. heartbeat → screen: a heartbeat for a row on screen until its new value is in the DOM (and a
//     frame later, painted), while the fleet reports at its nominal rate (interval 30 s);
//  3. smooth scrolling: frame times while the table is scrolled through, and the most rows ever
//     in the DOM at once;
//  4. page memory: V8 heap of the page (CDP Performance.getMetrics) after load and after the run.
// The server runs as `npm start` runs it (the bundle in dist/), the fleet is written into its
// SQLite file while it is stopped. Prints figures; asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Page } from 'playwright-core';
import { insertBulkFleet, type BulkMember } from '../test/helpers/bulk-fleet.ts';
import { firstRowAt, launchChromium, openPage, recordFirstRow } from '../test/web/browser.ts';

const root = join(import.meta.dirname, '..');
const TOKEN = 'bench-admin-token-0123456789';
const FLEET = Number(process.env.BENCH_WEB_SERVERS ?? 100_000);
/** Heartbeats per second from the whole fleet: every server every 30 s by default. */
const RATE = Number(process.env.BENCH_WEB_RATE ?? Math.round(FLEET / 30));
const SAMPLES = Number(process.env.BENCH_WEB_SAMPLES ?? 10);
const LOADS = Number(process.env.BENCH_WEB_LOADS ?? 3);

interface Child {
  process: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** Starts the bundled server and resolves with its URL once it prints it. */
function startBundle(dataDir: string): Promise<Child> {
  const startScript: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
  const flags = startScript.replace(/^node\s+/, '').replace(/\s*dist\/main\.mjs.*$/, '').split(' ').filter(Boolean);
  const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', HARBORFORGE_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', HEARTBEAT_RATE_LIMIT: '1000000000' };
  const child = spawn(process.execPath, [...flags, 'dist/main.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /status page (http:\/\/[\d.]+:\d+)\//.exec(output);
      if (!match) return;
      child.stdout!.off('data', onData);
      resolve({ process: child, url: match[1]!, stop: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${output}`)));
  });
}

async function gql(url: string, query: string, variables?: unknown): Promise<any> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const json = JSON.parse(text || '{}') as any;
  if (json.errors || !json.data) throw new Error(`${response.status}: ${text.slice(0, 500)}`);
  return json.data;
}

function heartbeatBody(identifier: string, agent = 'alpha', uptime = 90_000) {
  return JSON.stringify({
    identifier,
    openclaw_version: '2026.9.6',
    plugin_version: '0.1.0',
    agents: [{ id: 'probe', name: agent }],
    cpu_pct: 23.5,
    mem_pct: 61.2,
    disk_pct: 48,
    swap_pct: 1.5,
    load_avg: [0.61, 0.55, 0.49],
    uptime_seconds: uptime,
  });
}

/** The fleet reporting, rotating over every server: at `overallRate` for `duration` s, or `amount` as fast as it goes. */
function report(url: string, fleet: BulkMember[], options: Partial<autocannon.Options>) {
  let next = 0;
  return autocannon({
    url: `${url}/monitor/server/heartbeat-v2`,
    connections: 16,
    ...options,
    requests: [
      {
        method: 'POST',
        setupRequest: (request: any) => {
          const member = fleet[next++ % fleet.length]!;
          request.headers = { 'content-type': 'application/json', 'x-api-key': member.key };
          request.body = heartbeatBody(member.identifier, 'alpha', 100_000 + next);
          return request;
        },
      },
    ],
  } as autocannon.Options);
}

// Browser-side code is passed as source text: the TypeScript loader would otherwise wrap named
// functions in helpers that do not exist in the page.
/** Resolves with Date.now() in the frame after the probe row shows `text`. */
const SEEN_PROBE = (text: string) => `new Promise((resolve) => {
  const done = () => requestAnimationFrame(() => resolve(Date.now()));
  const row = () => document.querySelector('tr[data-identifier="aaa-probe"]');
  if (row()?.textContent?.includes(${JSON.stringify(text)})) return done();
  const observer = new MutationObserver(() => {
    if (row()?.textContent?.includes(${JSON.stringify(text)})) {
      observer.disconnect();
      done();
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
})`;

/** Scrolls the table (or the document, for a page without its own scroller) for 4 s, a step per frame. */
const SCROLL_PROBE = `(async () => {
  const scroller = document.querySelector('[data-testid="server-scroller"]') ?? document.scrollingElement;
  const frames = [];
  let maxRows = 0;
  let last = performance.now();
  const end = last + 4000;
  while (performance.now() < end) {
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    frames.push(now - last);
    last = now;
    scroller.scrollTop += 900;
    maxRows = Math.max(maxRows, document.querySelectorAll('tr[data-identifier]').length);
  }
  return { frames, maxRows, scrollTop: scroller.scrollTop, scrollHeight: scroller.scrollHeight };
})()`;

async function heapMb(page: Page): Promise<{ heap: number; nodes: number }> {
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  await session.send('HeapProfiler.collectGarbage');
  const { metrics } = await session.send('Performance.getMetrics');
  await session.detach();
  const value = (name: string) => metrics.find((metric) => metric.name === name)?.value ?? NaN;
  return { heap: value('JSHeapUsedSize') / 1024 / 1024, nodes: value('Nodes') };
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function benchWeb(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-bench-web-'));
  console.log(`HarborForge status page benchmark — ${fmt(FLEET)} servers reporting ${fmt(RATE)} heartbeats/s, Chromium`);
  spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
  let server = await startBundle(dataDir); // creates the database
  await server.stop();
  let started = performance.now();
  const fleet = insertBulkFleet(dataDir, FLEET, { prefix: 'fleet', withKeys: true, intervalSeconds: 30 });
  console.log(`fleet written    ${fmt(FLEET)} servers in ${fmt(performance.now() - started)} ms`);
  server = await startBundle(dataDir);
  const browser = await launchChromium();
  try {
    // A probe server whose identifier sorts first, so it is on screen in the default order.
    const { addServer } = await gql(server.url, `mutation { addServer(input: { identifier: "aaa-probe", name: "Probe" }) { server { id } } }`);
    const { generateApiKey } = await gql(server.url, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id: addServer.server.id });
    const probeKey: string = generateApiKey.apiKey;
    await fetch(`${server.url}/monitor/server/heartbeat-v2`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': probeKey }, body: heartbeatBody('aaa-probe') });

    // The written fleet last reported within the past 30 s; from now on it reports at its nominal rate.
    const seconds = 20 + LOADS * 6 + SAMPLES * 1.5;
    const background = report(server.url, fleet, { overallRate: RATE, duration: seconds });
    await new Promise((r) => setTimeout(r, 2_000));

    // 1. First useful paint, a few fresh loads.
    const paints: number[] = [];
    const answers: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const { page, context } = await openPage(browser);
      await recordFirstRow(page);
      let bytes = 0;
      page.on('response', (response) => {
        if (response.url().endsWith('/graphql')) void response.body().then((b) => (bytes += b.length), () => {});
      });
      await page.goto(`${server.url}/`);
      paints.push(await firstRowAt(page));
      await page.waitForTimeout(500);
      answers.push(bytes);
      await context.close();
    }

    // 2–4 on one page that stays open.
    const { page, context, problems } = await openPage(browser);
    await recordFirstRow(page);
    await page.goto(`${server.url}/`);
    await firstRowAt(page);
    await page.waitForSelector('[data-live-state="live"]', { timeout: 30_000 });
    await page.waitForTimeout(1_000);
    const afterLoad = await heapMb(page);

    const delays: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const marker = `probe-${i}-${Date.now().toString(36)}`;
      const seen = page.evaluate(SEEN_PROBE(marker)) as Promise<number>;
      await page.waitForTimeout(50);
      const sentAt = Date.now();
      await fetch(`${server.url}/monitor/server/heartbeat-v2`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': probeKey }, body: heartbeatBody('aaa-probe', marker, 200_000 + i) });
      const shownAt = await Promise.race([seen, new Promise<number>((r) => setTimeout(() => r(NaN), 10_000))]);
      delays.push(shownAt - sentAt);
      await page.waitForTimeout(1_000);
    }

    // Scroll the table through (or the document, for a page without its own scroller).
    const scroll = (await page.evaluate(SCROLL_PROBE)) as { frames: number[]; maxRows: number; scrollTop: number; scrollHeight: number };
    await page.waitForTimeout(1_500);
    const afterRun = await heapMb(page);
    await context.close();
    const load = await background;
    console.log(`\nbackground load    ${fmt(load.requests.average)} heartbeats/s offered ${fmt(RATE)}, p50 ${load.latency.p50} ms p99 ${load.latency.p99} ms (${load.non2xx + load.errors} failed)`);

    console.log('\n== Status page at ' + fmt(FLEET) + ' servers ==');
    console.log(`first useful paint  ${paints.map((p) => fmt(p)).join(' / ')} ms (target <= 1,500); GraphQL bytes on load ${answers.map((b) => fmt(b / 1024)).join(' / ')} KiB`);
    console.log(`heartbeat → screen  p50 ${fmt(pct(delays, 50))} ms   max ${fmt(Math.max(...delays))} ms   (${delays.filter((d) => !Number.isNaN(d)).length}/${SAMPLES} seen; target <= 1,000)`);
    console.log(`scrolling           ${scroll.frames.length} frames in 4 s, frame p50 ${fmt(pct(scroll.frames, 50), 1)} ms p95 ${fmt(pct(scroll.frames, 95), 1)} ms max ${fmt(Math.max(...scroll.frames), 1)} ms; at most ${scroll.maxRows} rows in the DOM; scrolled to ${fmt(scroll.scrollTop)} of ${fmt(scroll.scrollHeight)} px`);
    console.log(`page JS heap        ${fmt(afterLoad.heap, 1)} MB after load, ${fmt(afterRun.heap, 1)} MB after the run; DOM nodes ${fmt(afterLoad.nodes)} → ${fmt(afterRun.nodes)}`);
    console.log(`page problems       ${problems.length ? problems.slice(0, 5).join(' | ') : 'none'}`);
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
