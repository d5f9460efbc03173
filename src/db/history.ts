// Tiered metric history (issue 10). Raw heartbeats (table heartbeats) are folded into three
// rollup tiers (table metric_rollups): 5-minute, hourly and daily buckets, each holding count,
// sum, min and max per metric. Every bucket of every tier is the aggregate of exactly the raw rows
// that fall in it, so a coarser bucket equals the aggregate of the finer ones it covers (never an
// average of averages), and any bucket can be regrouped exactly into wider ones at read time.
//
// The rollup job reads heartbeats by increasing id after a cursor (history_cursors 'rollup') and
// adds each chunk into the tiers in the same transaction that advances the cursor: exactly once,
// whatever restarts, whichever instance runs it, and a heartbeat that arrives late (an old
// receivedAt) simply re-opens its buckets.
import { METRICS, type Metric, type VersionChangeRow } from './store.ts';

export { METRICS, type Metric };

/** Rollup tiers: bucket width in seconds. */
export const TIERS = [300, 3600, 86_400] as const;
export type Tier = (typeof TIERS)[number];
/** 0 stands for the raw heartbeats. */
export type Source = 0 | Tier;

export interface MetricAggregate {
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
}

export interface MetricBucket {
  at: Date;
  metrics: Record<Metric, MetricAggregate>;
}

export interface RollupChunk {
  /** Raw rows folded by this call. */
  rows: number;
  /** Whether more rows were waiting after this chunk. */
  more: boolean;
  /** Another instance holds the rollup (PostgreSQL): nothing was done. */
  busy?: boolean;
}

export interface HistoryStore {
  /** Folds up to `maxRows` heartbeats committed since the last call into every tier, in one transaction. */
  rollupChunk(maxRows: number): Promise<RollupChunk>;
  /**
   * A server's buckets of `resolutionSeconds` (a multiple of the source's width, or anything for
   * raw) in [from, to), aligned to the Unix epoch; only buckets with data, in time order. For a
   * tier, heartbeats not rolled up yet whose receivedAt ≥ `tailFrom` are added in (read in the
   * same snapshot), so the newest bucket is live.
   */
  readBuckets(query: { serverId: string; from: Date; to: Date; source: Source; resolutionSeconds: number; tailFrom: Date }): Promise<MetricBucket[]>;
  /** Version changes in [from, to), the newest `limit` of them, in time order. */
  versionChanges(serverId: string, from: Date, to: Date, limit: number): Promise<VersionChangeRow[]>;
  /** Deletes a source's rows older than `before` (raw rows only once rolled up); returns how many. */
  prune(source: Source, before: Date): Promise<number>;
  /** The rollup cursor: heartbeats with id ≤ this are in the tiers. */
  rollupCursor(): Promise<bigint>;
}

/** count/sum/min/max of `metric` as SQL aggregates over heartbeats, named as metric_rollups' columns. */
export function rawAggregates(q: (column: string) => string): string {
  return METRICS.map((m) => `count(${q(m)}) AS ${q(m + 'Count')}, sum(${q(m)}) AS ${q(m + 'Sum')}, min(${q(m)}) AS ${q(m + 'Min')}, max(${q(m)}) AS ${q(m + 'Max')}`).join(', ');
}

/** The same over metric_rollups rows (regrouping buckets into wider ones). */
export function rollupAggregates(q: (column: string) => string): string {
  return METRICS.map((m) => {
    const c = (suffix: string) => q(m + suffix);
    return `sum(${c('Count')}) AS ${c('Count')}, sum(${c('Sum')}) AS ${c('Sum')}, min(${c('Min')}) AS ${c('Min')}, max(${c('Max')}) AS ${c('Max')}`;
  }).join(', ');
}

export const ROLLUP_COLUMNS = METRICS.flatMap((m) => [`${m}Count`, `${m}Sum`, `${m}Min`, `${m}Max`]);

/** Adds a bucket row (from the database: numbers or BigInt counts) into `into`, exactly. */
export function addRow(into: MetricBucket | undefined, at: Date, row: Record<string, unknown>): MetricBucket {
  const bucket = into ?? { at, metrics: Object.fromEntries(METRICS.map((m) => [m, { count: 0, sum: null, min: null, max: null }])) as Record<Metric, MetricAggregate> };
  for (const m of METRICS) {
    const count = Number(row[`${m}Count`] ?? 0);
    if (!count) continue;
    const target = bucket.metrics[m];
    const sum = Number(row[`${m}Sum`]);
    const min = Number(row[`${m}Min`]);
    const max = Number(row[`${m}Max`]);
    target.count += count;
    target.sum = (target.sum ?? 0) + sum;
    target.min = target.min == null ? min : Math.min(target.min, min);
    target.max = target.max == null ? max : Math.max(target.max, max);
  }
  return bucket;
}

/** Merges bucket rows (tier rows, then the not-yet-rolled tail) into time-ordered buckets. */
export function mergeRows(rows: Record<string, unknown>[], atOf: (row: Record<string, unknown>) => number): MetricBucket[] {
  const byAt = new Map<number, MetricBucket>();
  for (const row of rows) {
    const at = atOf(row);
    byAt.set(at, addRow(byAt.get(at), new Date(at), row));
  }
  return [...byAt.values()].sort((a, b) => a.at.getTime() - b.at.getTime());
}
