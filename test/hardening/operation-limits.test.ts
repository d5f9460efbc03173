// Each operation limit refused the same way on every transport, with a code and a clear message;
// fragment cycles; and what normal clients send (status page, GraphiQL's introspection) still works.
import { getIntrospectionQuery, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationCost } from '../../src/operation-cost.ts';
import { schema } from '../../src/schema/index.ts';
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

  it('prices metrics.points by maxPoints (capped at what the resolver accepts) and each alias again', async () => {
    const range = 'serverId: "nope", from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z"';
    // metrics 1 + maxPoints × (points 1 + at 1 + cpuPct 1 + avg 1)
    const cost = (query: string, variables?: Record<string, unknown>) => operationCost({ schema, document: parse(query), variables, fleetSize: FLEET });
    expect(cost(`{ metrics(${range}, maxPoints: 10) { points { at cpuPct { avg } } } }`)).toBe(1 + 10 * 4);
    expect(cost(`{ metrics(${range}) { points { at cpuPct { avg } } } }`)).toBe(1 + 300 * 4); // the default
    expect(cost(`query ($n: Int) { metrics(${range}, maxPoints: $n) { points { at cpuPct { avg } } } }`, { n: 2000 })).toBe(1 + 2000 * 4);
    expect(cost(`{ metrics(${range}, maxPoints: 1000000) { points { at cpuPct { avg } } } }`)).toBe(1 + 10_000 * 4);
    const aliases = Array.from({ length: 15 }, (_, i) => `m${i}: metrics(${range}, maxPoints: 2000) { ...P }`).join(' ');
    expect(cost(`{ ${aliases} } fragment P on MetricSeries { points { at cpuPct { avg } } }`)).toBe(15 * (1 + 2000 * 4));
    // A fragment spread under parents with different maxPoints costs each its own.
    expect(cost(`{ a: metrics(${range}, maxPoints: 10) { ...P } b: metrics(${range}, maxPoints: 20) { ...P } } fragment P on MetricSeries { points { at } }`)).toBe(
      1 + 10 * 2 + 1 + 20 * 2,
    );
    // Other lists bounded by an argument: versionChanges(limit), uptimes(serverIds), uptimeDays(days).
    expect(cost(`{ versionChanges(${range}, limit: 1000) { at openclawVersion } }`)).toBe(1000 * 3);
    expect(cost(`{ uptimes(serverIds: ["a", "b", "c"], from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z") { ratio } }`)).toBe(3 * 2);
    expect(cost(`{ uptimeDays(serverId: "a") { ratio } }`)).toBe(90 * 2);

    // Over HTTP (cost limit 500, depth 3 here): a small series reaches the resolver, an oversized one is refused first.
    const small = firstError(await send(`{ metrics(${range}, maxPoints: 10) { points { at } } }`));
    expect(small.extensions?.code).toBe('NOT_FOUND');
    const big = firstError(await send(`{ metrics(${range}, maxPoints: 5000) { points { at } } }`));
    expect(big.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', cost: 1 + 5000 * 2 });
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

  it("serves the server page's metrics query, and refuses many aliased full-size series", async () => {
    const range = 'serverId: "nope", from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z"';
    const fields = 'points { at cpuPct { avg min max } memPct { avg min max } diskPct { avg min max } swapPct { avg min max } load1 { avg min max } load5 { avg min max } load15 { avg min max } }';
    // 300 points × 30 fields: what the server page asks for, well within the default limit.
    expect((await defaults.gql(`{ metrics(${range}, maxPoints: 300) { resolutionSeconds ${fields} } }`)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const aliased = Array.from({ length: 15 }, (_, i) => `m${i}: metrics(${range}, maxPoints: 10000) { ${fields} }`).join(' ');
    const refused = (await defaults.gql(`{ ${aliased} }`)).errors?.[0];
    expect(refused?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', cost: 15 * (1 + 10_000 * 30) });
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
