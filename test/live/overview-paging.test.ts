// overview(first, after, offset, status, search, orderBy) and the same options on
// GET /monitor/public/overview: pages of the in-memory fleet, totals always for the whole fleet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';

const PAGE = `query ($first: Int, $after: String, $offset: Int, $status: [ServerStatus!], $search: String, $orderBy: OverviewOrder) {
  overview(first: $first, after: $after, offset: $offset, status: $status, search: $search, orderBy: $orderBy) {
    version totals { servers online pending } matching pageInfo { hasNextPage endCursor } servers { identifier name status }
  }
}`;

describe('overview paging', () => {
  let server: TestServer;
  const identifiers: string[] = [];
  const stem = `pg-${process.pid}`;

  beforeAll(async () => {
    server = await startTestServer();
    for (let i = 0; i < 25; i++) {
      const identifier = `${stem}-${String(i).padStart(2, '0')}`;
      const { id } = await server.createServer(identifier, { name: i % 5 === 0 ? `Special ${i}` : `Box ${i}` });
      identifiers.push(identifier);
      if (i % 2 === 0) expect((await server.heartbeat(await server.issueKey(id), seedHeartbeat(identifier))).status).toBe(200);
    }
  });
  afterAll(async () => server?.stop());

  const page = async (variables: Record<string, unknown>) => {
    const result = await server.gql(PAGE, variables, null);
    expect(result.errors).toBeUndefined();
    return result.data.overview;
  };

  it('without arguments returns every server, ordered by identifier, as before', async () => {
    const all = await page({});
    expect(all.servers.map((s: any) => s.identifier)).toEqual(identifiers);
    expect(all.totals).toMatchObject({ servers: 25, online: 13, pending: 12 });
    expect(all.pageInfo.hasNextPage).toBe(false);
    expect(all.version).toMatch(/^.+\.\d+$/);
  });

  it('walks the fleet page by page with after, and jumps with offset', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const p: any = await page({ first: 10, after });
      seen.push(...p.servers.map((s: any) => s.identifier));
      expect(p.totals.servers).toBe(25);
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(seen).toEqual(identifiers);
    expect((await page({ first: 3, offset: 20 })).servers.map((s: any) => s.identifier)).toEqual(identifiers.slice(20, 23));
    expect((await page({ first: 3, orderBy: 'IDENTIFIER_DESC' })).servers.map((s: any) => s.identifier)).toEqual(identifiers.slice(-3).reverse());
    const desc = await page({ first: 2, orderBy: 'IDENTIFIER_DESC', after: identifiers[10] });
    expect(desc.servers.map((s: any) => s.identifier)).toEqual([identifiers[9], identifiers[8]]);
  });

  it('filters by status and search server-side, with totals for the whole fleet', async () => {
    const pending = await page({ first: 5, status: 'PENDING' });
    expect(pending.servers.every((s: any) => s.status === 'PENDING')).toBe(true);
    expect(pending.servers.map((s: any) => s.identifier)).toEqual(identifiers.filter((_, i) => i % 2 === 1).slice(0, 5));
    expect(pending.matching).toBe(12);
    expect(pending.totals.servers).toBe(25);
    const special = await page({ search: 'SPECIAL', status: ['ONLINE', 'PENDING'] });
    expect(special.servers.map((s: any) => s.name)).toEqual(['Special 0', 'Special 5', 'Special 10', 'Special 15', 'Special 20']);
    expect(special.matching).toBe(5);
    const onlineSpecial = await page({ search: 'special', status: 'ONLINE', first: 1, offset: 1 });
    expect(onlineSpecial.servers.map((s: any) => s.name)).toEqual(['Special 10']);
  });

  it('rejects bad arguments naming the field', async () => {
    const result = await server.gql(PAGE, { first: 100_000 }, null);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/^first:/);
  });

  it('offers the same options on GET /monitor/public/overview', async () => {
    const all = await server.rest('GET', '/monitor/public/overview', { token: null });
    expect(all.body.servers).toHaveLength(25);
    const first = await server.rest('GET', `/monitor/public/overview?first=4&status=online,pending&search=${stem}`, { token: null });
    expect(first.status).toBe(200);
    expect(first.body.servers.map((s: any) => s.identifier)).toEqual(identifiers.slice(0, 4));
    expect(first.body.page_info).toEqual({ has_next_page: true, end_cursor: identifiers[3] });
    const next = await server.rest('GET', `/monitor/public/overview?first=4&after=${first.body.page_info.end_cursor}&status=ONLINE`, { token: null });
    expect(next.body.servers.map((s: any) => s.identifier)).toEqual([4, 6, 8, 10].map((i) => identifiers[i]));
    expect(next.body.totals.servers).toBe(25);
    const bad = await server.rest('GET', '/monitor/public/overview?status=SLEEPY', { token: null });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^status:/);
  });
});
