// The seed's REST endpoints (DESIGN.md "API contract"). Each handler parses, authorizes, calls
// the same service function as the GraphQL mutation, and shapes a snake_case answer.
import { authenticate, requireAdmin } from '../auth.ts';
import { generateApiKey, revokeApiKey } from '../services/api-keys.ts';
import type { Services } from '../services/context.ts';
import { HTTP_STATUS_BY_CODE, RETRY_AFTER_SECONDS, ServiceError } from '../services/errors.ts';
import { MAX_HEARTBEAT_BYTES } from '../services/heartbeat-schema.ts';
import { overviewTagsVisible, type OverviewFeed } from '../services/overview.ts';
import { addServer, deleteServer, listServers, updateServer } from '../services/servers.ts';
import { SERVER_STATUSES, type ServerStatus } from '../services/status.ts';
import type { ServerView } from '../services/views.ts';
import './endpoints.ts';
import { openApiDocument } from './openapi.ts';
import { handleMetricsExport } from './metrics-export.ts';
import { handleSilences } from './silences.ts';
import { HEARTBEAT_PATH, handleHeartbeat, type HeartbeatDeps } from './heartbeat.ts';
import { overviewArgsFromQuery } from './overview.ts';

export interface RestDeps {
  services: Services;
  heartbeat: HeartbeatDeps;
  overview: OverviewFeed;
  envAdminToken?: string;
  publicOverview: boolean;
  publicOverviewTags: boolean;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });

const iso = (date: Date | string | null) => (date == null ? null : new Date(date).toISOString());

export function serverToRest(server: ServerView) {
  return {
    id: server.id,
    identifier: server.identifier,
    name: server.name,
    status: server.status,
    last_seen_at: iso(server.lastSeenAt),
    created_at: iso(server.createdAt),
    interval_seconds: server.intervalSeconds,
    grace_seconds: server.graceSeconds,
    openclaw_version: server.openclawVersion,
    plugin_version: server.pluginVersion,
    agents: server.agents,
    cpu_pct: server.cpuPct,
    mem_pct: server.memPct,
    disk_pct: server.diskPct,
    swap_pct: server.swapPct,
    load_avg: server.loadAvg,
    uptime_seconds: server.uptimeSeconds,
    tags: server.tags ?? [],
    api_key: server.apiKey && {
      prefix: server.apiKey.prefix,
      created_at: iso(server.apiKey.createdAt),
      last_used_at: iso(server.apiKey.lastUsedAt),
      revoked_at: iso(server.apiKey.revokedAt),
      active: server.apiKey.active,
    },
  };
}

/** A server as the public overview shows it: tags only where the caller may see them (overviewTagsVisible). */
function publicServerToRest(server: ServerView, tags: readonly string[] | null) {
  const { api_key: _key, interval_seconds: _i, grace_seconds: _g, created_at: _c, tags: _t, ...rest } = serverToRest(server);
  return tags ? { ...rest, tags } : rest;
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.length > MAX_HEARTBEAT_BYTES) throw Object.assign(new ServiceError('BAD_USER_INPUT', 'body is too large'), { httpStatus: 413 });
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceError('BAD_USER_INPUT', 'body: not valid JSON');
  }
}

/** snake_case REST body → the camelCase input the services validate. */
function serverInputFromRest(body: unknown) {
  const input = (body ?? {}) as Record<string, unknown>;
  return { identifier: input.identifier, name: input.name, intervalSeconds: input.interval_seconds, graceSeconds: input.grace_seconds, tags: input.tags };
}

export const OPENAPI_PATH = '/monitor/openapi.json';

const ABANDONED = new Set(['/monitor/public/server-public-key', '/monitor/server/ws']);
const GONE_MESSAGE =
  'The challenge / WebSocket registration flow was abandoned. Register the server (POST /monitor/admin/servers), ' +
  'generate an API key (POST /monitor/admin/servers/{id}/api-key) and post heartbeats to POST /monitor/server/heartbeat-v2 with X-API-Key.';

export function isAbandonedEndpoint(path: string): boolean {
  return ABANDONED.has(path) || /^\/monitor\/admin\/servers\/[^/]+\/challenge$/.test(path);
}

