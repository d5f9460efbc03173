// A PostgreSQL outage through a TCP proxy that the test cuts and restores: heartbeats answer 503 +
// Retry-After, GraphQL SERVICE_UNAVAILABLE, admin REST 503, /readyz 503; after the database returns
// everything works without a restart, nothing acknowledged is lost, the outage is recorded in
// backend_downtime, and silence counts from the recovery (no wave of false LATE/OFFLINE).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackendDowntime } from '../../src/db/backend-downtime.ts';
import { freshPostgresSchema, postgresAvailable, POSTGRES_URL } from '../helpers/services.ts';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { subscribeWs, wsClient } from '../helpers/subscriptions.ts';
import { hostAndPort, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const hasPostgres = await postgresAvailable();

describe.skipIf(!hasPostgres)('PostgreSQL outage', () => {
  let proxy: TcpProxy;
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let server: TestServer;
  let clock = Date.now();
  beforeAll(async () => {
    proxy = await startTcpProxy(hostAndPort(POSTGRES_URL, 5432));
    schema = await freshPostgresSchema('outage');
    server = await startTestServer({ databaseUrl: proxy.through(schema.url), now: () => new Date(clock), statusSweepMs: 50, databaseProbeMs: 100 });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await schema?.drop();
  });

  it('answers 503 while the database is unreachable, heals without a restart, and blames no server for the outage', async () => {
    const resuming = await server.createServer(undefined, { intervalSeconds: 5, graceSeconds: 3 });
    const silent = await server.createServer(undefined, { intervalSeconds: 5, graceSeconds: 3 });
    const resumingKey = await server.issueKey(resuming.id);
    const silentKey = await server.issueKey(silent.id);
    for (const [key, identifier] of [[resumingKey, resuming.identifier], [silentKey, silent.identifier]] as const) {
      expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    }
    const events = subscribeWs(wsClient(server.url, ADMIN_TOKEN), `subscription { fleetEvents { type serverId status previousStatus } }`);
    const statusChanges = () => events.received.filter((p: any) => p.data?.fleetEvents.type === 'STATUS_CHANGED').map((p: any) => p.data.fleetEvents);
    await new Promise((r) => setTimeout(r, 300));

    clock += 1_000;
    const cutAt = clock;
    proxy.cut();
    const refused = await server.heartbeat(resumingKey, seedHeartbeat(resuming.identifier));
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });
    const raw = await fetch(`${server.url}/monitor/server/heartbeat-v2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': resumingKey },
      body: JSON.stringify(seedHeartbeat(resuming.identifier)),
    });
    expect(raw.status).toBe(503);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
    const query = await server.gql(`{ servers(first: 5) { edges { node { id } } } }`);
    expect(query.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const admin = await fetch(`${server.url}/monitor/admin/servers`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(admin.status).toBe(503);
    expect(admin.headers.get('retry-after')).toBeTruthy();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    // The public overview is served from memory meanwhile.
    expect((await server.rest('GET', '/monitor/public/overview', { token: null })).status).toBe(200);

    // Down for a minute of the backend's clock: far beyond interval + grace.
    clock += 60_000;
    await new Promise((r) => setTimeout(r, 500));
    const recoveredAt = clock;
    proxy.restore();
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, { what: '/readyz 200 after the database returned' });
    expect(statusChanges()).toEqual([]);
    const resumed = await server.heartbeat(resumingKey, seedHeartbeat(resuming.identifier));
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('ONLINE');
    expect((await server.gql(`{ servers(first: 5) { edges { node { id } } } }`)).errors).toBeUndefined();

    const downtime = await listBackendDowntime(server.app.services.db.prisma, new Date(cutAt - 1), new Date(recoveredAt + 1));
    expect(downtime.map(({ startedAt, endedAt, cause }) => ({ startedAt: startedAt.getTime(), endedAt: endedAt?.getTime(), cause }))).toEqual([
      { startedAt: cutAt, endedAt: recoveredAt, cause: 'DATABASE' },
    ]);

    // Nothing acknowledged was lost: 2 before the outage (one each) + 1 after for the resuming server.
    const counts = await server.gql(`query ($a: ID!, $b: ID!) { a: server(id: $a) { heartbeatCount } b: server(id: $b) { heartbeatCount } }`, { a: resuming.id, b: silent.id });
    expect(counts.data).toEqual({ a: { heartbeatCount: 2 }, b: { heartbeatCount: 1 } });

    // The resuming server keeps reporting; the silent one goes LATE at recovery + 1.5 x interval
    // and OFFLINE at recovery + interval + grace.
    clock = recoveredAt + 5_000;
    expect((await server.heartbeat(resumingKey, seedHeartbeat(resuming.identifier))).body.status).toBe('ONLINE');
    clock = recoveredAt + 7_400;
    await new Promise((r) => setTimeout(r, 300));
    expect(statusChanges()).toEqual([]);
    clock = recoveredAt + 7_600;
    await waitFor(() => statusChanges().length === 1, { what: 'LATE of the silent server' });
    clock = recoveredAt + 8_100;
    await waitFor(() => statusChanges().length === 2, { what: 'OFFLINE of the silent server' });
    await new Promise((r) => setTimeout(r, 300));
    expect(statusChanges()).toEqual([
      { type: 'STATUS_CHANGED', serverId: silent.id, previousStatus: 'ONLINE', status: 'LATE' },
      { type: 'STATUS_CHANGED', serverId: silent.id, previousStatus: 'LATE', status: 'OFFLINE' },
    ]);
    await events.close();
  }, 60_000);
});
