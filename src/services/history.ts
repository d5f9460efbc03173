// A server's metric history (issue 10): which tier answers a range, the series as GraphQL and the
// export see it, version changes, and the background jobs (rollup, retention per tier).
import type { HistoryConfig } from '../config.ts';
import { METRICS, TIERS, type Metric, type MetricAggregate, type Source } from '../db/history.ts';
import type { VersionChangeRow } from '../db/store.ts';
import type { Services } from './context.ts';
import { pruneAlerts } from './alerts/retention.ts';
import { ServiceError } from './errors.ts';
import { parseAgents, type Agent } from './views.ts';

export const MAX_POINTS = 10_000;
/** Ranges longer than this are refused (the daily tier would still answer, but nobody asks that). */
const MAX_RANGE_SECONDS = 100 * 366 * 86_400;
/** Not-yet-rolled heartbeats are added to a tier's answer from this far back (the rollup runs every minute). */
const TAIL_SECONDS = 3600;

export interface MetricStats {
  avg: number;
  min: number;
  max: number;
  count: number;
}

export type MetricPoint = { at: Date } & Record<Metric, MetricStats | null>;

export interface MetricSeries {
  from: Date;
  to: Date;
  /** Width of each point's bucket. */
  resolutionSeconds: number;
  /** 0 for raw heartbeats, else the rollup tier the points were read from. */
  sourceSeconds: Source;
  /** Buckets with data only, in time order; a bucket starts at `at` and lasts resolutionSeconds. */
  points: MetricPoint[];
}

export interface SeriesRequest {
  serverId: string;
  from: Date;
  to: Date;
  /** Either at most this many points (the finest tier that fits)… */
  maxPoints?: number;
  /** …or this bucket width in seconds (rounded up to a multiple of the tier that serves it). */
  resolutionSeconds?: number;
}

const covers = (retentionSeconds: number, from: Date, now: Date) => retentionSeconds === 0 || from.getTime() >= now.getTime() - retentionSeconds * 1000;

/**
 * The resolution is the smallest that keeps the range within `maxPoints`. Raw heartbeats answer
 * when that is at most half of 5 minutes (they add detail the 5-minute tier lacks) and they still
 * cover `from`: a day in 300 points reads the 5-minute tier's 288 rows, not 2,880 raw heartbeats
 * regrouped by 288 s (twice the CPU per request for the same picture); else the coarsest tier that
 * covers `from` and is not coarser than that resolution (the same answer from the fewest rows:
 * a year is at most ~400 daily rows, never raw rows), or the finest covering tier. The resolution
 * is rounded up to a multiple of the tier's width, so regrouping buckets stays exact.
 */
export function planSeries(range: { from: Date; to: Date }, want: { maxPoints?: number; resolutionSeconds?: number }, now: Date, retention: HistoryConfig['retentionSeconds']) {
  const seconds = (range.to.getTime() - range.from.getTime()) / 1000;
  const wanted = Math.max(1, Math.ceil(want.resolutionSeconds ?? seconds / want.maxPoints!));
  if (wanted <= TIERS[0] / 2 && covers(retention[0], range.from, now)) return { source: 0 as Source, resolutionSeconds: wanted };
  const covering = TIERS.filter((t) => covers(retention[t], range.from, now));
  const tier = covering.filter((t) => t <= wanted).at(-1) ?? covering[0] ?? TIERS.at(-1)!;
  return { source: tier as Source, resolutionSeconds: tier * Math.max(1, Math.ceil(wanted / tier)) };
}

function validRange(from: Date, to: Date) {
  if (Number.isNaN(from.getTime())) throw new ServiceError('BAD_USER_INPUT', 'from: not a valid date');
  if (Number.isNaN(to.getTime())) throw new ServiceError('BAD_USER_INPUT', 'to: not a valid date');
  if (from.getTime() >= to.getTime()) throw new ServiceError('BAD_USER_INPUT', 'from: must be before to');
  if ((to.getTime() - from.getTime()) / 1000 > MAX_RANGE_SECONDS) throw new ServiceError('BAD_USER_INPUT', 'to: the range may span at most 100 years');
}

async function requireServer(services: Services, serverId: string) {
  const server = await services.db.prisma.monitoredServer.findUnique({ where: { id: serverId }, select: { id: true } });
  if (!server) throw new ServiceError('NOT_FOUND', `serverId: no server with id "${serverId}"`);
}

export async function metricSeries(services: Services, request: SeriesRequest): Promise<MetricSeries> {
  const { serverId, from, to } = request;
  validRange(from, to);
  if (request.resolutionSeconds !== undefined) {
    if (!Number.isInteger(request.resolutionSeconds) || request.resolutionSeconds < 1) throw new ServiceError('BAD_USER_INPUT', 'resolution: must be a whole number of seconds ≥ 1');
  } else if (!Number.isInteger(request.maxPoints) || request.maxPoints! < 1 || request.maxPoints! > MAX_POINTS) {
    throw new ServiceError('BAD_USER_INPUT', `maxPoints: must be between 1 and ${MAX_POINTS}`);
  }
  const now = services.now();
  const plan = planSeries({ from, to }, request, now, services.history.retentionSeconds);
  if ((to.getTime() - from.getTime()) / 1000 / plan.resolutionSeconds > MAX_POINTS) {
    throw new ServiceError('BAD_USER_INPUT', `resolution: the range would have more than ${MAX_POINTS} points`);
  }
  await requireServer(services, serverId);
  const buckets = await services.db.history.readBuckets({ serverId, from, to, ...plan, tailFrom: new Date(now.getTime() - TAIL_SECONDS * 1000) });
  const stats = (aggregate: MetricAggregate): MetricStats | null =>
    aggregate.count ? { avg: aggregate.sum! / aggregate.count, min: aggregate.min!, max: aggregate.max!, count: aggregate.count } : null;
  return {
    from,
    to,
    resolutionSeconds: plan.resolutionSeconds,
    sourceSeconds: plan.source,
    points: buckets.map((bucket) => ({ at: bucket.at, ...(Object.fromEntries(METRICS.map((m) => [m, stats(bucket.metrics[m])])) as Record<Metric, MetricStats | null>) })),
  };
}

