// Silences over REST, so that a deploy script can open one with curl and close it afterwards:
// GET / POST /monitor/admin/silences, PATCH / DELETE /monitor/admin/silences/{id}. Bodies are
// snake_case like the other REST endpoints; each handler calls the same service function as the
// GraphQL field (src/services/alerts/silences.ts), so validation and announcing are shared.
import { z } from 'zod';
import { authenticate, requireAdmin } from '../auth.ts';
import type { Services } from '../services/context.ts';
import { ServiceError } from '../services/errors.ts';
import { WEEKDAYS, createSilence, deleteSilence, listSilences, silenceActiveUntil, updateSilence, type SilenceView } from '../services/alerts/silences.ts';
import { declareEndpoint, restErrorSchema } from './openapi.ts';

const PATH = /^\/monitor\/admin\/silences(?:\/([^/]+))?$/;
const dateTime = z.iso.datetime();

const recurrence = z.object({
  days: z.array(z.enum(WEEKDAYS)).min(1),
  start_time: z.string().describe('"HH:MM", UTC'),
  duration_minutes: z.number().int().min(1).max(10_080),
});

const silenceBody = z.object({
  comment: z.string().min(1).max(1000),
  server_ids: z.array(z.string()).optional().describe('servers in scope (with tags: either matches; neither: every server)'),
  tags: z.array(z.string()).optional().describe('servers carrying any of these tags are in scope'),
  starts_at: dateTime.optional().describe('default: now'),
  ends_at: dateTime.optional().describe('required unless recurrence is given'),
  recurrence: recurrence.optional().describe('a weekly window instead of (or bounded by) starts_at/ends_at'),
});

const silenceSchema = z.object({
  id: z.string(),
  comment: z.string(),
  server_ids: z.array(z.string()),
  tags: z.array(z.string()),
  starts_at: dateTime.nullable(),
  ends_at: dateTime.nullable(),
  recurrence: recurrence.nullable(),
  active_until: dateTime.nullable().describe('the end of the window in force now; null when the silence is not in force'),
  created_at: dateTime,
  updated_at: dateTime,
});

const notFound = { 404: { description: 'no such silence', schema: restErrorSchema } };

declareEndpoint({
  method: 'get',
  path: '/monitor/admin/silences',
  tag: 'admin',
  summary: 'Lists silences that are not over yet (read-only tokens may)',
  auth: 'admin',
  query: z.object({ include_expired: z.enum(['true', 'false']).optional().describe('also silences whose end has passed') }),
  responses: {
    200: { description: 'silences, newest first', schema: z.object({ silences: z.array(silenceSchema) }) },
    400: { description: 'include_expired is neither true nor false', schema: restErrorSchema },
  },
});
declareEndpoint({
  method: 'post',
  path: '/monitor/admin/silences',
  tag: 'admin',
  summary: 'Opens a silence (maintenance window): alerts in scope are recorded but not sent; one still firing at its end is sent then',
  auth: 'admin',
  body: silenceBody,
  responses: { 201: { description: 'the silence', schema: silenceSchema } },
});
declareEndpoint({
  method: 'patch',
  path: '/monitor/admin/silences/{id}',
  tag: 'admin',
  summary: 'Changes a silence (e.g. ends it earlier or later); fields left out keep their values, null clears one',
  auth: 'admin',
  body: silenceBody.partial(),
  responses: { 200: { description: 'the changed silence', schema: silenceSchema }, ...notFound },
});
declareEndpoint({
  method: 'delete',
  path: '/monitor/admin/silences/{id}',
  tag: 'admin',
  summary: 'Deletes a silence: alerts held back by it and still firing are sent now',
  auth: 'admin',
  responses: { 200: { description: 'deleted', schema: z.object({ deleted_silence_id: z.string() }) }, ...notFound },
});

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function silenceToRest(silence: SilenceView, now: Date) {
  return {
    id: silence.id,
    comment: silence.comment,
    server_ids: silence.serverIds,
    tags: silence.tags,
    starts_at: iso(silence.startsAt),
    ends_at: iso(silence.endsAt),
    recurrence: silence.recurrence && { days: silence.recurrence.days, start_time: silence.recurrence.startTime, duration_minutes: silence.recurrence.durationMinutes },
    active_until: iso(silenceActiveUntil(silence, now)),
    created_at: silence.createdAt.toISOString(),
    updated_at: silence.updatedAt.toISOString(),
  };
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A date field of the body: undefined (left out), null (cleared) or a Date; anything else names the field. */
function dateField(body: Record<string, unknown>, name: string): Date | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  const parsed = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) throw new ServiceError('BAD_USER_INPUT', `${name}: must be an ISO-8601 date-time`);
  return parsed;
}

/** snake_case body → the camelCase input the silence service validates (fields left out stay out). */
function silenceInputFromRest(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ServiceError('BAD_USER_INPUT', 'body: must be a JSON object');
  const body = raw as Record<string, unknown>;
  const rec = body.recurrence as Record<string, unknown> | null | undefined;
  const input: Record<string, unknown> = {
    comment: body.comment,
    serverIds: body.server_ids,
    tags: body.tags,
    startsAt: dateField(body, 'starts_at'),
    endsAt: dateField(body, 'ends_at'),
    recurrence: rec && typeof rec === 'object' ? { days: rec.days, startTime: rec.start_time, durationMinutes: rec.duration_minutes } : rec,
  };
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

/** The service names camelCase fields; a REST caller sent snake_case ones. */
async function inRestTerms<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'BAD_USER_INPUT') throw new ServiceError('BAD_USER_INPUT', error.message.replace(/\b[a-z]+(?:[A-Z][a-z]+)+\b/g, snake));
    throw error;
  }
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });

/** The answer for a silences endpoint, or null when the request is not for one. Errors are thrown to the REST router. */
export async function handleSilences(services: Services, envAdminToken: string | undefined, request: Request, readBody: () => Promise<unknown>): Promise<Response | null> {
  const url = new URL(request.url);
  const match = PATH.exec(url.pathname);
  if (!match) return null;
  const id = match[1] ? decodeURIComponent(match[1]) : null;
  const session = await authenticate(services, envAdminToken, request.headers.get('authorization'));
  const route = `${request.method} ${id ? ':id' : ''}`;
  switch (route) {
    case 'GET ': {
      requireAdmin(session, false);
      const includeExpired = url.searchParams.get('include_expired');
      if (includeExpired != null && includeExpired !== 'true' && includeExpired !== 'false') throw new ServiceError('BAD_USER_INPUT', 'include_expired: must be true or false');
      const silences = await listSilences(services, { includeExpired: includeExpired === 'true' });
      const now = services.now();
      return json(200, { silences: silences.map((silence) => silenceToRest(silence, now)) });
    }
    case 'POST ': {
      requireAdmin(session, true);
      const silence = await inRestTerms(createSilence(services, silenceInputFromRest(await readBody())));
      return json(201, silenceToRest(silence, services.now()));
    }
    case 'PATCH :id': {
      requireAdmin(session, true);
      const silence = await inRestTerms(updateSilence(services, { ...silenceInputFromRest(await readBody()), id }));
      return json(200, silenceToRest(silence, services.now()));
    }
    case 'DELETE :id': {
      requireAdmin(session, true);
      const deleted = await deleteSilence(services, id!);
      return json(200, { deleted_silence_id: deleted.deletedSilenceId });
    }
    default:
      return json(405, { error: 'METHOD_NOT_ALLOWED', message: `${request.method} is not supported on ${url.pathname}` });
  }
}
