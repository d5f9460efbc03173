// `firingAlerts` on the overview's rows and on Server: counted in memory from alert transitions,
// and pushed to fleetChanges subscribers when it changes (the status page's firing mark).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, uniqueIdentifier, waitFor, type TestServer } from '../helpers/server.ts';
import { subscribeWs, wsClient } from '../helpers/subscriptions.ts';

describe('firing alert marks', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const rowOf = async (identifier: string) => {
    const result = await server.gql(`query ($s: String) { overview(search: $s) { servers { identifier firingAlerts } } }`, { s: identifier }, null);
    return result.data.overview.servers.find((row: { identifier: string }) => row.identifier === identifier);
  };

  it('counts FIRING alerts per server, on the overview row and on Server, and pushes the change to fleetChanges', async () => {
    const identifier = uniqueIdentifier('marked');
    const { id } = await server.createServer(identifier, { intervalSeconds: 5, graceSeconds: 0 });
    const apiKey = await server.issueKey(id);
    for (const name of ['down', 'down again']) {
      const rule = await server.gql(`mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, { i: { name, kind: 'OFFLINE', serverIds: [id] } });
      expect(rule.errors).toBeUndefined();
    }
    expect(await rowOf(identifier)).toEqual({ identifier, firingAlerts: 0 });

    const client = wsClient(server.url);
    const changes = subscribeWs(client, `subscription ($ids: [ID!]) { fleetChanges(ids: $ids) { changed { identifier firingAlerts } } }`, { ids: [id] });
    try {
      expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);
      // Silent past interval + grace: both OFFLINE rules fire.
      await waitFor(async () => (await rowOf(identifier))?.firingAlerts === 2, { timeoutMs: 20_000, what: 'two firing alerts on the row' });
      const viaServer = await server.gql(`query ($id: ID!) { server(id: $id) { firingAlerts } }`, { id });
      expect(viaServer.data.server.firingAlerts).toBe(2);
      await changes.waitFor((event) => event.data?.fleetChanges.changed.some((row: any) => row.firingAlerts === 2), 5_000);

      // Back online: both resolve, the count drops to 0 and is pushed again.
      expect((await server.heartbeat(apiKey, seedHeartbeat(identifier))).status).toBe(200);
      await waitFor(async () => (await rowOf(identifier))?.firingAlerts === 0, { timeoutMs: 10_000, what: 'no firing alert' });
      const pushed = () => changes.received.flatMap((event: any) => event.data?.fleetChanges.changed.filter((row: any) => row.identifier === identifier).map((row: any) => row.firingAlerts) ?? []);
      await waitFor(() => pushed().at(-1) === 0, { timeoutMs: 5_000, what: 'fleetChanges pushing 0' });
    } finally {
      await changes.close();
      await client.dispose();
    }
  }, 60_000);
});
