// What the server page loads. Metrics come from `metrics(serverId, from, to, maxPoints)` (tiered
// history); on a backend without it, the raw `heartbeats` history stands in, each sample being its
// own min, avg and max.
import { authHeader, GRAPHQL_PATH, request, toRequestError, type GraphQLErrorShape } from '../shared/graphql.ts';

export const RANGES = [
  { key: '1h', label: '1 h', ms: 3_600_000 },
  { key: '24h', label: '24 h', ms: 86_400_000 },
  { key: '7d', label: '7 d', ms: 7 * 86_400_000 },
  { key: '30d', label: '30 d', ms: 30 * 86_400_000 },
  { key: '1y', label: '1 y', ms: 365 * 86_400_000 },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];

export const METRIC_KEYS = ['cpuPct', 'memPct', 'diskPct', 'swapPct', 'load1', 'load5', 'load15'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
export interface Band {
  avg: number | null;
  min: number | null;
  max: number | null;
}
export type MetricPoint = { at: string } & Record<MetricKey, Band | null>;
export interface Series {
  resolutionSeconds: number;
  points: MetricPoint[];
}

export interface ServerInfo {
  id: string;
  identifier: string;
  name: string;
  status: 'PENDING' | 'ONLINE' | 'LATE' | 'OFFLINE';
  lastSeenAt: string | null;
  createdAt: string;
  openclawVersion: string | null;
  pluginVersion: string | null;
  cpuPct: number | null;
  memPct: number | null;
  diskPct: number | null;
  swapPct: number | null;
  loadAvg: number[] | null;
}

const SERVER_FIELDS = 'id identifier name status lastSeenAt createdAt openclawVersion pluginVersion cpuPct memPct diskPct swapPct loadAvg';
export const SERVER_QUERY = `query ServerPage($id: ID!) { server(id: $id) { ${SERVER_FIELDS} } }`;
export const SERVER_SUBSCRIPTION = `subscription ServerPageLive($id: ID) { serverUpdated(id: $id) { ${SERVER_FIELDS} } }`;

const band = 'avg min max';
const METRICS_QUERY = `query ServerMetrics($id: ID!, $from: DateTime!, $to: DateTime!, $maxPoints: Int) {
  metrics(serverId: $id, from: $from, to: $to, maxPoints: $maxPoints) {
    resolutionSeconds points { at ${METRIC_KEYS.map((k) => `${k} { ${band} }`).join(' ')} }
  }
}`;
const HEARTBEATS_QUERY = `query ServerHeartbeats($id: ID!, $first: Int) {
  heartbeats(serverId: $id, first: $first) { edges { node { receivedAt cpuPct memPct diskPct swapPct loadAvg } } }
}`;

const same = (value: number | null | undefined): Band | null => (value == null ? null : { avg: value, min: value, max: value });

/** A live sample (a heartbeat's values) as a chart point. */
export function pointOf(server: Pick<ServerInfo, 'cpuPct' | 'memPct' | 'diskPct' | 'swapPct' | 'loadAvg'>, at: string): MetricPoint {
  return {
    at,
    cpuPct: same(server.cpuPct),
    memPct: same(server.memPct),
    diskPct: same(server.diskPct),
    swapPct: same(server.swapPct),
    load1: same(server.loadAvg?.[0]),
    load5: same(server.loadAvg?.[1]),
    load15: same(server.loadAvg?.[2]),
  };
}

let metricsMissing = false;

/** Asks for `metrics`; null when this backend has no such field (asked as plain JSON so that a
 *  backend without it answers 200 with an error rather than a 400 the console would report). */
async function tryMetrics(id: string, from: number, to: number, token: string | null): Promise<Series | null> {
  const response = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeader(token) },
    body: JSON.stringify({ query: METRICS_QUERY, variables: { id, from: new Date(from).toISOString(), to: new Date(to).toISOString(), maxPoints: 300 } }),
    cache: 'no-store',
  });
  const body = (await response.json()) as { data?: { metrics: Series } | null; errors?: GraphQLErrorShape[] };
  if (body.errors?.length) {
    if (!body.data && /Cannot query field "metrics"/.test(body.errors[0]!.message)) return null;
    throw toRequestError(body.errors);
  }
  return body.data!.metrics;
}

export async function loadSeries(id: string, from: number, to: number, token: string | null): Promise<Series> {
  if (!metricsMissing) {
    const series = await tryMetrics(id, from, to, token);
    if (series) return series;
    metricsMissing = true;
  }
  const data = await request<{ heartbeats: { edges: { node: { receivedAt: string } & Pick<ServerInfo, 'cpuPct' | 'memPct' | 'diskPct' | 'swapPct' | 'loadAvg'> }[] } }>(
    HEARTBEATS_QUERY,
    { id, first: 1000 },
    token,
  );
  const points = data.heartbeats.edges
    .map(({ node }) => pointOf(node, node.receivedAt))
    .filter((p) => Date.parse(p.at) >= from)
    .reverse();
  return { resolutionSeconds: 0, points };
}

export interface UptimeDay {
  day: string;
  ratio: number | null;
  upSeconds: number;
  downSeconds: number;
}
export interface StatusChange {
  fromStatus: string | null;
  toStatus: string;
  at: string;
  cause: string;
}
export interface UptimeSummary {
  days: UptimeDay[];
  d1: number | null;
  d7: number | null;
  d30: number | null;
  changes: StatusChange[] | null;
}

const UPTIME_QUERY = (withChanges: boolean) => `query ServerUptime($id: ID!, $d1: DateTime!, $d7: DateTime!, $d30: DateTime!, ${withChanges ? '$d90: DateTime!, ' : ''}$now: DateTime!) {
  uptimeDays(serverId: $id, days: 90) { day ratio upSeconds downSeconds }
  d1: uptime(serverId: $id, from: $d1, to: $now) { ratio }
  d7: uptime(serverId: $id, from: $d7, to: $now) { ratio }
  d30: uptime(serverId: $id, from: $d30, to: $now) { ratio }
  ${withChanges ? 'timeline: uptime(serverId: $id, from: $d90, to: $now) { changes(first: 50) { fromStatus toStatus at cause } }' : ''}
}`;

export async function loadUptime(id: string, now: number, token: string | null): Promise<UptimeSummary> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const variables = { id, now: iso(now), d1: iso(now - 86_400_000), d7: iso(now - 7 * 86_400_000), d30: iso(now - 30 * 86_400_000), ...(token ? { d90: iso(now - 90 * 86_400_000) } : {}) };
  type Answer = { uptimeDays: UptimeDay[]; d1: { ratio: number | null }; d7: { ratio: number | null }; d30: { ratio: number | null }; timeline?: { changes: StatusChange[] } };
  const data = await request<Answer>(UPTIME_QUERY(Boolean(token)), variables, token);
  return { days: data.uptimeDays, d1: data.d1.ratio, d7: data.d7.ratio, d30: data.d30.ratio, changes: data.timeline?.changes ?? null };
}

export { formatUptimeRatio as formatRatio } from '../shared/uptime-cache.ts';
