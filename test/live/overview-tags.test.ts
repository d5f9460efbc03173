// The overview filtered by tags (issue 11: tags "filterable in `servers` and `overview`"): every
// tag given must be carried, as in `servers(tags:)`; answered from the in-memory fleet; the same on
// GraphQL, REST and fleetChanges. Tags are internal labels: a caller without a token neither sees
// them nor filters by them unless PUBLIC_OVERVIEW_TAGS=true.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, uniqueIdentifier, type TestServer } from '../helpers/server.ts';
import { subscribeWs, wsClient, type Subscription } from '../helpers/subscriptions.ts';

const OVERVIEW = `query ($tags: [String!], $first: Int) { overview(tags: $tags, first: $first) { totals { servers } matching servers { identifier tags } } }`;

describe('overview filtered by tags', () => {
  let server: TestServer;
  const open: Subscription[] = [];
  const stem = uniqueIdentifier('tagged');
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer({ fleetChangesIntervalMs: 100 });
    // a: [eu, web], b: [eu, db], c: [us, web], d: no tags
    const layout: Record<string, string[]> = { a: ['eu', 'web'], b: ['db', 'eu'], c: ['us', 'web'], d: [] };
    for (const [name, tags] of Object.entries(layout)) ids[name] = (await server.createServer(`${stem}-${name}`, { tags })).id;
  });
  afterAll(async () => {
    for (const sub of open) await sub.close();
    await server?.stop();
  });

  const names = (servers: { identifier: string }[]) => servers.map((s) => s.identifier.slice(stem.length + 1)).sort();

  it('GraphQL: every tag given must be carried; totals stay the whole fleet; matching counts the filter', async () => {
    const eu = await server.gql(OVERVIEW, { tags: ['eu'] });
    expect(eu.errors).toBeUndefined();
    expect(names(eu.data.overview.servers)).toEqual(['a', 'b']);
    expect(eu.data.overview.matching).toBe(2);
    expect(eu.data.overview.totals.servers).toBe(4);
    expect(eu.data.overview.servers.find((s: any) => s.identifier.endsWith('-a')).tags).toEqual(['eu', 'web']);

    const euWeb = await server.gql(OVERVIEW, { tags: ['eu', 'web'] });
    expect(names(euWeb.data.overview.servers)).toEqual(['a']);
    const paged = await server.gql(OVERVIEW, { tags: ['web'], first: 1 });
    expect(names(paged.data.overview.servers)).toEqual(['a']);
    expect(paged.data.overview.matching).toBe(2);
    const none = await server.gql(OVERVIEW, { tags: ['nowhere'] });
    expect(none.data.overview.servers).toEqual([]);
    const all = await server.gql(OVERVIEW, { tags: [] });
    expect(all.data.overview.servers).toHaveLength(4);
  });

  it('refuses a malformed tag, naming the argument', async () => {
    const bad = await server.gql(OVERVIEW, { tags: ['no spaces allowed'] });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/^tags: /);
  });

  it('a tag change moves the server in and out of the filtered overview at once', async () => {
    await server.gql(`mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { id } } }`, { i: { id: ids.d, tags: ['eu'] } });
    expect(names((await server.gql(OVERVIEW, { tags: ['eu'] })).data.overview.servers)).toEqual(['a', 'b', 'd']);
    await server.gql(`mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { id } } }`, { i: { id: ids.d, tags: [] } });
    expect(names((await server.gql(OVERVIEW, { tags: ['eu'] })).data.overview.servers)).toEqual(['a', 'b']);
  });

  it('fleetChanges(tags:) hears a server that gains the tag, and is told when it loses it', async () => {
    const client = wsClient(server.url, ADMIN_TOKEN);
    const sub = subscribeWs(client, `subscription { fleetChanges(tags: ["db"], first: 100) { reset changed { id identifier tags } removed } }`);
    open.push({ ...sub, close: async () => (await sub.close(), await client.dispose()) });
    const first = await sub.waitFor((p) => !!p.data);
    expect(names(first.data.fleetChanges.changed)).toEqual(['b']);
    await server.gql(`mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { id } } }`, { i: { id: ids.c, tags: ['db', 'us'] } });
    const gained = await sub.waitFor((p) => p.data?.fleetChanges.changed.some((s: any) => s.id === ids.c));
    expect(gained.data.fleetChanges.changed.find((s: any) => s.id === ids.c).tags).toEqual(['db', 'us']);
    await server.gql(`mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { id } } }`, { i: { id: ids.c, tags: ['us', 'web'] } });
    await sub.waitFor((p) => p.data?.fleetChanges.removed.includes(ids.c));
  });

  it('REST: ?tag= repeated narrows like the GraphQL filter; tags are in the answer for a token', async () => {
    const { status, body } = await server.rest('GET', `/monitor/public/overview?tag=web&tag=eu`);
    expect(status).toBe(200);
    expect(names(body.servers)).toEqual(['a']);
    expect(body.servers[0].tags).toEqual(['eu', 'web']);
    const bad = await server.rest('GET', `/monitor/public/overview?tag=${encodeURIComponent('bad tag')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^tags: /);
  });

  it('without a token: no tags shown, and no filtering by tag (it would reveal them)', async () => {
    const anonymous = await server.gql(OVERVIEW, {}, null);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data.overview.servers.every((s: any) => s.tags === null)).toBe(true);
    const filtered = await server.gql(OVERVIEW, { tags: ['eu'] }, null);
    expect(filtered.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(filtered.errors?.[0]?.message).toContain('PUBLIC_OVERVIEW_TAGS');
    const rest = await server.rest('GET', '/monitor/public/overview', { token: null });
    expect(rest.status).toBe(200);
    expect(rest.body.servers.some((s: any) => 'tags' in s)).toBe(false);
    expect((await server.rest('GET', '/monitor/public/overview?tag=eu', { token: null })).status).toBe(401);
  });

  it('PUBLIC_OVERVIEW_TAGS=true: anonymous readers see tags and may filter by them', async () => {
    const opened = await startTestServer({ publicOverviewTags: true });
    try {
      await opened.createServer(uniqueIdentifier('pub'), { tags: ['edge'] });
      await opened.createServer(uniqueIdentifier('pub'));
      const result = await opened.gql(OVERVIEW, { tags: ['edge'] }, null);
      expect(result.errors).toBeUndefined();
      expect(result.data.overview.servers).toHaveLength(1);
      expect(result.data.overview.servers[0].tags).toEqual(['edge']);
      const rest = await opened.rest('GET', '/monitor/public/overview?tag=edge', { token: null });
      expect(rest.status).toBe(200);
      expect(rest.body.servers.map((s: any) => s.tags)).toEqual([['edge']]);
    } finally {
      await opened.stop();
    }
  });
});
