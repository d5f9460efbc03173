// overview(orderBy: PROBLEMS_FIRST) and GET /monitor/public/overview?order=problems_first: OFFLINE,
// LATE, PENDING, then ONLINE servers, each by identifier. Paging by cursor or by offset gives every
// server exactly once, in that order, with or without status/search filters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { subscribeWs, wsClient } from '../helpers/subscriptions.ts';

const PAGE = `query ($first: Int, $after: String, $offset: Int, $status: [ServerStatus!], $search: String) {
  overview(first: $first, after: $after, offset: $offset, status: $status, search: $search, orderBy: PROBLEMS_FIRST) {
    totals { servers online late offline pending } matching pageInfo { hasNextPage endCursor } servers { identifier name status }
  }
}`;
const RANK = { OFFLINE: 0, LATE: 1, PENDING: 2, ONLINE: 3 } as const;
type Status = keyof typeof RANK;

describe('overview ordered problems first', () => {
  let server: TestServer;
  let clockOffsetMs = 0;
  /** The fleet as the test built it: identifier → status once the clock moved on. */
  const fleet: { identifier: string; name: string; status: Status }[] = [];
  const inOrder = (rows: { identifier: string; status: Status }[]) =>
    [...rows].sort((a, b) => RANK[a.status] - RANK[b.status] || (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0)).map((r) => r.identifier);

  beforeAll(async () => {
    server = await startTestServer({ now: () => new Date(Date.now() + clockOffsetMs), statusSweepMs: 100, heartbeatRateLimit: 0 });
    // Created in an order unrelated to the identifiers; identifiers with ':' (cursor separator) too.
    const plans: { status: Status; timing?: Record<string, number> }[] = [
      { status: 'PENDING' },
      { status: 'ONLINE', timing: { intervalSeconds: 3600, graceSeconds: 3600 } },
      { status: 'LATE', timing: { intervalSeconds: 10, graceSeconds: 3600 } },
      { status: 'OFFLINE', timing: { intervalSeconds: 10, graceSeconds: 0 } },
    ];
    for (let i = 0; i < 41; i++) {
      const plan = plans[(i * 7) % 4]!;
      const identifier = `ord:${String((i * 17) % 41).padStart(2, '0')}`;
      const name = i % 3 === 0 ? `Edge ${i}` : `Core ${i}`;
      const { id } = await server.createServer(identifier, { name, ...plan.timing });
      if (plan.status !== 'PENDING') expect((await server.heartbeat(await server.issueKey(id), seedHeartbeat(identifier))).status).toBe(200);
      fleet.push({ identifier, name, status: plan.status });
    }
    clockOffsetMs = 60_000; // LATE after 15 s, OFFLINE after 10 s; ONLINE ones stay online for an hour
    await waitFor(async () => (await server.gql(PAGE, { first: 0 }, null)).data.overview.totals.offline === fleet.filter((s) => s.status === 'OFFLINE').length, {
      what: 'the silent servers to go offline',
    });
  });
  afterAll(async () => server?.stop());

  const page = async (variables: Record<string, unknown>) => {
    const result = await server.gql(PAGE, variables, null);
    expect(result.errors).toBeUndefined();
    return result.data.overview;
  };
  const walk = async (variables: Record<string, unknown>, first: number) => {
    const seen: { identifier: string; status: Status }[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(100);
      const p: any = await page({ ...variables, first, after });
      seen.push(...p.servers);
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    return seen;
  };

  it('without paging lists every server once: OFFLINE, LATE, PENDING, ONLINE, each by identifier', async () => {
    const all = await page({});
    expect(all.servers.map((s: any) => s.identifier)).toEqual(inOrder(fleet));
    expect(all.servers.map((s: any) => s.status)).toEqual(inOrder(fleet).map((identifier) => fleet.find((s) => s.identifier === identifier)!.status));
    expect(all.totals).toEqual({ servers: 41, offline: 10, late: 10, pending: 11, online: 10 });
  });

  it('pages through with cursors, every server exactly once and in order, for every page size', async () => {
    for (const first of [1, 3, 7, 10, 11, 40, 41, 100]) {
      const seen = await walk({}, first);
      expect(seen.map((s) => s.identifier), `first: ${first}`).toEqual(inOrder(fleet));
    }
    const p = await page({ first: 10 });
    expect(p.pageInfo.endCursor).toBe(`OFFLINE:${p.servers[9].identifier}`);
  });

  it('pages through a status filter and a search the same way', async () => {
    const problems = fleet.filter((s) => s.status === 'LATE' || s.status === 'ONLINE');
    expect((await walk({ status: ['ONLINE', 'LATE'] }, 4)).map((s) => s.identifier)).toEqual(inOrder(problems));
    const edge = fleet.filter((s) => s.name.startsWith('Edge'));
    expect((await walk({ search: 'edge' }, 3)).map((s) => s.identifier)).toEqual(inOrder(edge));
    const edgeOffline = edge.filter((s) => s.status === 'OFFLINE' || s.status === 'PENDING');
    expect((await walk({ search: 'EDGE', status: ['PENDING', 'OFFLINE'] }, 2)).map((s) => s.identifier)).toEqual(inOrder(edgeOffline));
  });

  it('jumps with offset (as the virtual table does), across status boundaries', async () => {
    const expected = inOrder(fleet);
    for (const offset of [0, 5, 9, 10, 19, 20, 31, 40, 41, 50]) {
      expect((await page({ first: 6, offset })).servers.map((s: any) => s.identifier), `offset ${offset}`).toEqual(expected.slice(offset, offset + 6));
    }
    const core = inOrder(fleet.filter((s) => s.name.startsWith('Core')));
    expect((await page({ first: 5, offset: 8, search: 'core' })).servers.map((s: any) => s.identifier)).toEqual(core.slice(8, 13));
    const after = (await page({ first: 12 })).pageInfo.endCursor;
    expect((await page({ first: 4, offset: 3, after })).servers.map((s: any) => s.identifier)).toEqual(expected.slice(15, 19));
  });

  it('follows a status change: the server moves to its new place in the order', async () => {
    const pending = inOrder(fleet.filter((s) => s.status === 'PENDING'))[0]!;
    const { id } = (await server.gql(`query ($s: String) { servers(first: 1, search: $s) { edges { node { id } } } }`, { s: pending })).data.servers.edges[0].node;
    expect((await server.heartbeat(await server.issueKey(id), seedHeartbeat(pending))).status).toBe(200);
    const moved = fleet.map((s) => (s.identifier === pending ? { ...s, status: 'ONLINE' as Status } : s));
    expect((await walk({}, 9)).map((s) => s.identifier)).toEqual(inOrder(moved));
    const index = fleet.findIndex((s) => s.identifier === pending);
    fleet[index] = moved[index]!;
  });

  it('gives a fleetChanges reset the first rows in the same order', async () => {
    const sub = subscribeWs(wsClient(server.url), `subscription { fleetChanges(first: 12, orderBy: PROBLEMS_FIRST) { reset changed { identifier } } }`);
    const event = (await sub.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges;
    await sub.close();
    expect(event.reset).toBe(true);
    expect(event.changed.map((s: any) => s.identifier)).toEqual(inOrder(fleet).slice(0, 12));
  });

  it('offers the order on GET /monitor/public/overview, and refuses a cursor of another order', async () => {
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const response = await server.rest('GET', `/monitor/public/overview?order=problems_first&first=8${after ? `&after=${encodeURIComponent(after)}` : ''}`, { token: null });
      expect(response.status).toBe(200);
      seen.push(...response.body.servers.map((s: any) => s.identifier));
      if (!response.body.page_info.has_next_page) break;
      after = response.body.page_info.end_cursor;
    }
    expect(seen).toEqual(inOrder(fleet));
    const bad = await server.rest('GET', '/monitor/public/overview?order=problems_first&first=2&after=ord:03', { token: null });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^after:/);
    const unknown = await server.rest('GET', '/monitor/public/overview?order=status', { token: null });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/^order: .*problems_first/);
    const result = await server.gql(PAGE, { first: 2, after: 'ord:03' }, null);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
