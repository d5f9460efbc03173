// Per-client limits: anonymous requests (GraphQL, public REST, web pages) and failed admin
// authentications per address, 429 + Retry-After; heartbeats limited per key only; graphql-ws
// connections per client and message size; and with Redis the same limits across two instances.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';
import { freshPostgresSchema, postgresAvailable, redisAvailable, REDIS_URL } from '../helpers/services.ts';
import { memoryLimiter } from '../../src/rate-limits.ts';

const anonymousGql = (url: string) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ overview { totals { servers } } }' }) });

async function expect429(response: Response, graphql: boolean) {
  expect(response.status).toBe(429);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const body = (await response.json()) as any;
  if (graphql) expect(body.errors[0].extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  else expect(body.error).toBe('TOO_MANY_REQUESTS');
}

/** Opens a WebSocket to /graphql: resolves 'open', or the refusal's HTTP status, or the close code. */
function openWs(url: string, protocol = 'graphql-transport-ws'): Promise<{ ws: WebSocket; outcome: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/graphql', protocol);
    ws.once('open', () => resolve({ ws, outcome: 'open' }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, outcome: `http ${res.statusCode} retry-after ${res.headers['retry-after']}` }));
    ws.once('error', () => {});
  });
}

const closeWs = (ws: WebSocket) => new Promise((resolve) => (ws.once('close', resolve), ws.close()));

/** The server sees a close a moment after the client: retry while the per-client cap still counts it. */
async function openWsWhenAllowed(url: string) {
  for (let i = 0; ; i++) {
    const attempt = await openWs(url);
    if (attempt.outcome === 'open' || i === 50) return attempt;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('in-memory counters', () => {
  const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

  it('count per key within the window, refuse past the limit, start again after it, and set no timer per key', async () => {
    const limiter = memoryLimiter({ points: 2, duration: 1, keyPrefix: 'test' });
    const before = timeouts();
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => limiter.consume(`key-${i}`)));
    // rate-limiter-flexible's own storage sets one per key (a server's heartbeat key: 100,000 timers).
    expect(timeouts() - before).toBeLessThan(5);
    await limiter.consume('key-0');
    await expect(limiter.consume('key-0')).rejects.toMatchObject({ consumedPoints: 3 });
    expect((await limiter.get('key-0'))?.consumedPoints).toBe(3);
    expect((await limiter.get('key-1'))?.consumedPoints).toBe(1);
    expect(await limiter.get('never-seen')).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await limiter.get('key-0')).toBeNull();
    expect((await limiter.consume('key-0')).consumedPoints).toBe(1);
  });
});

describe('anonymous requests per client address', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ rateLimitAnonymous: 5, web: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 429 with Retry-After past the limit on GraphQL, the public overview and web pages; admins and heartbeats go on', async () => {
    const { id, identifier } = await server.createServer(); // admin requests: not counted
    const key = await server.issueKey(id);
    for (let i = 0; i < 5; i++) expect((await anonymousGql(server.url)).status).toBe(200);
    await expect429(await anonymousGql(server.url), true);
    await expect429(await fetch(`${server.url}/monitor/public/overview`), false);
    await expect429(await fetch(`${server.url}/`), false);
    const refused = await openWs(server.url);
    expect(refused.outcome).toMatch(/^http 429 retry-after \d+/);
    // An admin with a valid token, and heartbeats (limited per key, never per address), are not affected.
    expect((await server.gql('{ overview { totals { servers } } }')).errors).toBeUndefined();
    for (let i = 0; i < 10; i++) expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('failed admin authentication per client address', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ rateLimitAuthFailures: 3 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('after 3 failures refuses any credentials from that address with 429, on REST, GraphQL and graphql-ws', async () => {
    for (let i = 0; i < 3; i++) expect((await server.rest('GET', '/monitor/admin/servers', { token: `wrong-token-${i}` })).status).toBe(401);
    const rest = await fetch(`${server.url}/monitor/admin/servers`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await expect429(rest, false);
    const graphql = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer another-wrong-token' },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    await expect429(graphql, true);
    // graphql-ws carries credentials in connectionParams: the connection is closed with 4429.
    const { ws, outcome } = await openWs(server.url);
    expect(outcome).toBe('open');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
    expect(await closed).toBe(4429);
    // Anonymous reading still works (only credentials are refused).
    expect((await anonymousGql(server.url)).status).toBe(200);
  });
});

describe('graphql-ws connections per client and message size', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ wsMaxConnectionsPerClient: 2, wsMaxPayloadBytes: 4096 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a third open connection from one client with 429 until one closes', async () => {
    const first = await openWs(server.url);
    const second = await openWs(server.url);
    expect([first.outcome, second.outcome]).toEqual(['open', 'open']);
    expect((await openWs(server.url)).outcome).toMatch(/^http 429/);
    await closeWs(first.ws);
    const again = await openWsWhenAllowed(server.url);
    expect(again.outcome).toBe('open');
    await closeWs(second.ws);
    await closeWs(again.ws);
  });

  it('closes a connection that sends a message over WS_MAX_PAYLOAD_BYTES (1009)', async () => {
    const { ws, outcome } = await openWsWhenAllowed(server.url);
    expect(outcome).toBe('open');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(8192) } }));
    expect(await closed).toBe(1009);
  });
});

const withServices = (await postgresAvailable()) && (await redisAvailable());

describe.skipIf(!withServices)('two instances sharing Redis', () => {
  let a: TestServer;
  let b: TestServer;
  let dropSchema: () => Promise<void>;
  beforeAll(async () => {
    const schema = await freshPostgresSchema('ratelimit');
    dropSchema = schema.drop;
    const options = { databaseUrl: schema.url, redisUrl: REDIS_URL, redisPrefix: `hf-rl-${process.pid}-${Date.now()}:`, rateLimitAnonymous: 6, heartbeatRateLimit: 4 };
    a = await startTestServer(options);
    b = await startTestServer(options);
  }, 90_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await dropSchema?.();
  });

  it('counts anonymous requests to either instance against one limit', async () => {
    for (let i = 0; i < 6; i++) expect((await anonymousGql(i % 2 ? b.url : a.url)).status).toBe(200);
    await expect429(await anonymousGql(a.url), true);
    await expect429(await anonymousGql(b.url), true);
  });

  it("counts a key's heartbeats to either instance against one limit", async () => {
    const { id, identifier } = await a.createServer();
    const key = await a.issueKey(id);
    for (let i = 0; i < 4; i++) expect((await (i % 2 ? b : a).heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    const refused = await b.heartbeat(key, seedHeartbeat(identifier));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('TOO_MANY_REQUESTS');
    expect((await a.heartbeat(key, seedHeartbeat(identifier))).status).toBe(429);
  });
});
