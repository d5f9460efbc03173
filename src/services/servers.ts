// Registering, changing, listing and deleting monitored servers. Shared by GraphQL and REST.
import { z } from 'zod';
import type { Services } from './context.ts';
import { ServiceError, fromPrismaError } from './errors.ts';
import { announce, type FleetEvent } from './events.ts';
import { statusAt, thresholds, type ServerStatus } from './status.ts';
import { toApiKeyView, toServerView, type ServerView } from './views.ts';
import type { FleetRow, StateRow, StoredStatus } from '../db/store.ts';
import { tagListSchema, writeServerTags } from './server-tags.ts';

const identifier = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'may contain only letters, digits, ".", "_", ":" and "-", and must start with a letter or digit');
const interval = z.number().int('must be a whole number of seconds').min(5, 'must be at least 5 seconds').max(86_400, 'must be at most 86400 seconds');
const grace = z.number().int('must be a whole number of seconds').min(0, 'must not be negative').max(604_800, 'must be at most 604800 seconds');
const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

export const addServerInputSchema = z.object({
  identifier,
  name: name.nullish(),
  intervalSeconds: interval.nullish(),
  graceSeconds: grace.nullish(),
  tags: tagListSchema.nullish(),
});
export type AddServerInput = z.input<typeof addServerInputSchema>;

export const updateServerInputSchema = z.object({
  id: z.string().min(1),
  name: name.nullish(),
  intervalSeconds: interval.nullish(),
  graceSeconds: grace.nullish(),
  /** Replaces the server's tags; omitted or null keeps them. */
  tags: tagListSchema.nullish(),
});
export type UpdateServerInput = z.input<typeof updateServerInputSchema>;

/** Validates at the edge and turns zod's complaint into one message that names each field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const message = result.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; ');
    throw new ServiceError('BAD_USER_INPUT', message);
  }
  return result.data;
}

const serverInclude = { state: true, apiKeys: { orderBy: { createdAt: 'desc' }, take: 1 } } as const;

/** A server row as Prisma loads it with `serverInclude`. */
type ServerWithRelations = Omit<FleetRow, 'state'> & {
  state: (Omit<StateRow, 'status'> & { status: string }) | null;
  apiKeys: { prefix: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }[];
};

export function viewOf(server: ServerWithRelations, now: Date): ServerView {
  return toServerView(server, server.state as StateRow | null, toApiKeyView(server.apiKeys[0]), now);
}

/** A view of a server with its tags (from the instance's tag index: no query). */
function tagged(services: Services, view: ServerView): ServerView {
  return { ...view, tags: services.tags.get(view.id) };
}

export async function getServer(services: Services, id: string): Promise<ServerView | null> {
  const server = await services.db.prisma.monitoredServer.findUnique({ where: { id }, include: serverInclude });
  return server ? tagged(services, viewOf(server, services.now())) : null;
}

/** Servers loaded per query by getServers: well inside every driver's bound-parameter limit. */
const LOAD_CHUNK = 5_000;

/** Many servers by id with one set-based query per chunk (a sweep that moves thousands at once). */
export async function getServers(services: Services, ids: string[]): Promise<Map<string, ServerView>> {
  const found = new Map<string, ServerView>();
  const now = services.now();
  for (let start = 0; start < ids.length; start += LOAD_CHUNK) {
    const rows = await services.db.prisma.monitoredServer.findMany({ where: { id: { in: ids.slice(start, start + LOAD_CHUNK) } }, include: serverInclude });
    for (const row of rows) found.set(row.id, tagged(services, viewOf(row, now)));
  }
  return found;
}

export async function requireServer(services: Services, id: string): Promise<ServerView> {
  const server = await getServer(services, id);
  if (!server) throw new ServiceError('NOT_FOUND', `no server with id "${id}"`);
  return server;
}

export async function addServer(services: Services, rawInput: unknown): Promise<ServerView> {
  const input = parseInput(addServerInputSchema, rawInput);
  const now = services.now();
  const created = await services.db.prisma.monitoredServer
    .create({
      data: {
        identifier: input.identifier,
        name: input.name ?? input.identifier,
        createdAt: now,
        // Uptime's starting point: time before registration, and while PENDING, is not counted.
        statusChanges: { create: { fromStatus: null, toStatus: 'PENDING', at: now, cause: 'REGISTERED' } },
        ...(input.intervalSeconds != null ? { intervalSeconds: input.intervalSeconds } : {}),
        ...(input.graceSeconds != null ? { graceSeconds: input.graceSeconds } : {}),
        ...(input.tags?.length ? { tags: { createMany: { data: input.tags.map((tag) => ({ tag })) } } } : {}),
      },
      include: serverInclude,
    })
    .catch((error) => {
      throw fromPrismaError(error, { conflict: `identifier: a server with identifier "${input.identifier}" already exists` });
    });
  services.tags.set(created.id, input.tags ?? []);
  const view = tagged(services, viewOf(created, services.now()));
  announce(services.pubsub, { server: view, events: [{ type: 'SERVER_ADDED', serverId: view.id, identifier: view.identifier, at: services.now(), status: view.status }] });
  return view;
}

