// The real HarborForge backend for the plugin's end-to-end tests, driven through its admin REST
// API the way an administrator's tools would (register a server, issue and revoke its key).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer } from '../../src/server.ts';

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
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hf-plugin-e2e-'));
  const adminToken = `e2e-admin-${randomBytes(16).toString('hex')}`;
  const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', adminToken, logLevel: 'silent' });

  async function admin<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${server.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
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
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
