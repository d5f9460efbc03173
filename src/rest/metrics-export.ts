// GET /monitor/admin/servers/{id}/metrics?from=&to=&resolution=&format=csv|json: a server's
// metric history for a range, through the same service function as the GraphQL `metrics` field.
import { z } from 'zod';
import { authenticate, requireAdmin } from '../auth.ts';
import { METRICS } from '../db/history.ts';
import type { Services } from '../services/context.ts';
import { ServiceError } from '../services/errors.ts';
import { metricSeries, type MetricSeries } from '../services/history.ts';
import { declareEndpoint, restErrorSchema } from './openapi.ts';

const PATH = /^\/monitor\/admin\/servers\/([^/]+)\/metrics$/;
const SNAKE: Record<(typeof METRICS)[number], string> = {
  cpuPct: 'cpu_pct', memPct: 'mem_pct', diskPct: 'disk_pct', swapPct: 'swap_pct', load1: 'load1', load5: 'load5', load15: 'load15',
};

const stats = z.object({ avg: z.number(), min: z.number(), max: z.number(), count: z.number().int() }).nullable();
declareEndpoint({
  method: 'get',
  path: '/monitor/admin/servers/{id}/metrics',
  tag: 'admin',
  summary: "Exports a server's metrics over a range (avg/min/max per bucket) as JSON or CSV",
  auth: 'admin',
  query: z.object({
    from: z.string().describe('ISO-8601 start (inclusive)'),
    to: z.string().describe('ISO-8601 end (exclusive)'),
    resolution: z.string().regex(/^\d+$/).optional().describe('bucket width in seconds (rounded up to a multiple of the tier that serves it); default: 300 points'),
    format: z.enum(['json', 'csv']).optional().describe('default json'),
  }),
  responses: {
    200: {
      description: 'the series (CSV: one row per bucket, columns at, resolution_seconds, then <metric>_avg/_min/_max/_count)',
      schema: z.object({
        server_id: z.string(),
        from: z.string(),
        to: z.string(),
        resolution_seconds: z.number().int(),
        points: z.array(z.object({ at: z.string(), ...Object.fromEntries(METRICS.map((m) => [SNAKE[m], stats])) })),
      }),
    },
    400: { description: 'bad range, resolution or format (the message names the parameter)', schema: restErrorSchema },
    404: { description: 'no such server', schema: restErrorSchema },
  },
});

function date(value: string | null, name: string): Date {
  const parsed = value ? new Date(value) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) throw new ServiceError('BAD_USER_INPUT', `${name}: must be an ISO-8601 date`);
  return parsed;
}

function toCsv(series: MetricSeries): string {
  const header = ['at', 'resolution_seconds', ...METRICS.flatMap((m) => ['avg', 'min', 'max', 'count'].map((s) => `${SNAKE[m]}_${s}`))];
  const rows = series.points.map((point) =>
    [point.at.toISOString(), series.resolutionSeconds, ...METRICS.flatMap((m) => {
      const s = point[m];
      return s ? [s.avg, s.min, s.max, s.count] : ['', '', '', 0];
    })].join(','),
  );
  return [header.join(','), ...rows].join('\r\n') + '\r\n';
}

/** The export response, or null when the request is not for this endpoint. */
export async function handleMetricsExport(services: Services, envAdminToken: string | undefined, request: Request): Promise<Response | null> {
  const url = new URL(request.url);
  const match = PATH.exec(url.pathname);
  if (!match || request.method !== 'GET') return null;
  requireAdmin(await authenticate(services, envAdminToken, request.headers.get('authorization')), false);
  const serverId = decodeURIComponent(match[1]!);
  const format = url.searchParams.get('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new ServiceError('BAD_USER_INPUT', 'format: must be json or csv');
  const resolution = url.searchParams.get('resolution');
  if (resolution != null && !/^\d+$/.test(resolution)) throw new ServiceError('BAD_USER_INPUT', 'resolution: must be a whole number of seconds');
  const series = await metricSeries(services, {
    serverId,
    from: date(url.searchParams.get('from'), 'from'),
    to: date(url.searchParams.get('to'), 'to'),
    ...(resolution != null ? { resolutionSeconds: Number(resolution) } : { maxPoints: 300 }),
  });
  const headers = { 'cache-control': 'no-store', 'x-resolution-seconds': String(series.resolutionSeconds) };
  if (format === 'csv') {
    return new Response(toCsv(series), {
      headers: { ...headers, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="metrics-${serverId}.csv"` },
    });
  }
  const body = {
    server_id: serverId,
    from: series.from.toISOString(),
    to: series.to.toISOString(),
    resolution_seconds: series.resolutionSeconds,
    points: series.points.map((point) => ({ at: point.at.toISOString(), ...Object.fromEntries(METRICS.map((m) => [SNAKE[m], point[m]])) })),
  };
  return new Response(JSON.stringify(body), { headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } });
}
