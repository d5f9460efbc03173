// The OpenAPI declarations of the seed's REST endpoints handled in src/rest/routes.ts (imported
// there), and of the document itself. A new route module declares its own endpoints the same way.
import { z } from 'zod';
import { heartbeatBodySchema } from '../services/heartbeat-schema.ts';
import { addServerInputSchema } from '../services/servers.ts';
import { SERVER_STATUSES } from '../services/status.ts';
import { declareEndpoint, restErrorSchema } from './openapi.ts';
import { REST_ORDERS } from './overview.ts';

const dateTime = z.iso.datetime();
const status = z.enum(SERVER_STATUSES);
const percent = z.number().nullable();

const publicServer = z.looseObject({
  id: z.string(),
  identifier: z.string(),
  name: z.string(),
  status,
  last_seen_at: dateTime.nullable(),
  openclaw_version: z.string().nullable(),
  plugin_version: z.string().nullable(),
  agents: z.array(z.object({ id: z.string(), name: z.string() })).nullable(),
  cpu_pct: percent,
  mem_pct: percent,
  disk_pct: percent,
  swap_pct: percent,
  load_avg: z.array(z.number().nullable()).nullable(),
  uptime_seconds: z.number().nullable(),
});

const server = publicServer.extend({
  created_at: dateTime,
  interval_seconds: z.number().int(),
  grace_seconds: z.number().int(),
  tags: z.array(z.string()),
  api_key: z
    .object({ prefix: z.string(), created_at: dateTime, last_used_at: dateTime.nullable(), revoked_at: dateTime.nullable(), active: z.boolean() })
    .nullable()
    .describe('Public facts about the newest key; the key itself is never returned after it is generated.'),
});

const totals = z.object({ servers: z.number().int(), online: z.number().int(), late: z.number().int(), offline: z.number().int(), pending: z.number().int() });

// The REST body is snake_case; each field is validated by the same schema as addServer's input.
const add = addServerInputSchema.shape;
const serverBody = z.object({ identifier: add.identifier, name: add.name, interval_seconds: add.intervalSeconds, grace_seconds: add.graceSeconds, tags: add.tags });

const gone = { 410: { description: 'the challenge flow was abandoned: the message names the API-key flow', schema: restErrorSchema } };

declareEndpoint({
  method: 'post',
  path: '/monitor/server/heartbeat-v2',
  tag: 'sidecar',
  summary: "Records one heartbeat of the key's server",
  auth: 'apiKey',
  body: heartbeatBodySchema,
  responses: {
    200: { description: 'committed', schema: z.object({ ok: z.literal(true), server_id: z.string(), status, received_at: dateTime }) },
    409: { description: "identifier is not the key's server", schema: restErrorSchema },
    413: { description: 'body larger than 64 KiB', schema: restErrorSchema },
    415: { description: 'not application/json', schema: restErrorSchema },
    503: { description: 'the database is unavailable: retry after Retry-After', schema: restErrorSchema },
  },
});

declareEndpoint({
  method: 'get',
  path: '/monitor/public/overview',
  tag: 'public',
  summary: 'The overview: totals for the whole fleet, and the servers (all, or a page)',
  auth: 'admin-or-public',
  query: z.object({
    first: z.string().regex(/^\d+$/).optional().describe('page size (0–10000); without it every server'),
    after: z.string().optional().describe('cursor: page_info.end_cursor of the previous page'),
    offset: z.string().regex(/^\d+$/).optional().describe('skip this many matching rows'),
    status: z.string().optional().describe('comma-separated statuses, e.g. LATE,OFFLINE'),
    search: z.string().max(200).optional().describe('substring of the identifier or name'),
    order: z.enum(REST_ORDERS).optional().describe('problems_first: OFFLINE, LATE, PENDING, then ONLINE, each by identifier (its end_cursor is "STATUS:identifier")'),
    tag: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('only servers carrying this tag; repeat it (tag=a&tag=b) for servers carrying every one. Needs a token unless PUBLIC_OVERVIEW_TAGS=true'),
  }),
  responses: {
    200: {
      description: 'the overview',
      schema: z.object({
        generated_at: dateTime,
        version: z.string(),
        totals,
        servers: z.array(publicServer.extend({ tags: z.array(z.string()).optional().describe('with a token, or PUBLIC_OVERVIEW_TAGS=true') })),
        page_info: z.object({ has_next_page: z.boolean(), end_cursor: z.string().nullable() }),
      }),
    },
    400: { description: 'a query parameter is invalid: the message names it', schema: restErrorSchema },
  },
});

