// With the real clock: a silent server's LATE is pushed within about a second of its threshold,
// without anyone querying.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';
import { subscribeWs, wsClient } from '../helpers/subscriptions.ts';

describe('silence with the real clock', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer()));
  afterAll(() => server?.stop());

  it('pushes LATE within a second of 1.5 x interval and OFFLINE within a second of interval + grace', async () => {
    const { id, identifier } = await server.createServer(undefined, { intervalSeconds: 5, graceSeconds: 3 });
    const key = await server.issueKey(id);
    const events = subscribeWs(wsClient(server.url, ADMIN_TOKEN), `subscription ($id: ID) { serverUpdated(id: $id) { status lastSeenAt } }`, { id });
    await new Promise((r) => setTimeout(r, 300));
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    const online = await events.waitFor((p) => p.data?.serverUpdated.status === 'ONLINE');
    const lastSeen = Date.parse(online.data!.serverUpdated.lastSeenAt);

    await events.waitFor((p) => p.data?.serverUpdated.status === 'LATE', 12_000);
    const lateDelay = Date.now() - (lastSeen + 7_500);
    await events.waitFor((p) => p.data?.serverUpdated.status === 'OFFLINE', 12_000);
    const offlineDelay = Date.now() - (lastSeen + 8_000);
    expect(lateDelay).toBeGreaterThanOrEqual(0);
    expect(lateDelay).toBeLessThan(1_500);
    expect(offlineDelay).toBeGreaterThanOrEqual(0);
    expect(offlineDelay).toBeLessThan(1_500);
    await events.close();
  }, 30_000);
});
