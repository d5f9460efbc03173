// Admin operations, all through the public GraphQL contract with the tab's admin token.
import type { Totals, WindowQuery } from '../shared/fleet-window.ts';
import type { ServerStatus } from '../shared/format.ts';
import { request } from '../shared/graphql.ts';
import type { WindowSource } from '../shared/useFleetWindow.ts';
import { filterVariables, overviewSource } from '../status/overview.ts';

export interface ApiKeyInfo {
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  active: boolean;
}

export interface Server {
  id: string;
  identifier: string;
  name: string;
  createdAt: string;
  status: ServerStatus;
  lastSeenAt: string | null;
  intervalSeconds: number;
  graceSeconds: number;
  openclawVersion: string | null;
  pluginVersion: string | null;
  apiKey: ApiKeyInfo | null;
}

export type FleetEventType =
  | 'SERVER_ADDED'
  | 'SERVER_UPDATED'
  | 'SERVER_DELETED'
  | 'STATUS_CHANGED'
  | 'API_KEY_GENERATED'
  | 'API_KEY_REVOKED'
  | 'REBOOTED';

export interface FleetEvent {
  type: FleetEventType;
  serverId: string;
  identifier: string;
  at: string;
  status: ServerStatus | null;
  previousStatus: ServerStatus | null;
}

const SERVER_FIELDS = `
  fragment AdminServerFields on Server {
    id identifier name createdAt status lastSeenAt intervalSeconds graceSeconds openclawVersion pluginVersion
    apiKey { prefix createdAt lastUsedAt revokedAt active }
  }`;

const VIEWER = `query AdminViewer { viewer { role } }`;
const SERVER = `query AdminServer($id: ID!) { server(id: $id) { ...AdminServerFields } } ${SERVER_FIELDS}`;
const ADD = `mutation AdminAddServer($input: AddServerInput!) { addServer(input: $input) { server { ...AdminServerFields } } } ${SERVER_FIELDS}`;
const DELETE = `mutation AdminDeleteServer($id: ID!) { deleteServer(id: $id) { deletedServerId } }`;
const GENERATE = `mutation AdminGenerateApiKey($serverId: ID!) {
  generateApiKey(serverId: $serverId) { apiKey server { ...AdminServerFields } }
} ${SERVER_FIELDS}`;
const REVOKE = `mutation AdminRevokeApiKey($serverId: ID!) { revokeApiKey(serverId: $serverId) { server { ...AdminServerFields } } } ${SERVER_FIELDS}`;

// A block of the list: the row before it (its cursor) comes from the overview's offset paging,
// the rows with their admin fields from `servers` after that cursor; count, totals and the
// version to follow them with fleetChanges in the same request.
const ANCHOR = `query AdminListAnchor($offset: Int!, $status: [ServerStatus!], $search: String) {
  overview(first: 1, offset: $offset, status: $status, search: $search) { servers { identifier } }
}`;
const BLOCK = `query AdminListBlock($first: Int!, $after: String, $status: ServerStatus, $statuses: [ServerStatus!], $search: String) {
  servers(first: $first, after: $after, status: $status, search: $search) { totalCount edges { node { ...AdminServerFields } } }
  overview(first: 0, status: $statuses, search: $search) { version generatedAt totals { servers online late offline pending } }
} ${SERVER_FIELDS}`;
export const FLEET_EVENTS_SUBSCRIPTION = `subscription AdminFleetEvents {
  fleetEvents { type serverId identifier at status previousStatus }
}`;

export async function fetchRole(token: string): Promise<string> {
  const data = await request<{ viewer: { role: string } }>(VIEWER, {}, token);
  return data.viewer.role;
}

type BlockAnswer = {
  servers: { totalCount: number; edges: Array<{ node: Server }> };
  overview: { version: string; generatedAt: string; totals: Totals };
};

/** The admin list's rows: a block by offset with every admin field, followed live by fleetChanges. */
export function adminListSource(token: string, onServerTime: (iso: string) => void): WindowSource<Server> {
  const live = overviewSource(() => token, onServerTime);
  return {
    async fetchBlock(query: WindowQuery, offset: number, size: number) {
      const filter = filterVariables(query);
      let after: string | null = null;
      if (offset > 0) {
        const anchor = await request<{ overview: { servers: Array<{ identifier: string }> } }>(ANCHOR, { offset: offset - 1, ...filter }, token);
        after = anchor.overview.servers[0]?.identifier ?? null;
        if (after === null) offset = 0; // the list got shorter than the view: start over from its top
      }
      const answer = await request<BlockAnswer>(BLOCK, { first: size, after, status: query.status, statuses: filter.status, search: filter.search }, token);
      onServerTime(answer.overview.generatedAt);
      return {
        offset,
        servers: answer.servers.edges.map((edge) => edge.node),
        matching: answer.servers.totalCount,
        totals: answer.overview.totals,
        version: answer.overview.version,
      };
    },
    // fleetChanges rows carry the telemetry fields only; applyChanges merges them into the held rows.
    subscribe: live.subscribe as unknown as WindowSource<Server>['subscribe'],
  };
}

export async function fetchServer(token: string, id: string): Promise<Server | null> {
  return (await request<{ server: Server | null }>(SERVER, { id }, token)).server;
}

export interface AddServerInput {
  identifier: string;
  name?: string;
  intervalSeconds?: number;
  graceSeconds?: number;
}

export async function addServer(token: string, input: AddServerInput): Promise<Server> {
  return (await request<{ addServer: { server: Server } }>(ADD, { input }, token)).addServer.server;
}

export async function deleteServer(token: string, id: string): Promise<string> {
  return (await request<{ deleteServer: { deletedServerId: string } }>(DELETE, { id }, token)).deleteServer.deletedServerId;
}

export async function generateApiKey(token: string, serverId: string): Promise<{ apiKey: string; server: Server }> {
  return (await request<{ generateApiKey: { apiKey: string; server: Server } }>(GENERATE, { serverId }, token)).generateApiKey;
}

export async function revokeApiKey(token: string, serverId: string): Promise<Server> {
  return (await request<{ revokeApiKey: { server: Server } }>(REVOKE, { serverId }, token)).revokeApiKey.server;
}

/** The plugin configuration block for ~/.openclaw/openclaw.json, ready to paste. */
export function openclawConfig(origin: string, apiKey: string, server: Pick<Server, 'identifier' | 'intervalSeconds'>): string {
  const config = {
    plugins: {
      entries: {
        'harborforge-monitor': {
          enabled: true,
          config: { backendUrl: origin, apiKey, identifier: server.identifier, intervalSec: server.intervalSeconds || 30 },
        },
      },
    },
  };
  return JSON.stringify(config, null, 2);
}
