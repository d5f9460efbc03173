// Each operation limit refused the same way on every transport, with a code and a clear message;
// fragment cycles; and what normal clients send (status page, GraphiQL's introspection) still works.
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_CHANGES_SUBSCRIPTION, OVERVIEW_PAGE_QUERY } from '../../src/web/client/status/overview.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startWithFleet } from './fleet.ts';
import { TRANSPORTS, type Payload } from './transports.ts';

const FLEET = 50;
const LIMITS = { graphqlMaxAliases: 2, graphqlMaxDepth: 3, graphqlMaxTokens: 120, graphqlMaxDirectives: 2, graphqlMaxCost: 500 };
const SCALARS = 'id identifier name status lastSeenAt openclawVersion pluginVersion cpuPct memPct diskPct swapPct loadAvg uptimeSeconds';

// Subscriptions, so that every transport (SSE included) carries them; each breaks exactly one limit.
const HOSTILE: Record<string, { query: string; message: RegExp }> = {
  aliases: { query: 'subscription { overviewUpdated { a: generatedAt b: generatedAt c: generatedAt } }', message: /Aliases limit of 2 exceeded, found 3/ },
  depth: { query: 'subscription { overviewUpdated { servers { agents { id } } } }', message: /Query depth limit of 3 exceeded/ },
  tokens: { query: `subscription { overviewUpdated { ${'generatedAt '.repeat(130)} } }`, message: /Token limit of 120 exceeded/ },
  directives: {
    query: 'subscription { overviewUpdated { generatedAt @include(if: true) @skip(if: false) totals @include(if: true) { online } } }',
    message: /Directives limit of 2 exceeded, found 3/,
  },
  cost: { query: `subscription { overviewUpdated { servers { ${SCALARS} } } }`, message: /estimated cost 701 exceeds the limit of 500.*overview\.servers holds 50 servers/ },
};

let server: TestServer;
beforeAll(async () => {
  server = await startWithFleet(FLEET, LIMITS);
});
afterAll(async () => {
  await server?.stop();
});

const firstError = (payload: Payload) => {
  expect(payload.errors, JSON.stringify(payload)).toBeDefined();
  expect(payload.data ?? null).toBeNull();
  return payload.errors![0]!;
};

for (const [transportName, transport] of Object.entries(TRANSPORTS)) {
  // Plain HTTP carries no subscriptions: the same documents as queries.
  const send: typeof transport = (url, query, variables) =>
    transport(url, transportName === 'http' ? query.replace(/^subscription/, 'query').replace('overviewUpdated', 'overview') : query, variables);
  describe(`operation limits over ${transportName}`, () => {
    for (const [limit, { query, message }] of Object.entries(HOSTILE)) {
      it(`refuses too many ${limit} with QUERY_TOO_COMPLEX`, async () => {
        const error = firstError(await send(server.url, query));
        expect(error.extensions?.code).toBe('QUERY_TOO_COMPLEX');
        expect(error.extensions?.limit).toBe(limit);
        expect(error.message).toMatch(message);
        expect(error.message).toContain(`GRAPHQL_MAX_${limit.toUpperCase()}`);
      });
    }

    it('refuses fragment cycles', async () => {
      const query = 'subscription { overviewUpdated { ...A } } fragment A on Overview { totals { online } ...B } fragment B on Overview { ...A }';
      expect(firstError(await send(server.url, query)).message).toMatch(/Cannot spread fragment "A" within itself via "B"/);
    });

    it('still runs what fits: a paged-size cost, fragments, variables', async () => {
      const query = 'subscription ($yes: Boolean!) { overviewUpdated { totals { servers } ...S @include(if: $yes) } } fragment S on Overview { servers { identifier } }';
      const payload = await send(server.url, query, { yes: true });
      expect(payload.errors).toBeUndefined();
      const overview = Object.values(payload.data)[0] as any;
      expect(overview.totals.servers).toBe(FLEET);
      expect(overview.servers).toHaveLength(FLEET);
    });
  });
}

describe('cost', () => {
  it('counts a fleet-sized list once per server, through aliases and fragments, and variables', async () => {
    // 1 (overview) + 1 (servers) ... : two spreads of one fragment under two aliases = 2 × (2 + 50 × 5).
    const query = `query ($skip: Boolean!) { a: overview { ...F } b: overview { ...F } } fragment F on Overview { servers @skip(if: $skip) { identifier name status cpuPct } }`;
    const refused = firstError(await send(query, { skip: false }));
    expect(refused.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', cost: 2 * (1 + FLEET * 5) });
    const skipped = await send(query, { skip: true });
    expect(skipped.errors).toBeUndefined();
  });

  it('admin connections cost their page size', async () => {
    const query = (first: number) => `{ servers(first: ${first}) { edges { cursor } } }`;
    expect((await server.gql(query(20))).errors).toBeUndefined();
    expect(firstError(await server.gql(query(200))).extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  function send(query: string, variables?: Record<string, unknown>) {
    return TRANSPORTS.http!(server.url, query, variables);
  }
});

describe('with the default limits', () => {
  let defaults: TestServer;
  beforeAll(async () => {
    defaults = await startTestServer({ web: true });
  });
  afterAll(async () => {
    await defaults?.stop();
  });

  it("serves the status page's page query and fleetChanges subscription, and the whole-fleet overview (the admin page: test/web/admin-page.test.ts)", async () => {
    const wholeFleet = `overview { generatedAt totals { servers online } servers { id identifier name status lastSeenAt openclawVersion pluginVersion agents { id name } cpuPct memPct diskPct swapPct loadAvg uptimeSeconds } }`;
    const operations: [string, Record<string, unknown>][] = [
      [OVERVIEW_PAGE_QUERY, { first: 200, offset: 0 }],
      [`query { ${wholeFleet} }`, {}],
      [FLEET_CHANGES_SUBSCRIPTION, { ids: ['a', 'b'] }],
      [`subscription { ${wholeFleet.replace('overview', 'overviewUpdated')} }`, {}],
    ];
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      for (const [query, variables] of operations) {
        if (name === 'http' && query.startsWith('subscription')) continue;
        expect((await send(defaults.url, query, variables)).errors, `${name}: ${query}`).toBeUndefined();
      }
    }
  });

  it("answers GraphiQL's introspection query and serves GraphiQL", async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });
    const payload = await defaults.gql(query, {}, null);
    expect(payload.errors).toBeUndefined();
    expect((payload.data as any).__schema.queryType.name).toBe('Query');
    const page = await fetch(`${defaults.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('renderYogaGraphiQL');
  });
});

describe('GRAPHQL_INTROSPECTION=false and GRAPHIQL=false', () => {
  let closed: TestServer;
  beforeAll(async () => {
    closed = await startTestServer({ graphqlIntrospection: false, graphiql: false });
  });
  afterAll(async () => {
    await closed?.stop();
  });

  it('refuses introspection and serves no GraphiQL page, while queries work', async () => {
    const payload = await closed.gql(getIntrospectionQuery(), {}, null);
    expect(payload.errors?.[0]?.message).toMatch(/introspection/i);
    const page = await fetch(`${closed.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('renderYogaGraphiQL');
    expect((await closed.gql('{ overview { totals { servers } } }', {}, null)).errors).toBeUndefined();
  });
});
