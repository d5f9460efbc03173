// Starts a real HarborForge server on a free port with a fresh SQLite file (or the PostgreSQL
// URL given), plus the small factories tests use: createServer(), issueKey(), heartbeat().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestServer extends RunningServer {
  dataDir: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
  rest(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  createServer(identifier?: string, extra?: Record<string, unknown>): Promise<{ id: string; identifier: string }>;
  issueKey(serverId: string): Promise<string>;
  heartbeat(apiKey: string, body: Record<string, unknown>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

let counter = 0;
export const uniqueIdentifier = (stem = 'srv') => `${stem}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'harborforge-test-'));
  const server = await startServer({ port: 0, host: '127.0.0.1', adminToken: ADMIN_TOKEN, logLevel: 'silent', web: false, ...options, dataDir });

  const gql: TestServer['gql'] = async (query, variables, token = ADMIN_TOKEN) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return response.json() as Promise<any>;
  };

  const rest: TestServer['rest'] = async (method, path, { body, token = ADMIN_TOKEN, headers = {} } = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed };
  };

  return Object.assign(server, {
    dataDir,
    gql,
    rest,
    async createServer(identifier = uniqueIdentifier(), extra: Record<string, unknown> = {}) {
      const result = await gql(`mutation ($input: AddServerInput!) { addServer(input: $input) { server { id identifier } } }`, {
        input: { identifier, name: `Test ${identifier}`, ...extra },
      });
      if (result.errors) throw new Error(`addServer failed: ${result.errors[0]!.message}`);
      return result.data.addServer.server;
    },
    async issueKey(serverId: string) {
      const result = await gql(`mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id: serverId });
      if (result.errors) throw new Error(`generateApiKey failed: ${result.errors[0]!.message}`);
      return result.data.generateApiKey.apiKey as string;
    },
    heartbeat(apiKey: string, body: Record<string, unknown>) {
      return rest('POST', '/monitor/server/heartbeat-v2', { body, token: null, headers: { 'x-api-key': apiKey } });
    },
    async stop() {
      await server.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** The seed sidecar's body, complete. */
export function seedHeartbeat(identifier: string, overrides: Record<string, unknown> = {}) {
  return {
    identifier,
    openclaw_version: '2026.9.6',
    plugin_version: '0.1.0',
    agents: ['alpha', { id: 'beta', name: 'Beta' }],
    cpu_pct: 12.5,
    mem_pct: 41.2,
    disk_pct: 63,
    swap_pct: 0,
    load_avg: [0.42, 0.35, 0.3],
    uptime_seconds: 86_400,
    ...overrides,
  };
}

export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, { timeoutMs = 10_000, everyMs = 50, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
