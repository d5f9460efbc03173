// The request from issue 8: one anonymous document of 1,000 aliases of the whole overview against
// a fleet of 3,000 servers. Before the limits it ran V8 out of heap; now it is refused before
// execution, fast, on every transport, and the process goes on answering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.ts';
import { startWithFleet } from './fleet.ts';
import { TRANSPORTS } from './transports.ts';

const FLEET = 3000;
const OVERVIEW_QUERY = '{ overview { totals { servers } servers { identifier name status lastSeenAt cpuPct memPct } } }';
export const amplified = (aliases: number) =>
  `query { ${Array.from({ length: aliases }, (_, i) => `a${i}: overview { servers { identifier name status lastSeenAt openclawVersion cpuPct memPct } }`).join(' ')} }`;

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function expectStillServing(server: TestServer) {
  const { data, errors } = await server.gql(OVERVIEW_QUERY, {}, null);
  expect(errors).toBeUndefined();
  expect(data.overview.servers).toHaveLength(FLEET);
}

describe.each([
  { name: 'default limits (refused by the token limit)', options: {}, limit: 'tokens', fast: true },
  // With aliases and tokens let through, the cost limit alone must refuse it before execution. Not
  // timed: graphql-js's own validation of a 95 KB document takes longer than 100 ms on a loaded
  // 2-core machine, which is why the token limit comes first.
  { name: 'aliases and tokens unlimited (refused by the cost limit)', options: { graphqlMaxAliases: 100_000, graphqlMaxTokens: 1_000_000, wsMaxPayloadBytes: 1_000_000 }, limit: 'cost', fast: false },
])('1,000 aliases of the overview at 3,000 servers, $name', ({ options, limit, fast }) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startWithFleet(FLEET, options);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(`is refused on every transport before execution${fast ? ', in well under 100 ms,' : ''} without growing the heap`, async () => {
    const document = amplified(1000);
    const heapBefore = process.memoryUsage().heapUsed;
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      const { value } = await timed(() => send(server.url, document));
      expect(value.data ?? null, name).toBeNull();
      // With the default 64 KiB WS_MAX_PAYLOAD_BYTES the 95 KB message never reaches the parser:
      // graphql-ws closes the socket with 1009 (message too big).
      const expected = name === 'graphql-ws' && limit === 'tokens' ? { code: 1009 } : { code: 'QUERY_TOO_COMPLEX', limit };
      expect(value.errors?.[0]?.extensions, name).toMatchObject(expected);
    }
    if (fast) {
      // Timed over plain HTTP on a kept-alive connection, so that what is measured is the refusal,
      // not a new stream or WebSocket handshake. On a shared 2-core machine a loaded moment slows
      // every round trip alike: the refusal must take under 100 ms, or no longer than a few trivial
      // `{ __typename }` round trips measured in turn with it.
      const refusals: number[] = [];
      const trivial: number[] = [];
      for (let i = 0; i < 9; i++) {
        refusals.push((await timed(() => TRANSPORTS.http!(server.url, document))).ms);
        trivial.push((await timed(() => TRANSPORTS.http!(server.url, '{ __typename }'))).ms);
      }
      const shown = `refusals ${refusals.map((t) => t.toFixed(1)).join(', ')} ms; trivial ${trivial.map((t) => t.toFixed(1)).join(', ')} ms`;
      expect(median(refusals) < 100 || median(refusals) < 3 * median(trivial), shown).toBe(true);
    }
    // 14 refusals; 300 aliases alone used to build a 163 MB answer.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await expectStillServing(server);
  });

  it('also refuses 300 and 50 aliases, and the status page query still runs', async () => {
    for (const aliases of [300, 50]) {
      const { errors } = await server.gql(amplified(aliases), {}, null);
      expect(errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    }
    await expectStillServing(server);
  });
});
