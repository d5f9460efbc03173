// The seed's REST endpoints end to end, sharing the GraphQL mutations' services.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../../src/services/admin-tokens.ts';
import { seedHeartbeat, startTestServer, uniqueIdentifier, type TestServer } from '../helpers/server.ts';

describe('REST /monitor endpoints', () => {
  let server: TestServer;
  let readOnly: string;
  beforeAll(async () => {
    server = await startTestServer();
    readOnly = (await createAdminToken(server.app.services.db.prisma, { name: 'ro', scope: 'read-only' })).token;
  });
  afterAll(() => server?.stop());

  it('runs the seed operating flow: add, generate key, heartbeat, overview, revoke, delete', async () => {
    const identifier = uniqueIdentifier('rest');
    const added = await server.rest('POST', '/monitor/admin/servers', { body: { identifier, name: 'REST box' } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ identifier, name: 'REST box', status: 'PENDING', last_seen_at: null, interval_seconds: 30, grace_seconds: 60, api_key: null });
    const id = added.body.id;

    const key = await server.rest('POST', `/monitor/admin/servers/${id}/api-key`);
    expect(key.status).toBe(201);
    expect(key.body).toEqual({ api_key: expect.stringMatching(/^hfm_/), prefix: key.body.api_key.slice(0, 12), server_id: id });

    expect((await server.heartbeat(key.body.api_key, seedHeartbeat(identifier))).status).toBe(200);

    const overview = await server.rest('GET', '/monitor/public/overview', { token: null });
    expect(overview.status).toBe(200);
    const entry = overview.body.servers.find((s: any) => s.identifier === identifier);
    expect(entry).toMatchObject({ status: 'ONLINE', cpu_pct: 12.5, load_avg: [0.42, 0.35, 0.3], openclaw_version: '2026.9.6', agents: [{ id: 'alpha', name: 'alpha' }, { id: 'beta', name: 'Beta' }] });
    expect(entry).not.toHaveProperty('api_key');
    expect(overview.body.totals.online).toBeGreaterThanOrEqual(1);

    const list = await server.rest('GET', `/monitor/admin/servers?search=${identifier}`, { token: readOnly });
    expect(list.status).toBe(200);
    expect(list.body.servers).toHaveLength(1);
    expect(list.body.servers[0]).toMatchObject({ id, status: 'ONLINE', api_key: { prefix: key.body.prefix, active: true } });
    expect(JSON.stringify(list.body)).not.toContain(key.body.api_key);
    expect((await server.rest('GET', '/monitor/admin/servers?status=ONLINE', { token: readOnly })).body.servers.map((s: any) => s.id)).toContain(id);

    const revoked = await server.rest('DELETE', `/monitor/admin/servers/${id}/api-key`);
    expect(revoked.status).toBe(200);
    expect((await server.heartbeat(key.body.api_key, seedHeartbeat(identifier))).status).toBe(401);

    const deleted = await server.rest('DELETE', `/monitor/admin/servers/${id}`);
    expect(deleted).toEqual({ status: 200, body: { deleted_server_id: id } });
    expect((await server.rest('DELETE', `/monitor/admin/servers/${id}`)).status).toBe(404);
  });

  it('answers errors with the matching status and a message naming the problem', async () => {
    const identifier = uniqueIdentifier('dup');
    await server.rest('POST', '/monitor/admin/servers', { body: { identifier } });
    expect(await server.rest('POST', '/monitor/admin/servers', { body: { identifier } })).toMatchObject({ status: 409, body: { error: 'CONFLICT' } });
    const bad = await server.rest('POST', '/monitor/admin/servers', { body: { identifier: 'a b', interval_seconds: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/identifier: .*; intervalSeconds: /);
    expect((await server.rest('POST', '/monitor/admin/servers', { body: '{nope' })).status).toBe(400);
    expect((await server.rest('GET', '/monitor/admin/servers?status=SLEEPING')).status).toBe(400);
    expect((await server.rest('POST', '/monitor/admin/servers/missing/api-key')).status).toBe(404);
    expect((await server.rest('PUT', '/monitor/admin/servers')).status).toBe(405);
  });

  it('requires a token (401) and an admin-scope token for changes (403)', async () => {
    expect((await server.rest('GET', '/monitor/admin/servers', { token: null })).status).toBe(401);
    expect((await server.rest('GET', '/monitor/admin/servers', { token: 'bogus-token-bogus' })).status).toBe(401);
    const before = await server.app.services.db.prisma.monitoredServer.count();
    expect((await server.rest('POST', '/monitor/admin/servers', { token: null, body: { identifier: uniqueIdentifier() } })).status).toBe(401);
    expect((await server.rest('POST', '/monitor/admin/servers', { token: readOnly, body: { identifier: uniqueIdentifier() } })).status).toBe(403);
    expect(await server.app.services.db.prisma.monitoredServer.count()).toBe(before);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect(await server.rest('GET', '/healthz', { token: null })).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await server.rest('GET', '/readyz', { token: null })).toEqual({ status: 200, body: { status: 'ready', database: 'sqlite' } });
    const metrics = await server.rest('GET', '/metrics', { token: null });
    expect(metrics.body).toContain('harborforge_heartbeats_accepted_total');
  });

  it('can keep the overview private (PUBLIC_OVERVIEW=false)', async () => {
    const closed = await startTestServer({ publicOverview: false });
    try {
      expect((await closed.rest('GET', '/monitor/public/overview', { token: null })).status).toBe(401);
      expect((await closed.rest('GET', '/monitor/public/overview')).status).toBe(200);
      expect((await closed.gql('{ overview { totals { servers } } }', {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await closed.stop();
    }
  });
});

describe('heartbeat history', () => {
  it('pages through a server\'s heartbeats, newest first', async () => {
    const server = await startTestServer();
    try {
      const { id, identifier } = await server.createServer();
      const key = await server.issueKey(id);
      for (const cpu of [1, 2, 3]) expect((await server.heartbeat(key, seedHeartbeat(identifier, { cpu_pct: cpu }))).status).toBe(200);
      const query = `query ($id: ID!, $after: String) { heartbeats(serverId: $id, first: 2, after: $after) { edges { cursor node { cpuPct loadAvg agents { id } receivedAt } } pageInfo { hasNextPage endCursor } } }`;
      const first = await server.gql(query, { id });
      expect(first.errors).toBeUndefined();
      expect(first.data.heartbeats.edges.map((e: any) => e.node.cpuPct)).toEqual([3, 2]);
      expect(first.data.heartbeats.edges[0].node).toMatchObject({ loadAvg: [0.42, 0.35, 0.3], agents: [{ id: 'alpha' }, { id: 'beta' }] });
      expect(first.data.heartbeats.pageInfo.hasNextPage).toBe(true);
      const second = await server.gql(query, { id, after: first.data.heartbeats.pageInfo.endCursor });
      expect(second.data.heartbeats.edges.map((e: any) => e.node.cpuPct)).toEqual([1]);
      expect((await server.gql(`{ heartbeats(serverId: "${id}") { edges { cursor } } }`, {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await server.stop();
    }
  });
});
