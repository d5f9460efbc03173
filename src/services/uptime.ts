// Exact uptime of a server or of a page of servers over any range, and the fleet's availability.
// Whole UTC days already rolled up (src/services/uptime-rollup.ts) are read from uptime_days; only
// the partial days at the edges are tallied from status_changes, so a 30-day or 1-year range costs
// a few indexed reads whatever the number of transitions in it.
import { listBackendDowntime } from '../db/backend-downtime.ts';
import { createUptimeStore, type UptimeStore } from '../db/uptime-store.ts';
import type { Services } from './context.ts';
import { ServiceError } from './errors.ts';
import { addTally, DAY_MS, dayStart, emptyTally, ratioOf, tallyBuckets, type Span, type Tally } from './uptime-tally.ts';

/** Longest range one request may ask for (~10 years: a few thousand day rows per server). */
export const MAX_RANGE_MS = 3_660 * DAY_MS;
/** Most servers one batched request may ask for (one page of the status page). */
export const MAX_BATCH = 200;

const stores = new WeakMap<object, UptimeStore>();
export function uptimeStore(services: Services): UptimeStore {
  let store = stores.get(services.db);
  if (!store) stores.set(services.db, (store = createUptimeStore(services.db)));
  return store;
}

/** Interface A: periods when the backend itself could not accept heartbeats (an open one ends now). */
export async function backendDowntime(services: Services, from: number, to: number): Promise<Span[]> {
  const rows = await listBackendDowntime(services.db.prisma, new Date(from), new Date(to));
  const now = services.now().getTime();
  return rows.map((row) => ({ start: row.startedAt.getTime(), end: row.endedAt?.getTime() ?? now }));
}

export interface UptimeFigures extends Tally {
  from: Date;
  to: Date;
  ratio: number | null;
}

function checkRange(from: Date, to: Date): void {
  if (!(to.getTime() > from.getTime())) throw new ServiceError('BAD_USER_INPUT', 'to: must be after from');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw new ServiceError('BAD_USER_INPUT', `to: the range may span at most ${MAX_RANGE_MS / DAY_MS} days`);
}

/** How long a read of the last rolled-up day is reused (see rolledDay). */
const ROLLED_DAY_TTL_MS = 30_000;
const rolledDays = new WeakMap<object, { value: Promise<number | null>; until: number }>();

/**
 * The last day rolled up into uptime_days, read at most every ROLLED_DAY_TTL_MS. A stale value is
 * never wrong, only slower: days are rolled in order and never un-rolled, so a stale value is an
 * earlier day, and the days after it are tallied from status_changes like any unrolled day.
 */
function rolledDay(services: Services): Promise<number | null> {
  const cached = rolledDays.get(services.db);
  if (cached && Date.now() < cached.until) return cached.value;
  const value = uptimeStore(services).lastRolledDay();
  rolledDays.set(services.db, { value, until: Date.now() + ROLLED_DAY_TTL_MS });
  value.catch(() => rolledDays.delete(services.db));
  return value;
}

/** After this process rolled days up: the next read sees them at once. */
export function forgetRolledDay(services: Services): void {
  rolledDays.delete(services.db);
}

/**
 * Tallies [from, to) of each server exactly (see uptime-tally.ts for what counts): the whole days
 * rolled up from uptime_days (one summed row per server), the partial days at either edge from
 * status_changes (one statement for both edges), backend downtime once for the whole range; the
 * three reads run at once.
 */
export async function tallyServers(services: Services, serverIds: string[], from: number, to: number): Promise<Map<string, Tally>> {
  const store = uptimeStore(services);
  const result = new Map(serverIds.map((id) => [id, emptyTally()]));
  to = Math.min(to, services.now().getTime());
  if (to <= from || serverIds.length === 0) return result;
  const rolled = await rolledDay(services);
  const fullStart = dayStart(from) === from ? from : dayStart(from) + DAY_MS;
  const fullEnd = rolled == null ? fullStart : Math.min(dayStart(to), rolled + DAY_MS);
  const spans = (fullEnd > fullStart ? [[from, fullStart], [fullEnd, to]] : [[from, to]]).filter(([start, end]) => end! > start!) as [number, number][];
  const [days, changes, downtime] = await Promise.all([
    fullEnd > fullStart ? store.daySums(serverIds, fullStart, fullEnd) : [],
    store.changesInSpans(serverIds, spans),
    spans.length ? backendDowntime(services, from, to) : [],
  ]);
  for (const row of days) addTally(result.get(row.serverId)!, { upMs: row.upMs, downMs: row.downMs, excludedMs: 0 });
  const byServer = groupByServer(changes);
  spans.forEach((span, index) => {
    for (const id of serverIds) {
      // Each server's rows of this span start with its last transition before it: tallyBuckets
      // counts nothing before the span's start and enters it with that status.
      const own = (byServer.get(id) ?? []).filter((row) => row.span === index);
      addTally(result.get(id)!, tallyBuckets(null, own, span, downtime).buckets[0]!);
    }
  });
  return result;
}

export function groupByServer<T extends { serverId: string }>(rows: T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.serverId);
    if (list) list.push(row);
    else grouped.set(row.serverId, [row]);
  }
  return grouped;
}

async function requireServerId(services: Services, serverId: string): Promise<void> {
  const found = await services.db.prisma.monitoredServer.findUnique({ where: { id: serverId }, select: { id: true } });
  if (!found) throw new ServiceError('NOT_FOUND', `serverId: no server with id "${serverId}"`);
}