export async function updateServer(services: Services, rawInput: unknown): Promise<ServerView> {
  const input = parseInput(updateServerInputSchema, rawInput);
  const { prisma } = services.db;
  const now = services.now();
  let statusChange: { from: StoredStatus; to: StoredStatus } | null = null;
  const updated = await prisma.$transaction(async (tx) => {
    const server = await tx.monitoredServer.findUnique({ where: { id: input.id }, include: { state: true } });
    if (!server) throw new ServiceError('NOT_FOUND', `no server with id "${input.id}"`);
    const intervalSeconds = input.intervalSeconds ?? server.intervalSeconds;
    const graceSeconds = input.graceSeconds ?? server.graceSeconds;
    if (server.state) {
      // The thresholds of the current silence follow the new interval and grace at once, and so
      // does the announced status (the sweeper only ever moves a server towards OFFLINE).
      const next = thresholds(server.state.lastSeenAt, intervalSeconds, graceSeconds);
      const status = statusAt(next, now) as StoredStatus;
      await tx.serverState.update({ where: { serverId: server.id }, data: { ...next, status } });
      if (status !== server.state.status) {
        statusChange = { from: server.state.status as StoredStatus, to: status };
        await tx.statusChange.create({ data: { serverId: server.id, fromStatus: server.state.status, toStatus: status, at: now, cause: 'THRESHOLDS_CHANGED' } });
      }
    }
    if (input.tags) await writeServerTags(tx, server.id, input.tags);
    return tx.monitoredServer.update({
      where: { id: input.id },
      data: { ...(input.name != null ? { name: input.name } : {}), intervalSeconds, graceSeconds },
      include: serverInclude,
    });
  });
  if (input.tags) services.tags.set(updated.id, input.tags);
  const view = tagged(services, viewOf(updated, now));
  const base = { serverId: view.id, identifier: view.identifier, at: now };
  const events: FleetEvent[] = [{ ...base, type: 'SERVER_UPDATED', status: view.status }];
  const change = statusChange as { from: StoredStatus; to: StoredStatus } | null;
  if (change) events.push({ ...base, type: 'STATUS_CHANGED', previousStatus: change.from, status: change.to });
  announce(services.pubsub, { server: view, events });
  return view;
}

/** Deletes the server and, by ON DELETE CASCADE, its keys, state and history in one statement. */
export async function deleteServer(services: Services, id: string): Promise<{ deletedServerId: string; identifier: string }> {
  const deleted = await services.db.prisma.monitoredServer.delete({ where: { id }, select: { id: true, identifier: true } }).catch((error) => {
    throw fromPrismaError(error, { notFound: `no server with id "${id}"` });
  });
  announce(services.pubsub, { events: [{ type: 'SERVER_DELETED', serverId: deleted.id, identifier: deleted.identifier, at: services.now() }] });
  return { deletedServerId: deleted.id, identifier: deleted.identifier };
}

export interface ListServersArgs {
  status?: ServerStatus | null;
  search?: string | null;
  /** Servers carrying every one of these tags. */
  tags?: readonly string[] | null;
  /** Keyset pagination by identifier. */
  afterIdentifier?: string | null;
  beforeIdentifier?: string | null;
  limit: number;
  inverted?: boolean;
}

function statusWhere(status: ServerStatus, now: Date) {
  switch (status) {
    case 'PENDING':
      return { state: { is: null } };
    case 'ONLINE':
      return { state: { is: { lateAt: { gt: now }, offlineAt: { gt: now } } } };
    case 'LATE':
      return { state: { is: { lateAt: { lte: now }, offlineAt: { gt: now } } } };
    case 'OFFLINE':
      return { state: { is: { offlineAt: { lte: now } } } };
  }
}

export function serverFilter(services: Services, args: Pick<ListServersArgs, 'status' | 'search' | 'tags'>) {
  const search = args.search?.trim();
  // PostgreSQL's LIKE is case-sensitive; SQLite's already ignores ASCII case and rejects `mode`.
  const mode = services.db.provider === 'postgres' ? ({ mode: 'insensitive' } as const) : {};
  return {
    AND: [
      args.status ? statusWhere(args.status, services.now()) : {},
      search ? { OR: [{ identifier: { contains: search, ...mode } }, { name: { contains: search, ...mode } }] } : {},
      ...(args.tags ?? []).map((tag) => ({ tags: { some: { tag } } })),
    ],
  };
}

export async function listServers(services: Services, args: ListServersArgs): Promise<ServerView[]> {
  const where = serverFilter(services, args);
  const cursor = args.afterIdentifier ? { identifier: { gt: args.afterIdentifier } } : args.beforeIdentifier ? { identifier: { lt: args.beforeIdentifier } } : {};
  const rows = await services.db.prisma.monitoredServer.findMany({
    where: { AND: [where, cursor] },
    orderBy: { identifier: args.inverted ? 'desc' : 'asc' },
    take: args.limit,
    include: serverInclude,
  });
  const now = services.now();
  return rows.map((row) => tagged(services, viewOf(row, now)));
}

export async function countServers(services: Services, args: Pick<ListServersArgs, 'status' | 'search' | 'tags'>): Promise<number> {
  return services.db.prisma.monitoredServer.count({ where: serverFilter(services, args) });
}

