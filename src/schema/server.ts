import { subscriptionArgs } from './subscription-args.ts';
import { resolveCursorConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.ts';
import { SERVER_STATUSES } from '../services/status.ts';
import { addServer, countServers, deleteServer, getServer, listServers, updateServer, type ListServersArgs } from '../services/servers.ts';

type ListFilter = Pick<ListServersArgs, 'status' | 'search' | 'tags'>;
import type { Agent, ApiKeyView, ServerView } from '../services/views.ts';
import { overviewTagsVisible } from '../services/overview.ts';

export const ServerStatusEnum = builder.enumType('ServerStatus', {
  values: SERVER_STATUSES,
  description: 'PENDING until the first heartbeat; ONLINE while the last is at most 1.5 x interval old; LATE until interval + grace; OFFLINE after.',
});

export const AgentRef = builder.objectRef<Agent>('Agent').implement({
  description: 'An OpenClaw agent configured on the server.',
  fields: (t) => ({ id: t.exposeString('id'), name: t.exposeString('name') }),
});

export const ApiKeyInfoRef = builder.objectRef<ApiKeyView>('ApiKeyInfo').implement({
  description: "Public facts about a server's newest API key. The key itself is never returned after generateApiKey.",
  fields: (t) => ({
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to tell keys apart.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Updated at most once a minute.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    active: t.exposeBoolean('active'),
  }),
});

/** The telemetry fields shared by Server and OverviewServer. */
function telemetryFields(t: PothosSchemaTypes.ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<any>, ServerView>) {
  return {
    id: t.exposeID('id'),
    identifier: t.exposeString('identifier'),
    name: t.exposeString('name'),
    status: t.expose('status', { type: ServerStatusEnum }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
    openclawVersion: t.exposeString('openclawVersion', { nullable: true }),
    pluginVersion: t.exposeString('pluginVersion', { nullable: true }),
    agents: t.expose('agents', { type: [AgentRef] }),
    cpuPct: t.exposeFloat('cpuPct', { nullable: true }),
    memPct: t.exposeFloat('memPct', { nullable: true }),
    diskPct: t.exposeFloat('diskPct', { nullable: true }),
    swapPct: t.exposeFloat('swapPct', { nullable: true }),
    loadAvg: t.exposeFloatList('loadAvg', { nullable: true, description: 'Load average over 1, 5 and 15 minutes (as many as reported).' }),
    uptimeSeconds: t.exposeFloat('uptimeSeconds', { nullable: true }),
  };
}

export const OverviewServerRef = builder.objectRef<ServerView>('OverviewServer').implement({
  description: 'A server as the public overview shows it.',
  fields: (t) => ({
    ...telemetryFields(t as any),
    tags: t.stringList({
      nullable: true,
      description: 'Its tags; null for a caller without a token unless PUBLIC_OVERVIEW_TAGS=true (tags are internal labels).',
      resolve: (server, _args, { services, session, config }) => (overviewTagsVisible(session, config.publicOverviewTags) ? [...services.tags.get(server.id)] : null),
    }),
  }),
});

export const ServerRef = builder.objectRef<ServerView>('Server').implement({
  fields: (t) => ({
    ...telemetryFields(t as any),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    intervalSeconds: t.exposeInt('intervalSeconds', { description: 'Expected heartbeat interval.' }),
    graceSeconds: t.exposeInt('graceSeconds', { description: 'How long after the interval a silent server stays LATE before OFFLINE.' }),
    heartbeatCount: t.exposeInt('heartbeatCount'),
    apiKey: t.expose('apiKey', { type: ApiKeyInfoRef, nullable: true }),
    tags: t.stringList({
      description: 'Labels that alert rules, silences and filters select servers by.',
      resolve: (server, _args, { services }) => [...(server.tags ?? services.tags.get(server.id))],
    }),
  }),
});

builder.queryFields((t) => ({
  servers: t.connection(
    {
      type: ServerRef,
      authScopes: { reader: true },
      description: 'All servers ordered by identifier, optionally filtered by status or a search in identifier and name.',
      args: {
        status: t.arg({ type: ServerStatusEnum, required: false }),
        search: t.arg.string({ required: false }),
        tags: t.arg.stringList({ required: false, description: 'Only servers carrying every one of these tags.' }),
      },
      resolve: async (_root, args, { services }) => {
        const filter = { status: args.status, search: args.search, tags: args.tags };
        const connection = await resolveCursorConnection<Promise<ServerView[]>>(
          { args, toCursor: (server) => (server as ServerView).identifier, defaultSize: 50, maxSize: 500 },
          (page) =>
            listServers(services, {
              ...filter,
              afterIdentifier: page.after,
              beforeIdentifier: page.before,
              limit: page.limit,
              inverted: page.inverted,
            }),
        );
        // totalCount below counts with the same filters.
        return Object.assign(connection!, { filter });
      },
    },
    {
      fields: (conn) => ({
        totalCount: conn.int({
          description: 'Servers matching the filters, on all pages.',
          resolve: (connection, _args, { services }) => countServers(services, (connection as unknown as { filter: ListFilter }).filter),
        }),
      }),
    },
  ),
  server: t.field({
    type: ServerRef,
    nullable: true,
    authScopes: { reader: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => getServer(services, String(id)),
  }),
}));

const AddServerInput = builder.inputType('AddServerInput', {
  fields: (t) => ({
    identifier: t.string({ required: true, description: 'What the sidecar sends as `identifier` (e.g. the host name). Unique.' }),
    name: t.string({ description: 'Display name; defaults to the identifier.' }),
    intervalSeconds: t.int({ description: 'Expected heartbeat interval (default 30).' }),
    graceSeconds: t.int({ description: 'LATE → OFFLINE grace after the interval (default 60).' }),
    tags: t.stringList({ description: 'Labels for alert scoping and filters.' }),
  }),
});

const UpdateServerInput = builder.inputType('UpdateServerInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    intervalSeconds: t.int(),
    graceSeconds: t.int(),
    tags: t.stringList({ description: "Replaces the server's tags; omitted keeps them." }),
  }),
});

