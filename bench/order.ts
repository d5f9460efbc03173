// `npm run bench -- order`: what a page of the in-memory overview costs per order at fleet size
// (BENCH_ORDER_FLEET, default 100,000), as a query pays it: the totals scan (cached per request)
// plus the page walk. PROBLEMS_FIRST against IDENTIFIER_ASC in one run (a ratio survives noise),
// for a first page, a cursor page, offset jumps into each status, a search, and the worst case
// (a rare status spread across the fleet). In process: no HTTP, no GraphQL, just the index.
import { entryOf, FleetIndex, type OverviewFilter, type PageArgs } from '../src/services/fleet-index.ts';
import type { ServerStatus } from '../src/services/status.ts';
import type { ServerView } from '../src/services/views.ts';
import { fmt } from './lib.ts';

const FLEET = Number(process.env.BENCH_ORDER_FLEET ?? 100_000);
const RUNS = Number(process.env.BENCH_ORDER_RUNS ?? 200);

/** The bulk fleet's mix (test/helpers/bulk-fleet.ts): every 20th LATE, every 25th OFFLINE, every 50th PENDING. */
function buildIndex(now: number, rareOffline: boolean): FleetIndex {
  const index = new FleetIndex();
  for (let i = 0; i < FLEET; i++) {
    const status: ServerStatus = rareOffline
      ? i % 10_000 === 9_999 ? 'OFFLINE' : 'ONLINE'
      : i % 50 === 49 ? 'PENDING' : i % 25 === 24 ? 'OFFLINE' : i % 20 === 19 ? 'LATE' : 'ONLINE';
    const seen = status === 'PENDING' ? null : now - ({ OFFLINE: 20_000, LATE: 6_000, ONLINE: 1_000 } as Record<string, number>)[status]!;
    const view: ServerView = {
      id: `id-${i}`,
      identifier: `fleet-${String(i).padStart(6, '0')}`,
      name: `Host ${i}`,
      createdAt: new Date(now),
      intervalSeconds: 3,
      graceSeconds: 12,
      status,
      lastSeenAt: seen == null ? null : new Date(seen),
      lateAt: seen == null ? null : new Date(seen + 4_500),
      offlineAt: seen == null ? null : new Date(seen + 15_000),
      heartbeatCount: 1,
      openclawVersion: '2026.9.6',
      pluginVersion: '0.1.0',
      agents: [],
      cpuPct: i % 100,
      memPct: null,
      diskPct: null,
      swapPct: null,
      loadAvg: null,
      uptimeSeconds: 1,
      apiKey: null,
    };
    index.set(entryOf(view, i));
  }
  return index;
}

/**
 * One overview page as a query computes it (a fresh `now` defeats the totals cache): the p50 of
 * wall time, and the mean CPU time (user + system), which a loaded machine inflates far less.
 */
function measure(index: FleetIndex, now: number, args: PageArgs, filter: OverviewFilter = {}): { p50: number; cpu: number } {
  const times: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let run = 0; run < RUNS; run++) {
    const at = now + run; // within the same statuses
    const started = performance.now();
    index.totals(at, run);
    const page = index.page(args, filter, at, run);
    times.push(performance.now() - started);
    if (args.first && page.servers.length === 0 && !args.offset) throw new Error(`empty page for ${JSON.stringify(args)}`);
  }
  const cpu = process.cpuUsage(cpuBefore);
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)]!, cpu: (cpu.user + cpu.system) / 1000 / RUNS };
}

export async function benchOrder(): Promise<void> {
  const now = Date.now();
  const index = buildIndex(now, false);
  const totals = index.totals(now, -1);
  console.log(`overview page cost by order — ${FLEET.toLocaleString('en-US')} servers in memory (${JSON.stringify(totals)}), p50 of ${RUNS} runs each, totals scan included`);
  const totalsOnly = measure(index, now, { first: 0 }); // a page of nothing: the totals scan alone
  console.log(`  totals scan alone: ${fmt(totalsOnly.p50, 2)} ms wall p50, ${fmt(totalsOnly.cpu, 2)} ms CPU`);
  const firstPage = index.page({ first: 50, order: 'PROBLEMS_FIRST' }, {}, now, -1);
  const cases: { what: string; identifier: PageArgs; problems: PageArgs; filter?: OverviewFilter }[] = [
    { what: 'first 50', identifier: { first: 50 }, problems: { first: 50 } },
    { what: 'next 50 by cursor', identifier: { first: 50, after: firstPage.servers[49]!.identifier }, problems: { first: 50, after: firstPage.endCursor } },
    { what: 'offset into LATE', identifier: { first: 50, offset: 5_000 }, problems: { first: 50, offset: totals.offline + 1_000 } },
    { what: 'offset mid-ONLINE (50,000)', identifier: { first: 50, offset: 50_000 }, problems: { first: 50, offset: 50_000 } },
    { what: 'last page (offset end-50)', identifier: { first: 50, offset: FLEET - 50 }, problems: { first: 50, offset: FLEET - 50 } },
    { what: 'search "host 9" first 50', identifier: { first: 50 }, problems: { first: 50 }, filter: { search: 'host 9' } },
    { what: 'LATE+ONLINE first 50', identifier: { first: 50 }, problems: { first: 50 }, filter: { status: ['LATE', 'ONLINE'] } },
  ];
  console.log(`  ${'page (wall p50 / mean CPU)'.padEnd(30)} ${'IDENTIFIER_ASC'.padStart(22)} ${'PROBLEMS_FIRST'.padStart(22)}  CPU ratio`);
  const both = (m: { p50: number; cpu: number }, digits: number) => `${fmt(m.p50, digits)} / ${fmt(m.cpu, digits)} ms`.padStart(22);
  const row = (what: string, a: { p50: number; cpu: number }, b: { p50: number; cpu: number }, digits = 2) =>
    console.log(`  ${what.padEnd(30)} ${both(a, digits)} ${both(b, digits)}  ${fmt(b.cpu / a.cpu, 1)}x`);
  for (const c of cases) row(c.what, measure(index, now, c.identifier, c.filter), measure(index, now, { ...c.problems, order: 'PROBLEMS_FIRST' }, c.filter));
  // Worst case: a rare status spread over the whole fleet is walked to its last row.
  const rare = buildIndex(now, true);
  row('rare OFFLINE (1 in 10,000)', measure(rare, now, { first: 50 }), measure(rare, now, { first: 50, order: 'PROBLEMS_FIRST' }));
  row('whole fleet, unpaged', measure(index, now, {}), measure(index, now, { order: 'PROBLEMS_FIRST' }), 1);
}
