// The real HarborForge backend for the plugin's end-to-end tests, driven through its admin REST
// API the way an administrator's tools would (register a server, issue and revoke its key).
// The server itself comes from the shared test helper (fresh SQLite file, admin token).
import { startTestServer } from '../helpers/server.ts';

export interface RestServer {
  id: string;
  identifier: string;
  name: string | null;
  status: 'PENDING' | 'ONLINE' | 'LATE' | 'OFFLINE';
  last_seen_at: string | null;
  openclaw_version: string | null;
  plugin_version: string | null;
  agents: Array<{ id: string; name: string }> | null;
  cpu_pct: number | null;
  mem_pct: number | null;
  disk_pct: number | null;
  swap_pct: number | null;
  load_avg: unknown;
  uptime_seconds: number | null;
  [key: string]: unknown;
}

export interface Backend {
  url: string;
  addServer(identifier: string, name?: string): Promise<RestServer>;
  generateKey(serverId: string): Promise<{ api_key: string; prefix: string; server_id: string }>;
  revokeKey(serverId: string): Promise<void>;
  getServer(serverId: string): Promise<RestServer>;
  waitForServer(serverId: string, accept: (s: RestServer) => boolean, timeoutMs: number, what: string): Promise<RestServer>;
  close(): Promise<void>;
}

export async function startBackend(): Promise<Backend> {
  const server = await startTestServer();

  async function admin<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await server.rest(method, route, body === undefined ? {} : { body });
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${route} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  }

  async function getServer(serverId: string): Promise<RestServer> {
    const { servers } = await admin<{ servers: RestServer[] }>('GET', '/monitor/admin/servers');
    const found = servers.find((s) => s.id === serverId);
    if (!found) throw new Error(`server ${serverId} is not in GET /monitor/admin/servers`);
    return found;
  }

  return {
    url: server.url,
    addServer: (identifier, name = identifier) => admin<RestServer>('POST', '/monitor/admin/servers', { identifier, name }),
    generateKey: (serverId) => admin('POST', `/monitor/admin/servers/${encodeURIComponent(serverId)}/api-key`),
    revokeKey: async (serverId) => {
      await admin('DELETE', `/monitor/admin/servers/${encodeURIComponent(serverId)}/api-key`);
    },
    getServer,
    async waitForServer(serverId, accept, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      let last: RestServer | undefined;
      while (Date.now() < deadline) {
        last = await getServer(serverId);
        if (accept(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    },
    close: () => server.stop(),
  };
}