export interface VersionChange {
  at: Date;
  openclawVersion: string | null;
  pluginVersion: string | null;
  agents: Agent[];
}

export const MAX_VERSION_CHANGES = 1000;

/** The versions and agents a server reported, as changes in [from, to): the newest `limit`, in time order. */
export async function versionChanges(services: Services, request: { serverId: string; from: Date; to: Date; limit: number }): Promise<VersionChange[]> {
  validRange(request.from, request.to);
  if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_VERSION_CHANGES) {
    throw new ServiceError('BAD_USER_INPUT', `limit: must be between 1 and ${MAX_VERSION_CHANGES}`);
  }
  await requireServer(services, request.serverId);
  const rows = await services.db.history.versionChanges(request.serverId, request.from, request.to, request.limit);
  return rows.map((row) => ({ at: row.at, openclawVersion: row.openclawVersion, pluginVersion: row.pluginVersion, agents: parseAgents(row.agents) }));
}

type VersionFields = Pick<VersionChangeRow, 'openclawVersion' | 'pluginVersion' | 'agents'>;
const versionCaches = new WeakMap<object, Map<string, Promise<VersionChangeRow[]>>>();

/**
 * The versions and agents in effect when a raw heartbeat was received: its own (rows from before
 * version changes existed) or the last change at or before it. One query per server per `scope`
 * (a GraphQL request), however many heartbeats it shows.
 */
export async function versionsAt(services: Services, scope: object, heartbeat: VersionFields & { serverId: string; receivedAt: Date }): Promise<VersionFields> {
  if (heartbeat.openclawVersion != null || heartbeat.pluginVersion != null || heartbeat.agents != null) return heartbeat;
  let cache = versionCaches.get(scope);
  if (!cache) versionCaches.set(scope, (cache = new Map()));
  let changes = cache.get(heartbeat.serverId);
  if (!changes) {
    changes = services.db.history.versionChanges(heartbeat.serverId, new Date(0), new Date(8.64e15), MAX_VERSION_CHANGES);
    cache.set(heartbeat.serverId, changes);
  }
  const at = heartbeat.receivedAt.getTime();
  const list = await changes;
  let found: VersionFields = { openclawVersion: null, pluginVersion: null, agents: null };
  for (const change of list) {
    if (change.at.getTime() > at) break;
    found = change;
  }
  return found;
}

/**
 * Folds every heartbeat committed so far into the tiers, chunk by chunk (yielding in between).
 * A chunk is one write transaction, and on SQLite heartbeat batches wait behind it (it is one of
 * the writer thread's operations): with a fleet's heartbeats each from another server, 5,000 rows
 * took ~90 ms (100,000 servers; heartbeats waited that long behind each), 500 rows ~6 ms.
 */
export async function rollUp(services: Pick<Services, 'db'>, chunkRows = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const chunk = await services.db.history.rollupChunk(chunkRows);
    total += chunk.rows;
    if (!chunk.more || chunk.busy) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Applies the retention of every source; returns rows deleted per source. */
export async function pruneHistory(services: Pick<Services, 'db' | 'now' | 'history'>): Promise<Record<Source, number>> {
  const now = services.now().getTime();
  const deleted = { 0: 0, 300: 0, 3600: 0, 86400: 0 } as Record<Source, number>;
  for (const source of [0, ...TIERS] as Source[]) {
    const seconds = services.history.retentionSeconds[source];
    if (seconds > 0) deleted[source] = await services.db.history.prune(source, new Date(now - seconds * 1000));
  }
  return deleted;
}

const PRUNE_EVERY_MS = 3_600_000;

/** The rollup every HISTORY_ROLLUP_SECONDS (and once at start: folds history from before an upgrade), pruning hourly (history tiers, then alerting's outbox and history). */
export function startHistoryJobs(services: Services): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  let lastPrune = 0;
  const tick = () => {
    if (running || stopped) return;
    running = (async () => {
      try {
        const rows = await rollUp(services);
        if (rows) services.logger.debug({ rows }, 'heartbeats rolled up');
        if (Date.now() - lastPrune >= PRUNE_EVERY_MS && !stopped) {
          lastPrune = Date.now();
          const deleted = await pruneHistory(services);
          if (Object.values(deleted).some(Boolean)) services.logger.info({ deleted }, 'pruned history');
          const alerts = await pruneAlerts(services);
          if (alerts.outbox || alerts.events) services.logger.info({ alerts }, 'pruned alert outbox and history');
        }
      } catch (error) {
        services.logger.error({ err: error }, 'history rollup failed');
      } finally {
        running = undefined;
      }
    })();
  };
  const timer = setInterval(tick, services.history.rollupIntervalMs);
  timer.unref();
  setImmediate(tick);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
