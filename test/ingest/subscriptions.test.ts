// Live updates over real graphql-ws and SSE connections: status transitions caused by silence,
// reboots, coalesced overviews, admin events, and authentication on every transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../../src/services/admin-tokens.ts';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';
import { subscribeSse, subscribeWs, wsClient, type Subscription } from '../helpers/subscriptions.ts';

const SERVER_UPDATED = `subscription ($id: ID) { serverUpdated(id: $id) { id identifier status cpuPct uptimeSeconds } }`;
const FLEET_EVENTS = `subscription { fleetEvents { type serverId identifier status previousStatus at } }`;
const OVERVIEW = `subscription { overviewUpdated { generatedAt totals { servers online late offline pending } servers { identifier status cpuPct } } }`;

describe('subscriptions', () => {
  let server: TestServer;
  let clockOffsetMs = 0;
  let readOnlyToken: string;
  const open: Subscription[] = [];
  const track = <T extends Subscription>(sub: T) => (open.push(sub), sub);

  beforeAll(async () => {
    // The backend's clock can be moved forward, so silence thresholds pass without waiting.
    server = await startTestServer({ now: () => new Date(Date.now() + clockOffsetMs), statusSweepMs: 100 });
    readOnlyToken = (await createAdminToken(server.app.services.db.prisma, { name: 'ro', scope: 'read-only' })).token;
  });
  afterAll(async () => {
    for (const sub of open) await sub.close();
    await server?.stop();
  });

  it('pushes ONLINE, then LATE, then OFFLINE to graphql-ws and SSE subscribers as a server falls silent', async () => {
    const { id, identifier } = await server.createServer(undefined, { intervalSeconds: 10, graceSeconds: 20 });
    const key = await server.issueKey(id);
    const ws = track(subscribeWs(wsClient(server.url, ADMIN_TOKEN), FLEET_EVENTS));
    const sse = track(subscribeSse(server.url, FLEET_EVENTS, {}, ADMIN_TOKEN));
    const perServer = track(subscribeWs(wsClient(server.url, readOnlyToken), SERVER_UPDATED, { id }));
    expect(await sse.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // let both subscriptions register

    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    const isStatus = (status: string) => (p: any) => p.data?.fleetEvents?.type === 'STATUS_CHANGED' && p.data.fleetEvents.serverId === id && p.data.fleetEvents.status === status;
    for (const sub of [ws, sse]) expect((await sub.waitFor(isStatus('ONLINE'))).data.fleetEvents.previousStatus).toBe('PENDING');
    await perServer.waitFor((p) => p.data?.serverUpdated.status === 'ONLINE');

    clockOffsetMs += 16_000; // past 1.5 x interval
    for (const sub of [ws, sse]) expect((await sub.waitFor(isStatus('LATE'))).data.fleetEvents.previousStatus).toBe('ONLINE');
    await perServer.waitFor((p) => p.data?.serverUpdated.status === 'LATE');

    clockOffsetMs += 15_000; // past interval + grace
    for (const sub of [ws, sse]) expect((await sub.waitFor(isStatus('OFFLINE'))).data.fleetEvents.previousStatus).toBe('LATE');
    await perServer.waitFor((p) => p.data?.serverUpdated.status === 'OFFLINE');

    // Each transition was announced once.
    const transitions = ws.received.filter((p) => p.data?.fleetEvents?.serverId === id && p.data.fleetEvents.type === 'STATUS_CHANGED');
    expect(transitions.map((p) => p.data.fleetEvents.status)).toEqual(['ONLINE', 'LATE', 'OFFLINE']);

    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    await ws.waitFor((p) => isStatus('ONLINE')(p) && p.data.fleetEvents.previousStatus === 'OFFLINE', 5000);
  });

  it('re-decides the status at once when interval or grace change, and announces the change', async () => {
    const { id, identifier } = await server.createServer(undefined, { intervalSeconds: 10, graceSeconds: 20 });
    const key = await server.issueKey(id);
    const events = track(subscribeWs(wsClient(server.url, ADMIN_TOKEN), FLEET_EVENTS));
    await new Promise((r) => setTimeout(r, 200));
    await server.heartbeat(key, seedHeartbeat(identifier));
    clockOffsetMs += 16_000;
    await events.waitFor((p) => p.data?.fleetEvents.serverId === id && p.data.fleetEvents.status === 'LATE');
    const updated = await server.gql(`mutation ($id: ID!) { updateServer(input: { id: $id, intervalSeconds: 60 }) { server { status } } }`, { id });
    expect(updated.data.updateServer.server.status).toBe('ONLINE');
    const back = await events.waitFor((p) => p.data?.fleetEvents.serverId === id && p.data.fleetEvents.type === 'STATUS_CHANGED' && p.data.fleetEvents.status === 'ONLINE' && p.data.fleetEvents.previousStatus === 'LATE');
    expect(back).toBeTruthy();
    await new Promise((r) => setTimeout(r, 400)); // a few sweeps: nothing flips it back
    expect((await server.gql(`query ($id: ID!) { server(id: $id) { status } }`, { id })).data.server.status).toBe('ONLINE');
    expect(events.received.filter((p) => p.data?.fleetEvents.serverId === id && p.data.fleetEvents.status === 'LATE')).toHaveLength(1);
  });

  it('reports a reboot when uptime goes backwards', async () => {
    const { id, identifier } = await server.createServer();
    const key = await server.issueKey(id);
    const events = track(subscribeWs(wsClient(server.url, ADMIN_TOKEN), FLEET_EVENTS));
    await new Promise((r) => setTimeout(r, 200));
    await server.heartbeat(key, seedHeartbeat(identifier, { uptime_seconds: 5000 }));
    await server.heartbeat(key, seedHeartbeat(identifier, { uptime_seconds: 5030 }));
    await server.heartbeat(key, seedHeartbeat(identifier, { uptime_seconds: 12 }));
    await events.waitFor((p) => p.data?.fleetEvents.type === 'REBOOTED' && p.data.fleetEvents.serverId === id);
    await new Promise((r) => setTimeout(r, 200));
    expect(events.received.filter((p) => p.data?.fleetEvents.type === 'REBOOTED' && p.data.fleetEvents.serverId === id)).toHaveLength(1);
  });

  it('sends every heartbeat of one server to serverUpdated(id), and of all servers without id', async () => {
    const a = await server.createServer();
    const b = await server.createServer();
    const [keyA, keyB] = [await server.issueKey(a.id), await server.issueKey(b.id)];
    const onlyA = track(subscribeSse(server.url, SERVER_UPDATED, { id: a.id }, ADMIN_TOKEN));
    const all = track(subscribeWs(wsClient(server.url, ADMIN_TOKEN), SERVER_UPDATED));
    await onlyA.status;
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++) {
      await server.heartbeat(keyA, seedHeartbeat(a.identifier, { cpu_pct: i }));
      await server.heartbeat(keyB, seedHeartbeat(b.identifier, { cpu_pct: 50 + i }));
    }
    await onlyA.waitFor((p) => p.data?.serverUpdated.cpuPct === 2);
    await all.waitFor((p) => p.data?.serverUpdated.cpuPct === 52);
    expect(onlyA.received.map((p) => p.data.serverUpdated.cpuPct)).toEqual([0, 1, 2]);
    expect(all.received.filter((p) => [a.id, b.id].includes(p.data?.serverUpdated.id))).toHaveLength(6);
  });

  it('serverUpdated takes its id written inline as well as through a variable (graphql-jit passes variables to subscribe)', async () => {
    const a = await server.createServer();
    const b = await server.createServer();
    const [keyA, keyB] = [await server.issueKey(a.id), await server.issueKey(b.id)];
    const inline = track(subscribeWs(wsClient(server.url, ADMIN_TOKEN), `subscription { serverUpdated(id: ${JSON.stringify(a.id)}) { id cpuPct } }`));
    await new Promise((r) => setTimeout(r, 300));
    await server.heartbeat(keyB, seedHeartbeat(b.identifier, { cpu_pct: 40 }));
    await server.heartbeat(keyA, seedHeartbeat(a.identifier, { cpu_pct: 41 }));
    await inline.waitFor((p) => p.data?.serverUpdated.cpuPct === 41);
    expect(inline.received.map((p) => p.data.serverUpdated.id)).toEqual([a.id]);
  });

  it('overviewUpdated is public, starts with the current state, and coalesces a storm of heartbeats', async () => {
    const overview = track(subscribeWs(wsClient(server.url), OVERVIEW));
    const first = await overview.waitFor((p) => !!p.data?.overviewUpdated);
    expect(first.data!.overviewUpdated.totals.servers).toBeGreaterThan(0);

    const servers = await Promise.all(Array.from({ length: 10 }, () => server.createServer()));
    const keys = await Promise.all(servers.map((s) => server.issueKey(s.id)));
    await new Promise((r) => setTimeout(r, 600));
    const before = overview.received.length;
    // 200 heartbeats in a burst → a handful of overviews, not 200.
    await Promise.all(Array.from({ length: 200 }, (_, i) => server.heartbeat(keys[i % 10]!, seedHeartbeat(servers[i % 10]!.identifier, { cpu_pct: 77 }))));
    const last = await overview.waitFor((p) => servers.every((s) => p.data?.overviewUpdated.servers.some((o: any) => o.identifier === s.identifier && o.status === 'ONLINE' && o.cpuPct === 77)));
    expect(last.data!.overviewUpdated.totals.online).toBeGreaterThanOrEqual(10);
    await new Promise((r) => setTimeout(r, 600));
    const pushed = overview.received.length - before;
    expect(pushed).toBeGreaterThanOrEqual(1);
    expect(pushed).toBeLessThan(20);

    const sse = track(subscribeSse(server.url, OVERVIEW));
    expect(await sse.status).toBe(200);
    await sse.waitFor((p) => !!p.data?.overviewUpdated);
  });

  it('executes overviewUpdated once per push for all subscribers of the same operation, and a late joiner gets the current state', async () => {
    // A server of its own: no other overview subscription runs while this one is counted.
    const server = await startTestServer();
    const executions = async () => Number(/^harborforge_overview_subscription_executions_total (\d+)/m.exec(await server.app.metrics.registry.metrics())?.[1] ?? 0);
    const { id, identifier } = await server.createServer();
    const key = await server.issueKey(id);
    const QUERY = `subscription { overviewUpdated { servers { identifier cpuPct } } }`;
    const subscribers = [
      ...Array.from({ length: 4 }, () => track(subscribeWs(wsClient(server.url), QUERY))),
      track(subscribeSse(server.url, QUERY)),
    ];
    for (const sub of subscribers) await sub.waitFor((p) => !!p.data?.overviewUpdated);
    await new Promise((r) => setTimeout(r, 500));
    const before = await executions();
    const pushesBefore = subscribers.map((sub) => sub.received.length);
    await server.heartbeat(key, seedHeartbeat(identifier, { cpu_pct: 91 }));
    const sees91 = (p: any) => p.data?.overviewUpdated.servers.some((s: any) => s.identifier === identifier && s.cpuPct === 91);
    for (const sub of subscribers) await sub.waitFor(sees91);
    await new Promise((r) => setTimeout(r, 400));
    // Every subscriber saw the same pushes, and each push was executed once, not once per subscriber.
    const pushes = subscribers.map((sub, i) => sub.received.length - pushesBefore[i]!);
    expect(new Set(pushes).size).toBe(1);
    expect(await executions()).toBe(before + pushes[0]!);

    const late = track(subscribeWs(wsClient(server.url), QUERY));
    const first = await late.waitFor((p) => !!p.data?.overviewUpdated, 3000);
    expect(sees91(first)).toBe(true);
    for (const sub of [...subscribers, late]) await sub.close();

    // After everyone left, a new subscriber starts a fresh shared subscription.
    await new Promise((r) => setTimeout(r, 200));
    const again = subscribeWs(wsClient(server.url), QUERY);
    expect(sees91(await again.waitFor((p) => !!p.data?.overviewUpdated))).toBe(true);
    await again.close();
    await server.stop();
  });

  it('does not let an anonymous subscriber share an admin\'s overview when the overview is private', async () => {
    const closed = await startTestServer({ publicOverview: false });
    try {
      const QUERY = `subscription { overviewUpdated { totals { servers } } }`;
      const admin = subscribeWs(wsClient(closed.url, ADMIN_TOKEN), QUERY);
      await admin.waitFor((p) => !!p.data?.overviewUpdated);
      const anonymous = subscribeWs(wsClient(closed.url), QUERY);
      const refused = await anonymous.waitFor((p) => !!p.errors);
      expect(refused.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(anonymous.received.some((p) => p.data)).toBe(false);
      await admin.close();
      await anonymous.close();
    } finally {
      await closed.stop();
    }
  });

  it('refuses admin subscriptions without a token on graphql-ws and SSE, and a wrong token at connect', async () => {
    for (const query of [FLEET_EVENTS, SERVER_UPDATED]) {
      const ws = track(subscribeWs(wsClient(server.url), query));
      const wsRefusal = await ws.waitFor((p) => !!p.errors);
      expect(wsRefusal.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
      const sse = track(subscribeSse(server.url, query));
      const sseRefusal = await sse.waitFor((p) => !!p.errors);
      expect(sseRefusal.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    const wrong = track(subscribeWs(wsClient(server.url, 'wrong-token-wrong-token'), OVERVIEW));
    await wrong.waitFor((p) => !!p.errors);
    expect(wrong.received.some((p) => p.data)).toBe(false);
    expect((wrong.closedWith as any)?.code).toBe(4403);
  });
});
