// The metric history of a server (issue 10): metrics(serverId, from, to, maxPoints) and the
// version/agents changes. Readable where the overview is (PUBLIC_OVERVIEW), else by admins.
import { builder } from '../builder.ts';
import { METRICS } from '../db/history.ts';
import { sizedByArgument } from '../operation-cost.ts';
import { MAX_POINTS, MAX_VERSION_CHANGES, metricSeries, versionChanges, type MetricPoint, type MetricSeries, type MetricStats, type VersionChange } from '../services/history.ts';
import { AgentRef } from './server.ts';

const MetricStatsRef = builder.objectRef<MetricStats>('MetricStats').implement({
  description: "One metric over one point's bucket: exact mean, minimum and maximum of the heartbeats in it.",
  fields: (t) => ({
    avg: t.exposeFloat('avg'),
    min: t.exposeFloat('min'),
    max: t.exposeFloat('max'),
    count: t.exposeInt('count', { description: 'Heartbeats that reported this metric in the bucket.' }),
  }),
});

const METRIC_DESCRIPTIONS: Record<(typeof METRICS)[number], string> = {
  cpuPct: 'CPU use, %',
  memPct: 'Memory use, %',
  diskPct: 'Disk use, %',
  swapPct: 'Swap use, %',
  load1: '1-minute load average',
  load5: '5-minute load average',
  load15: '15-minute load average',
};

const MetricPointRef = builder.objectRef<MetricPoint>('MetricPoint').implement({
  description: 'One bucket of a MetricSeries. A metric is null when no heartbeat in the bucket reported it.',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'Start of the bucket (it lasts resolutionSeconds).' }),
    ...Object.fromEntries(
      METRICS.map((m) => [m, t.expose(m, { type: MetricStatsRef, nullable: true, description: METRIC_DESCRIPTIONS[m] })]),
    ),
  }),
});

const MetricSeriesRef = builder.objectRef<MetricSeries>('MetricSeries').implement({
  description: 'A server\'s metrics over a range, from the finest history tier that covers it in at most maxPoints points.',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    resolutionSeconds: t.exposeInt('resolutionSeconds', { description: 'Width of each bucket; buckets are aligned to the Unix epoch (UTC).' }),
    sourceSeconds: t.exposeInt('sourceSeconds', { description: 'The tier read: 0 = raw heartbeats, 300 = 5-minute, 3600 = hourly, 86400 = daily rollups.' }),
    points: t.expose('points', {
      type: [MetricPointRef],
      description: 'Buckets that have data, oldest first (a gap means no heartbeat).',
      // At most maxPoints of them: the operation's cost counts that many (src/operation-cost.ts).
      extensions: sizedByArgument('maxPoints', { of: 'parent', default: 300, max: MAX_POINTS }),
    }),
  }),
});

const VersionChangeRef = builder.objectRef<VersionChange>('VersionChange').implement({
  description: 'The versions and agents a server reported from `at` on (written on its first heartbeat and whenever one of them changes).',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    openclawVersion: t.exposeString('openclawVersion', { nullable: true }),
    pluginVersion: t.exposeString('pluginVersion', { nullable: true }),
    agents: t.expose('agents', { type: [AgentRef] }),
  }),
});

builder.queryFields((t) => ({
  metrics: t.field({
    type: MetricSeriesRef,
    authScopes: { overview: true },
    description: 'A server\'s CPU, memory, disk, swap and load over [from, to): avg, min and max per bucket.',
    args: {
      serverId: t.arg.id({ required: true }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      maxPoints: t.arg.int({ defaultValue: 300, description: 'At most this many points (1–10000).' }),
    },
    resolve: (_root, args, { services }) =>
      metricSeries(services, { serverId: String(args.serverId), from: args.from, to: args.to, maxPoints: args.maxPoints ?? 300 }),
  }),
  versionChanges: t.field({
    type: [VersionChangeRef],
    authScopes: { overview: true },
    extensions: sizedByArgument('limit', { default: 100, max: MAX_VERSION_CHANGES }),
    description: 'Changes of a server\'s OpenClaw/plugin versions and agents in [from, to), oldest first: the newest `limit` of them.',
    args: {
      serverId: t.arg.id({ required: true }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      limit: t.arg.int({ defaultValue: 100, description: 'At most this many (1–1000).' }),
    },
    resolve: (_root, args, { services }) =>
      versionChanges(services, { serverId: String(args.serverId), from: args.from, to: args.to, limit: args.limit ?? 100 }),
  }),
}));