/** Returns null for paths that are not REST endpoints. */
export async function handleRest(deps: RestDeps, request: Request): Promise<Response | null> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (!path.startsWith('/monitor/')) return null;
  const { services } = deps;
  try {
    if (isAbandonedEndpoint(path)) return json(410, { error: 'GONE', message: GONE_MESSAGE });
    if (path === OPENAPI_PATH && request.method === 'GET') return json(200, openApiDocument('1.0.0'));

    if (path === HEARTBEAT_PATH) {
      if (request.method !== 'POST') return json(405, { error: 'METHOD_NOT_ALLOWED', message: 'use POST' });
      const length = Number(request.headers.get('content-length') ?? 0);
      const bytes = length > MAX_HEARTBEAT_BYTES ? null : Buffer.from(await request.arrayBuffer());
      const reply = await handleHeartbeat(deps.heartbeat, {
        apiKey: request.headers.get('x-api-key'),
        contentType: request.headers.get('content-type'),
        body: bytes && bytes.length > MAX_HEARTBEAT_BYTES ? null : bytes,
      });
      const response = json(reply.status, reply.body);
      for (const [name, value] of Object.entries(reply.headers ?? {})) response.headers.set(name, value);
      return response;
    }

    const exported = await handleMetricsExport(services, deps.envAdminToken, request);
    if (exported) return exported;
    const silences = await handleSilences(services, deps.envAdminToken, request, () => readJson(request));
    if (silences) return silences;

    if (path === '/monitor/public/overview' && request.method === 'GET') {
      const session = await authenticate(services, deps.envAdminToken, request.headers.get('authorization'));
      if (!deps.publicOverview) requireAdmin(session, false);
      const tagsVisible = overviewTagsVisible(session, deps.publicOverviewTags);
      const overview = await deps.overview.query(overviewArgsFromQuery(url.searchParams, tagsVisible));
      return json(200, {
        generated_at: iso(overview.generatedAt),
        version: overview.version,
        totals: overview.totals,
        servers: overview.servers.map((server) => publicServerToRest(server, tagsVisible ? services.tags.get(server.id) : null)),
        page_info: { has_next_page: overview.pageInfo.hasNextPage, end_cursor: overview.pageInfo.endCursor },
      });
    }

    const serverMatch = /^\/monitor\/admin\/servers(?:\/([^/]+)(\/api-key)?)?$/.exec(path);
    if (!serverMatch) return json(404, { error: 'NOT_FOUND', message: `no endpoint ${request.method} ${path}` });
    const [, rawId, apiKeyPart] = serverMatch;
    const id = rawId ? decodeURIComponent(rawId) : undefined;
    const session = await authenticate(services, deps.envAdminToken, request.headers.get('authorization'));
    const route = `${request.method} ${id ? (apiKeyPart ? ':id/api-key' : ':id') : ''}`;
    switch (route) {
      case 'GET ': {
        requireAdmin(session, false);
        const status = url.searchParams.get('status')?.toUpperCase() ?? null;
        if (status && !SERVER_STATUSES.includes(status as ServerStatus)) {
          throw new ServiceError('BAD_USER_INPUT', `status: must be one of ${SERVER_STATUSES.join(', ')}`);
        }
        const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 1000) || 1000, 1), 10_000);
        const servers = await listServers(services, {
          status: status as ServerStatus | null,
          search: url.searchParams.get('search'),
          tags: url.searchParams.getAll('tag'),
          afterIdentifier: url.searchParams.get('after'),
          limit: limit + 1,
        });
        const page = servers.slice(0, limit);
        return json(200, { servers: page.map(serverToRest), next_after: servers.length > limit ? page[page.length - 1]!.identifier : null });
      }
      case 'POST ': {
        requireAdmin(session, true);
        return json(201, serverToRest(await addServer(services, serverInputFromRest(await readJson(request)))));
      }
      case 'PATCH :id': {
        requireAdmin(session, true);
        const input = serverInputFromRest(await readJson(request));
        return json(200, serverToRest(await updateServer(services, { id, name: input.name, intervalSeconds: input.intervalSeconds, graceSeconds: input.graceSeconds, tags: input.tags })));
      }
      case 'DELETE :id': {
        requireAdmin(session, true);
        const deleted = await deleteServer(services, id!);
        return json(200, { deleted_server_id: deleted.deletedServerId });
      }
      case 'POST :id/api-key': {
        requireAdmin(session, true);
        const generated = await generateApiKey(services, id!);
        return json(201, { api_key: generated.apiKey, prefix: generated.prefix, server_id: generated.server.id });
      }
      case 'DELETE :id/api-key': {
        requireAdmin(session, true);
        const server = await revokeApiKey(services, id!);
        return json(200, { server_id: server.id, revoked: true, server: serverToRest(server) });
      }
      default:
        return json(405, { error: 'METHOD_NOT_ALLOWED', message: `${request.method} is not supported on ${path}` });
    }
  } catch (caught) {
    const error = services.availability.reportFailure(caught) ?? caught;
    if (error instanceof ServiceError) {
      const status = (error as ServiceError & { httpStatus?: number }).httpStatus ?? HTTP_STATUS_BY_CODE[error.code];
      const response = json(status, { error: error.code, message: error.message });
      if (status === 503) response.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
      return response;
    }
    services.logger.error({ err: error, method: request.method, path }, 'REST request failed');
    return json(500, { error: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' });
  }
}