declareEndpoint({
  method: 'get',
  path: '/monitor/admin/servers',
  tag: 'admin',
  summary: 'Lists servers by identifier (read-only tokens may)',
  auth: 'admin',
  query: z.object({
    status: status.optional(),
    search: z.string().optional(),
    limit: z.string().regex(/^\d+$/).optional().describe('1–10000, default 1000'),
    after: z.string().optional().describe('next_after of the previous page'),
    tag: z.union([z.string(), z.array(z.string())]).optional().describe('only servers carrying this tag; repeat it for servers carrying every one'),
  }),
  responses: { 200: { description: 'a page of servers', schema: z.object({ servers: z.array(server), next_after: z.string().nullable() }) } },
});

declareEndpoint({
  method: 'post',
  path: '/monitor/admin/servers',
  tag: 'admin',
  summary: 'Registers a server',
  auth: 'admin',
  body: serverBody,
  responses: { 201: { description: 'registered (PENDING until its first heartbeat)', schema: server }, 409: { description: 'identifier taken', schema: restErrorSchema } },
});

declareEndpoint({
  method: 'patch',
  path: '/monitor/admin/servers/{id}',
  tag: 'admin',
  summary: "Changes a server's name, thresholds or tags",
  auth: 'admin',
  body: serverBody.omit({ identifier: true }),
  responses: { 200: { description: 'the changed server', schema: server }, 404: { description: 'no such server', schema: restErrorSchema } },
});

declareEndpoint({
  method: 'delete',
  path: '/monitor/admin/servers/{id}',
  tag: 'admin',
  summary: 'Deletes a server with its key, state and history',
  auth: 'admin',
  responses: { 200: { description: 'deleted', schema: z.object({ deleted_server_id: z.string() }) }, 404: { description: 'no such server', schema: restErrorSchema } },
});

declareEndpoint({
  method: 'post',
  path: '/monitor/admin/servers/{id}/api-key',
  tag: 'admin',
  summary: 'Generates a new API key (replacing the old one); the key is in this answer only',
  auth: 'admin',
  responses: {
    201: { description: 'the new key', schema: z.object({ api_key: z.string(), prefix: z.string(), server_id: z.string() }) },
    404: { description: 'no such server', schema: restErrorSchema },
  },
});

declareEndpoint({
  method: 'delete',
  path: '/monitor/admin/servers/{id}/api-key',
  tag: 'admin',
  summary: "Revokes the server's key: its heartbeats are refused from now on",
  auth: 'admin',
  responses: {
    200: { description: 'revoked', schema: z.object({ server_id: z.string(), revoked: z.literal(true), server }) },
    404: { description: 'no such server', schema: restErrorSchema },
  },
});

declareEndpoint({ method: 'get', path: '/monitor/public/server-public-key', tag: 'abandoned', summary: 'Abandoned challenge flow', auth: 'none', responses: gone });
declareEndpoint({ method: 'post', path: '/monitor/admin/servers/{id}/challenge', tag: 'abandoned', summary: 'Abandoned challenge flow', auth: 'none', responses: gone });

declareEndpoint({
  method: 'get',
  path: '/monitor/openapi.json',
  tag: 'public',
  summary: 'This document',
  auth: 'none',
  responses: { 200: { description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }) } },
});

declareEndpoint({ method: 'get', path: '/healthz', tag: 'operations', summary: 'Liveness', auth: 'none', responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } } });
declareEndpoint({
  method: 'get',
  path: '/readyz',
  tag: 'operations',
  summary: 'Readiness: the database answers',
  auth: 'none',
  responses: {
    200: { description: 'ready', schema: z.object({ status: z.literal('ready'), database: z.enum(['sqlite', 'postgres']) }) },
    503: { description: 'the database is unavailable', schema: z.object({ status: z.literal('unavailable'), database: z.enum(['sqlite', 'postgres']) }) },
  },
});
