// GET /metrics: the process's Prometheus metrics, and with METRICS_PER_SERVER=true the per-server
// gauges (src/services/server-gauges.ts) after them. Those show what the overview shows, so they
// follow PUBLIC_OVERVIEW: public when it is, else only with an admin or read-only token (a
// scraper without one still gets the process metrics, plus a comment saying what was withheld).
import { authenticate } from './auth.ts';
import type { Metrics } from './metrics.ts';
import type { Services } from './services/context.ts';
import { ServiceError } from './services/errors.ts';
import type { OverviewFeed } from './services/overview.ts';
import { serverGaugeChunks } from './services/server-gauges.ts';

export interface MetricsEndpointDeps {
  metrics: Metrics;
  services: Services;
  overview: OverviewFeed;
  perServer: boolean;
  publicOverview: boolean;
  envAdminToken?: string;
}

export const WITHHELD_NOTE =
  '# harborforge: per-server gauges withheld: PUBLIC_OVERVIEW is false, so they need "Authorization: Bearer <admin or read-only token>"\n';

const textResponse = (body: BodyInit, contentType: string) => new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });

export async function handleMetrics(deps: MetricsEndpointDeps, request: Request): Promise<Response> {
  const { registry } = deps.metrics;
  if (!deps.perServer) return textResponse(await registry.metrics(), registry.contentType);
  let allowed = deps.publicOverview;
  try {
    const session = await authenticate(deps.services, deps.envAdminToken, request.headers.get('authorization'));
    allowed ||= session.kind !== 'anonymous';
  } catch (error) {
    if (!(error instanceof ServiceError) || error.code !== 'UNAUTHENTICATED') throw error;
    return new Response(JSON.stringify({ error: error.code, message: error.message }), {
      status: 401,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
  const processMetrics = await registry.metrics();
  if (!allowed) return textResponse(processMetrics + WITHHELD_NOTE, registry.contentType);

  await deps.overview.ready();
  // One snapshot of the index: entries are replaced, never changed in place, so every family
  // below describes the same fleet even if heartbeats arrive while the text streams out.
  const snapshot = [...deps.overview.index.entries()];
  const chunks = serverGaugeChunks(snapshot, deps.overview.nowMs());
  let head: string | null = processMetrics;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (head !== null) {
        controller.enqueue(Buffer.from(head));
        head = null;
        return;
      }
      // Let heartbeats and other requests run between chunks of a large fleet.
      await new Promise((resolve) => setImmediate(resolve));
      const next = chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
  return textResponse(body, registry.contentType);
}
