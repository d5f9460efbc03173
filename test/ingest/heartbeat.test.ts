// POST /monitor/server/heartbeat-v2 over real HTTP: what is accepted, every rejection code, and
// that nothing is stored from a rejected request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';

describe('heartbeat-v2', () => {
  let server: TestServer;
  let serverId: string;
  let identifier: string;
  let apiKey: string;

  const historyCount = () => server.app.services.db.prisma.heartbeat.count();
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${server.url}/monitor/server/heartbeat-v2`, { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }));

  beforeAll(async () => {
    server = await startTestServer();
    ({ id: serverId, identifier } = await server.createServer());
    apiKey = await server.issueKey(serverId);
  });
  afterAll(() => server?.stop());

  it("accepts the seed sidecar's body, makes the server ONLINE and stores state and history", async () => {
    const before = await historyCount();
    const reply = await server.heartbeat(apiKey, seedHeartbeat(identifier));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ ok: true, server_id: serverId, status: 'ONLINE' });
    expect(await historyCount()).toBe(before + 1);
    const { data } = await server.gql(`query ($id: ID!) { server(id: $id) { status lastSeenAt openclawVersion pluginVersion agents { id name } cpuPct memPct diskPct swapPct loadAvg uptimeSeconds heartbeatCount } }`, { id: serverId });
    expect(data.server).toMatchObject({
      status: 'ONLINE',
      openclawVersion: '2026.9.6',
      pluginVersion: '0.1.0',
      agents: [{ id: 'alpha', name: 'alpha' }, { id: 'beta', name: 'Beta' }],
      cpuPct: 12.5,
      memPct: 41.2,
      diskPct: 63,
      swapPct: 0,
      loadAvg: [0.42, 0.35, 0.3],
      uptimeSeconds: 86_400,
    });
    expect(Date.now() - Date.parse(data.server.lastSeenAt)).toBeLessThan(5_000);
  });

  it('accepts missing and null metrics, a single load number, and ignores unknown fields', async () => {
    const reply = await server.heartbeat(apiKey, { identifier, cpu_pct: null, load_avg: 1.5, future_field: { x: 1 } });
    expect(reply.status).toBe(200);
    const { data } = await server.gql(`query ($id: ID!) { server(id: $id) { cpuPct loadAvg memPct } }`, { id: serverId });
    expect(data.server).toEqual({ cpuPct: null, loadAvg: [1.5], memPct: null });
  });

  it.each([
    [{ cpu_pct: 100.5 }, 'cpu_pct'],
    [{ mem_pct: -1 }, 'mem_pct'],
    [{ disk_pct: '50' }, 'disk_pct'],
    [{ swap_pct: true }, 'swap_pct'],
    [{ load_avg: [1, 2, 3, 4] }, 'load_avg'],
    [{ load_avg: -0.5 }, 'load_avg'],
    [{ uptime_seconds: -3 }, 'uptime_seconds'],
    [{ agents: 'alpha' }, 'agents'],
    [{ agents: [{ name: 'no id' }] }, 'agents'],
    [{ openclaw_version: 42 }, 'openclaw_version'],
    [{ identifier: undefined }, 'identifier'],
    [{ identifier: '' }, 'identifier'],
  ])('refuses %o with 400 naming the field, storing nothing', async (override, field) => {
    const before = await historyCount();
    const reply = await server.heartbeat(apiKey, seedHeartbeat(identifier, override));
    expect(reply.status).toBe(400);
    expect(reply.body.message).toMatch(new RegExp(`(^|; )${field}(\\.|:)`));
    expect(await historyCount()).toBe(before);
  });

  it('refuses a body that is not JSON or not an object with 400', async () => {
    expect((await post('{"identifier":', { 'content-type': 'application/json', 'x-api-key': apiKey })).status).toBe(400);
    expect((await post('[1,2]', { 'content-type': 'application/json', 'x-api-key': apiKey })).status).toBe(400);
  });

  it('refuses a missing, unknown, replaced or revoked key with 401, storing nothing', async () => {
    const before = await historyCount();
    const body = JSON.stringify(seedHeartbeat(identifier));
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post(body, { 'content-type': 'application/json', 'x-api-key': 'hfm_unknown' })).status).toBe(401);

    const other = await server.createServer();
    const oldKey = await server.issueKey(other.id);
    const newKey = await server.issueKey(other.id);
    expect((await server.heartbeat(oldKey, seedHeartbeat(other.identifier))).status).toBe(401);
    expect((await server.heartbeat(newKey, seedHeartbeat(other.identifier))).status).toBe(200);
    await server.gql(`mutation ($id: ID!) { revokeApiKey(serverId: $id) { server { id } } }`, { id: other.id });
    const revoked = await server.heartbeat(newKey, seedHeartbeat(other.identifier));
    expect(revoked.status).toBe(401);
    expect(revoked.body.message).toMatch(/revoked/);
    expect(await historyCount()).toBe(before + 1);
  });

  it("refuses with 409 an identifier that is not the key's server", async () => {
    const before = await historyCount();
    const reply = await server.heartbeat(apiKey, seedHeartbeat('someone-else'));
    expect(reply.status).toBe(409);
    expect(reply.body.message).toContain('someone-else');
    expect(await historyCount()).toBe(before);
  });

  it('refuses a body over 64 KiB with 413 and a non-JSON content type with 415', async () => {
    const before = await historyCount();
    const big = JSON.stringify(seedHeartbeat(identifier, { padding: 'x'.repeat(70 * 1024) }));
    expect((await post(big, { 'content-type': 'application/json', 'x-api-key': apiKey })).status).toBe(413);
    const plain = await post(JSON.stringify(seedHeartbeat(identifier)), { 'content-type': 'text/plain', 'x-api-key': apiKey });
    expect(plain.status).toBe(415);
    expect(plain.body.message).toContain('application/json');
    expect(await historyCount()).toBe(before);
  });

  it('commits concurrent heartbeats from many servers, each exactly once (group commit)', async () => {
    const servers = await Promise.all(Array.from({ length: 20 }, () => server.createServer()));
    const keys = await Promise.all(servers.map((s) => server.issueKey(s.id)));
    const before = await historyCount();
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => server.heartbeat(keys[i % 20]!, seedHeartbeat(servers[i % 20]!.identifier, { uptime_seconds: 1000 + i }))),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(await historyCount()).toBe(before + 200);
    const states = await server.app.services.db.prisma.serverState.findMany({ where: { serverId: { in: servers.map((s) => s.id) } } });
    expect(states.map((s) => s.heartbeatCount).sort()).toEqual(Array(20).fill(10));
    // The last heartbeat of each server wins.
    for (const state of states) expect(state.uptimeSeconds).toBeGreaterThanOrEqual(1180);
  });

  it('answers the abandoned challenge endpoints with 410 Gone pointing at the API-key flow', async () => {
    for (const [method, path] of [
      ['GET', '/monitor/public/server-public-key'],
      ['POST', `/monitor/admin/servers/${serverId}/challenge`],
      ['GET', '/monitor/server/ws'],
    ] as const) {
      const reply = await server.rest(method, path);
      expect(reply.status, path).toBe(410);
      expect(reply.body.message).toContain('/monitor/server/heartbeat-v2');
    }
  });
});

describe('heartbeat-v2 when the SQLite writer thread dies', () => {
  it('recovers with a new writer thread; nothing acknowledged is lost', async () => {
    const server = await startTestServer();
    try {
      const { id, identifier } = await server.createServer();
      const key = await server.issueKey(id);
      expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
      await server.app.services.db.store.crashWriterForTest!();
      const after = await server.heartbeat(key, seedHeartbeat(identifier));
      expect(after.status).toBe(200);
      expect(await server.app.services.db.prisma.heartbeat.count({ where: { serverId: id } })).toBe(2);
    } finally {
      await server.stop();
    }
  });
});

describe('heartbeat-v2 rate limit', () => {
  it('answers 429 with Retry-After past the per-key limit, storing nothing, and other keys are unaffected', async () => {
    const server = await startTestServer({ heartbeatRateLimit: 3 });
    try {
      const a = await server.createServer();
      const b = await server.createServer();
      const [keyA, keyB] = [await server.issueKey(a.id), await server.issueKey(b.id)];
      for (let i = 0; i < 3; i++) expect((await server.heartbeat(keyA, seedHeartbeat(a.identifier))).status).toBe(200);
      const response = await fetch(`${server.url}/monitor/server/heartbeat-v2`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': keyA },
        body: JSON.stringify(seedHeartbeat(a.identifier)),
      });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await response.json()) as any).message).toMatch(/more than 3 heartbeats a minute/);
      expect(await server.app.services.db.prisma.heartbeat.count({ where: { serverId: a.id } })).toBe(3);
      expect((await server.heartbeat(keyB, seedHeartbeat(b.identifier))).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
