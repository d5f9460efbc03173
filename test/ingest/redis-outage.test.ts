// A Redis outage through a TCP proxy between instance A and Redis (B reaches Redis directly): A
// keeps ingesting and serving its own subscribers; when Redis returns, cross-instance events
// resume and both overviews resynchronise at once (not at the next periodic reload).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresSchema, postgresAvailable, redisAvailable, REDIS_URL } from '../helpers/services.ts';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { subscribeWs, wsClient } from '../helpers/subscriptions.ts';
import { hostAndPort, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const available = (await postgresAvailable()) && (await redisAvailable());

describe.skipIf(!available)('Redis outage', () => {
  let proxy: TcpProxy;
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    proxy = await startTcpProxy(hostAndPort(REDIS_URL, 6379));
    schema = await freshPostgresSchema('redisout');
    const redisPrefix = `hf-test-redisout-${process.pid}-${Date.now()}:`;
    a = await startTestServer({ databaseUrl: schema.url, redisUrl: proxy.through(REDIS_URL), redisPrefix });
    b = await startTestServer({ databaseUrl: schema.url, redisUrl: REDIS_URL, redisPrefix });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    await schema?.drop();
  });

  const cpuInOverview = async (server: TestServer, identifier: string) => {
    const result = await server.gql(`{ overview { servers { identifier cpuPct } } }`, undefined, null);
    return result.data.overview.servers.find((s: any) => s.identifier === identifier)?.cpuPct;
  };

  it('keeps ingesting and serving its own subscribers, then resumes and resynchronises on reconnect', async () => {
    const x = await a.createServer();
    const y = await a.createServer();
    const xKey = await a.issueKey(x.id);
    const yKey = await a.issueKey(y.id);
    const onA = subscribeWs(wsClient(a.url, ADMIN_TOKEN), `subscription { serverUpdated { identifier cpuPct } }`);
    const onB = subscribeWs(wsClient(b.url, ADMIN_TOKEN), `subscription { serverUpdated { identifier cpuPct } }`);
    await new Promise((r) => setTimeout(r, 300));
    const seen = (sub: typeof onA, identifier: string, cpu: number) => (p: any) => p.data?.serverUpdated.identifier === identifier && p.data.serverUpdated.cpuPct === cpu;

    expect((await a.heartbeat(xKey, seedHeartbeat(x.identifier, { cpu_pct: 1 }))).status).toBe(200);
    await onB.waitFor(seen(onB, x.identifier, 1));
    // y reports before the cut too: its first heartbeat commits a status change (PENDING -> ONLINE),
    // which B would learn from the committed rows even without Redis (the alert engine's tail).
    expect((await a.heartbeat(yKey, seedHeartbeat(y.identifier, { cpu_pct: 2 }))).status).toBe(200);
    await onB.waitFor(seen(onB, y.identifier, 2));

    proxy.cut();
    // A ingests and its own subscribers and overview see it at once.
    expect((await a.heartbeat(yKey, seedHeartbeat(y.identifier, { cpu_pct: 11 }))).status).toBe(200);
    await onA.waitFor(seen(onA, y.identifier, 11), 3_000);
    expect(await cpuInOverview(a, y.identifier)).toBe(11);
    // B ingests too; A cannot hear of it yet, and B has not heard of A's heartbeat.
    expect((await b.heartbeat(xKey, seedHeartbeat(x.identifier, { cpu_pct: 22 }))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await cpuInOverview(a, x.identifier)).toBe(1);
    expect(await cpuInOverview(b, y.identifier)).toBe(2);

    const restoredAt = Date.now();
    proxy.restore();
    // Both overviews catch up within seconds of the reconnect (the periodic reload is a minute).
    await waitFor(async () => (await cpuInOverview(a, x.identifier)) === 22, { timeoutMs: 8_000, what: "A's overview resynchronised" });
    await waitFor(async () => (await cpuInOverview(b, y.identifier)) === 11, { timeoutMs: 8_000, what: "B's overview resynchronised" });
    expect(Date.now() - restoredAt).toBeLessThan(8_000);

    // Cross-instance events flow again both ways.
    expect((await b.heartbeat(xKey, seedHeartbeat(x.identifier, { cpu_pct: 33 }))).status).toBe(200);
    await onA.waitFor(seen(onA, x.identifier, 33));
    expect((await a.heartbeat(yKey, seedHeartbeat(y.identifier, { cpu_pct: 44 }))).status).toBe(200);
    await onB.waitFor(seen(onB, y.identifier, 44));
    await onA.close();
    await onB.close();
  }, 60_000);
});
