// Admin operations, all through the public GraphQL contract with the tab's admin token.
import type { ServerStatus } from '../shared/format.ts';
import { request } from '../shared/graphql.ts';

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
const SERVERS = `query AdminServers($after: String) {
  servers(first: 100, after: $after) { edges { node { ...AdminServerFields } } pageInfo { hasNextPage endCursor } }
} ${SERVER_FIELDS}`;
const SERVER = `query AdminServer($id: ID!) { server(id: $id) { ...AdminServerFields } } ${SERVER_FIELDS}`;
const ADD = `mutation AdminAddServer($input: AddServerInput!) { addServer(input: $input) { server { ...AdminServerFields } } } ${SERVER_FIELDS}`;
const DELETE = `mutation AdminDeleteServer($id: ID!) { deleteServer(id: $id) { deletedServerId } }`;
const GENERATE = `mutation AdminGenerateApiKey($serverId: ID!) {
  generateApiKey(serverId: $serverId) { apiKey server { ...AdminServerFields } }
} ${SERVER_FIELDS}`;
const REVOKE = `mutation AdminRevokeApiKey($serverId: ID!) { revokeApiKey(serverId: $serverId) { server { ...AdminServerFields } } } ${SERVER_FIELDS}`;

export const SERVER_UPDATED_SUBSCRIPTION = `subscription AdminServerUpdated { serverUpdated { ...AdminServerFields } } ${SERVER_FIELDS}`;
export const FLEET_EVENTS_SUBSCRIPTION = `subscription AdminFleetEvents {
  fleetEvents { type serverId identifier at status previousStatus }
}`;

export async function fetchRole(token: string): Promise<string> {
  const data = await request<{ viewer: { role: string } }>(VIEWER, {}, token);
  return data.viewer.role;
}

/** Every server, page by page: the admin list filters and updates client-side. */
export async function fetchAllServers(token: string): Promise<Server[]> {
  const all: Server[] = [];
  let after: string | null = null;
  for (;;) {
    type Page = { servers: { edges: Array<{ node: Server }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const page: Page = await request<Page>(SERVERS, { after }, token);
    all.push(...page.servers.edges.map((edge) => edge.node));
    if (!page.servers.pageInfo.hasNextPage || !page.servers.pageInfo.endCursor) return all;
    after = page.servers.pageInfo.endCursor;
  }
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
