// Two real server processes on the machine's PostgreSQL and Redis: a heartbeat received by one
// reaches subscribers of the other, and a key revoked on one is refused by both at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresSchema, postgresAvailable, redisAvailable, REDIS_URL } from '../helpers/services.ts';
import { startMain, type ServerProcess } from '../helpers/process.ts';
import { subscribeWs, wsClient } from '../helpers/subscriptions.ts';
import { seedHeartbeat } from '../helpers/server.ts';

const TOKEN = 'two-instances-admin-token-0123';
const available = (await postgresAvailable()) && (await redisAvailable());

describe.skipIf(!available)('two instances on PostgreSQL + Redis', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let dropSchema: () => Promise<void>;

  const gql = async (instance: ServerProcess, query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(`${instance.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as any;
  };
  const heartbeat = (instance: ServerProcess, key: string, body: unknown) =>
    fetch(`${instance.url}/monitor/server/heartbeat-v2`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });

  beforeAll(async () => {
    const schema = await freshPostgresSchema('two');
    dropSchema = schema.drop;
    const env = {
      DATABASE_URL: schema.url,
      REDIS_URL,
      REDIS_PREFIX: `hf-test-${process.pid}-${Date.now()}:`,
      HARBORFORGE_ADMIN_TOKEN: TOKEN,
      DATA_DIR: `/tmp/hf-two-${process.pid}`,
    };
    // Started together: both migrate the same empty schema at once (the advisory lock serialises them).
    [a, b] = await Promise.all([startMain(env), startMain(env)]);
  }, 90_000);
  afterAll(async () => {
    expect(await a?.stop()).toBe(0);
    expect(await b?.stop()).toBe(0);
    await dropSchema?.();
  });

  it('delivers a heartbeat received by A to subscribers on B, and B sees the same fleet', async () => {
    const client = wsClient(b.url, TOKEN);
    const events = subscribeWs(client, `subscription { fleetEvents { type identifier status } }`);
    const updates = subscribeWs(client, `subscription { serverUpdated { identifier status cpuPct } }`);
    const overview = subscribeWs(wsClient(b.url), `subscription { overviewUpdated { servers { identifier status } } }`);
    // B's subscriptions reach Redis asynchronously (a SUBSCRIBE per topic); on a busy machine a fixed
    // pause is not enough. They are live once an event published by A arrives on both of them.
    const warmPrefix = `warm-${Date.now()}-`;
    const deadline = Date.now() + 30_000;
    for (let n = 0; ; n++) {
      const seen = (p: any) => (p.data?.fleetEvents?.identifier ?? p.data?.serverUpdated?.identifier ?? '').startsWith(warmPrefix);
      if (events.received.some(seen) && updates.received.some(seen)) break;
      if (Date.now() > deadline) throw new Error('B never received an event published by A');
      await gql(a, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier: `${warmPrefix}${n}` } });
      await new Promise((r) => setTimeout(r, 500));
    }

    const identifier = `two-${Date.now()}`;
    const added = await gql(a, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier } });
    const id = added.data.addServer.server.id;
    await events.waitFor((p) => p.data?.fleetEvents.type === 'SERVER_ADDED' && p.data.fleetEvents.identifier === identifier);
    const key = (await gql(a, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id })).data.generateApiKey.apiKey;

    expect((await heartbeat(a, key, seedHeartbeat(identifier, { cpu_pct: 33 }))).status).toBe(200);
    await events.waitFor((p) => p.data?.fleetEvents.type === 'STATUS_CHANGED' && p.data.fleetEvents.identifier === identifier && p.data.fleetEvents.status === 'ONLINE');
    await updates.waitFor((p) => p.data?.serverUpdated.identifier === identifier && p.data.serverUpdated.cpuPct === 33);
    await overview.waitFor((p) => p.data?.overviewUpdated.servers.some((s: any) => s.identifier === identifier && s.status === 'ONLINE'));
    expect((await gql(b, `query ($id: ID!) { server(id: $id) { status cpuPct } }`, { id })).data.server).toEqual({ status: 'ONLINE', cpuPct: 33 });

    // Revoked on B: refused by A (and B) from the moment the mutation returns.
    await gql(b, `mutation ($id: ID!) { revokeApiKey(serverId: $id) { server { id } } }`, { id });
    expect((await heartbeat(a, key, seedHeartbeat(identifier))).status).toBe(401);
    expect((await heartbeat(b, key, seedHeartbeat(identifier))).status).toBe(401);
    await client.dispose();
  });

  it('announces each silence transition once although both instances sweep', async () => {
    const events = subscribeWs(wsClient(a.url, TOKEN), `subscription { fleetEvents { type identifier status } }`);
    await new Promise((r) => setTimeout(r, 300));
    const identifier = `silent-${Date.now()}`;
    const added = await gql(b, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier, intervalSeconds: 5, graceSeconds: 0 } });
    const id = added.data.addServer.server.id;
    const key = (await gql(b, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id })).data.generateApiKey.apiKey;
    expect((await heartbeat(b, key, seedHeartbeat(identifier))).status).toBe(200);
    await events.waitFor((p) => p.data?.fleetEvents.identifier === identifier && p.data.fleetEvents.status === 'OFFLINE', 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const offline = events.received.filter((p) => p.data?.fleetEvents.identifier === identifier && p.data.fleetEvents.status === 'OFFLINE');
    expect(offline).toHaveLength(1);
    await events.close();
  });
});