const ServerPayload = (name: string) =>
  builder.objectRef<{ server: ServerView }>(name).implement({ fields: (t) => ({ server: t.expose('server', { type: ServerRef }) }) });
const AddServerPayload = ServerPayload('AddServerPayload');
const UpdateServerPayload = ServerPayload('UpdateServerPayload');

const DeleteServerPayload = builder.objectRef<{ deletedServerId: string }>('DeleteServerPayload').implement({
  fields: (t) => ({ deletedServerId: t.exposeID('deletedServerId') }),
});

builder.mutationFields((t) => ({
  addServer: t.field({
    type: AddServerPayload,
    authScopes: { admin: true },
    args: { input: t.arg({ type: AddServerInput, required: true }) },
    resolve: async (_root, { input }, { services }) => ({ server: await addServer(services, input) }),
  }),
  updateServer: t.field({
    type: UpdateServerPayload,
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateServerInput, required: true }) },
    resolve: async (_root, { input }, { services }) => ({ server: await updateServer(services, { ...input, id: String(input.id) }) }),
  }),
  deleteServer: t.field({
    type: DeleteServerPayload,
    authScopes: { admin: true },
    description: "Deletes the server with its key, latest state and heartbeat history.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => deleteServer(services, String(id)),
  }),
}));

builder.subscriptionFields((t) => ({
  serverUpdated: t.field({
    type: ServerRef,
    authScopes: { reader: true },
    description: 'Every heartbeat and change of one server, or of every server when id is omitted.',
    args: { id: t.arg.id({ required: false }) },
    // Arguments read from the field node: graphql-jit passes the operation's variables here.
    subscribe: (_root, _jitArgs, { services }, info) => {
      const { id } = subscriptionArgs<{ id?: string | null }>(info);
      return id ? services.pubsub.subscribe('server:updated:by-id', String(id)) : services.pubsub.subscribe('server:updated');
    },
    resolve: (server) => server,
  }),
}));