const figures = (tally: Tally, from: number, to: number): UptimeFigures => ({ ...tally, from: new Date(from), to: new Date(to), ratio: ratioOf(tally) });

export async function serverUptime(services: Services, serverId: string, from: Date, to: Date): Promise<UptimeFigures & { serverId: string }> {
  checkRange(from, to);
  // Both at once: an unknown id tallies to nothing and is refused once the existence check answers.
  const [, tallies] = await Promise.all([requireServerId(services, serverId), tallyServers(services, [serverId], from.getTime(), to.getTime())]);
  const tally = tallies.get(serverId)!;
  return { serverId, ...figures(tally, from.getTime(), Math.min(to.getTime(), services.now().getTime())) };
}

/** Uptime of a page of servers in one batched pass (status page rows). Unknown ids are left out. */
export async function serversUptime(services: Services, serverIds: string[], from: Date, to: Date): Promise<(UptimeFigures & { serverId: string })[]> {
  checkRange(from, to);
  if (serverIds.length > MAX_BATCH) throw new ServiceError('BAD_USER_INPUT', `serverIds: at most ${MAX_BATCH} per request`);
  const ids = [...new Set(serverIds)];
  const known = await services.db.prisma.monitoredServer.findMany({ where: { id: { in: ids } }, select: { id: true } });
  const tallies = await tallyServers(services, known.map((s) => s.id), from.getTime(), to.getTime());
  const end = Math.min(to.getTime(), services.now().getTime());
  return ids.filter((id) => tallies.has(id)).map((id) => ({ serverId: id, ...figures(tallies.get(id)!, from.getTime(), end) }));
}

export interface StatusChangeView {
  id: string;
  fromStatus: string | null;
  toStatus: string;
  at: Date;
  cause: string;
}

export function recentStatusChanges(services: Services, serverId: string, from: Date, to: Date, first: number): Promise<StatusChangeView[]> {
  if (first < 1 || first > 1000) throw new ServiceError('BAD_USER_INPUT', 'first: must be between 1 and 1000');
  return uptimeStore(services).recentChanges(serverId, from.getTime(), to.getTime(), first);
}

export function countStatusChanges(services: Services, serverId: string, from: Date, to: Date): Promise<number> {
  return uptimeStore(services).countChanges(serverId, from.getTime(), to.getTime());
}

/** One bar per UTC day, oldest first, ending with today (so far). */
export async function uptimeByDay(services: Services, serverId: string, days: number): Promise<(UptimeFigures & { day: Date })[]> {
  if (!Number.isInteger(days) || days < 1 || days > 400) throw new ServiceError('BAD_USER_INPUT', 'days: must be a whole number between 1 and 400');
  await requireServerId(services, serverId);
  const store = uptimeStore(services);
  const now = services.now().getTime();
  const first = dayStart(now) - (days - 1) * DAY_MS;
  const edges = Array.from({ length: days + 1 }, (_, i) => first + i * DAY_MS);
  const tallies = edges.slice(0, -1).map(emptyTally);
  const rolled = await store.lastRolledDay();
  const rolledEnd = rolled == null ? first : Math.max(first, Math.min(rolled + DAY_MS, edges.at(-1)!));
  for (const row of await store.days([serverId], first, rolledEnd)) addTally(tallies[(row.day - first) / DAY_MS]!, { upMs: row.upMs, downMs: row.downMs, excludedMs: 0 });
  const rest = edges.filter((edge) => edge >= rolledEnd && edge < now);
  if (rest.length) {
    // Not rolled up yet (today, and any day the rollup has not reached): one pass over the changes.
    const restEdges = [...rest, now];
    const [initial, changes, downtime] = await Promise.all([
      store.statusBefore([serverId], rest[0]!),
      store.changesBetween([serverId], rest[0]!, now),
      backendDowntime(services, rest[0]!, now),
    ]);
    const { buckets } = tallyBuckets(initial.get(serverId) ?? null, changes, restEdges, downtime);
    buckets.forEach((bucket, i) => addTally(tallies[(rest[i]! - first) / DAY_MS]!, bucket));
  }
  return tallies.map((tally, i) => ({ day: new Date(edges[i]!), ...figures(tally, edges[i]!, Math.min(edges[i + 1]!, now)) }));
}

/**
 * The fleet's availability over the whole UTC days of [from, to) that are rolled up (each day
 * once it has ended): a bounded read of at most one row per day, whatever the fleet's size.
 */
export async function fleetUptime(services: Services, from: Date, to: Date) {
  checkRange(from, to);
  const start = dayStart(from.getTime()) === from.getTime() ? from.getTime() : dayStart(from.getTime()) + DAY_MS;
  const days = await uptimeStore(services).fleetDays(start, dayStart(to.getTime()));
  const total = days.reduce((sum, day) => addTally(sum, { upMs: day.upMs, downMs: day.downMs, excludedMs: 0 }), emptyTally());
  return {
    ...figures(total, days[0]?.day ?? start, days.length ? days.at(-1)!.day + DAY_MS : start),
    days: days.map((day) => ({ day: new Date(day.day), servers: day.servers, ...figures({ upMs: day.upMs, downMs: day.downMs, excludedMs: 0 }, day.day, day.day + DAY_MS) })),
  };
}
