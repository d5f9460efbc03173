// Large overview answers have their rows written straight from the fleet index and streamed
// (src/overview-rows-stream.ts, src/services/overview-json.ts). They must be byte for byte what
// GraphQL's ordinary execution answers: the same query with a directive on one field (which the
// fast path leaves to the ordinary one) is the reference.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBulkFleet } from '../helpers/bulk-fleet.ts';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';
import { floatJson, isoJson } from '../../src/services/overview-json.ts';
import { STREAM_MIN_ROWS } from '../../src/overview-rows-stream.ts';

const FLEET = 1_200;

async function post(server: TestServer, query: string, token: string | null = ADMIN_TOKEN) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), length: response.headers.get('content-length'), text: await response.text() };
}

describe('overview rows written from the fleet index', () => {
  let server: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'harborforge-overview-json-'));
    const first = await startTestServer({ dataDir }); // creates the database
    await first.stop();
    insertBulkFleet(dataDir, FLEET);
    server = await startTestServer({ dataDir, publicOverview: true });
    // Values the bulk fleet does not have: a name and agents that need escaping, fractions, tags, a fresh heartbeat.
    const odd = await server.createServer('zz-odd', { name: 'Quote " back\\slash \u00e9 \u2028 end', tags: ['team-a', 'prod'] });
    const key = await server.issueKey(odd.id);
    const beat = await server.heartbeat(key, { ...seedHeartbeat('zz-odd'), cpu_pct: 33.333, mem_pct: 0.05, load_avg: [1e-7, 12.5, 100], agents: [{ id: 'a"1', name: 'Ünïcode \n agent' }] });
    expect(beat.status).toBe(200);
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const ROW = 'id identifier name status lastSeenAt openclawVersion pluginVersion agents { id name } cpuPct memPct diskPct swapPct loadAvg uptimeSeconds';
  const ALIASED = '__typename key: id identifier label: name status tags seen: lastSeenAt agents { __typename name agentId: id } loadAvg cpuPct memPct';

  for (const [what, selection, token] of [
    ['the status page row', ROW, ADMIN_TOKEN],
    ['aliases, __typename and tags', ALIASED, ADMIN_TOKEN],
    ['anonymous (tags null)', ALIASED, null],
  ] as const) {
    it(`answers exactly what ordinary execution answers: ${what}`, async () => {
      const fast = await post(server, `{ overview { totals { servers pending } servers { ${selection} } version } }`, token);
      // A directive is left to the ordinary path; @include(if: true) changes nothing in the answer.
      const ordinary = await post(server, `{ overview { totals { servers pending } servers { ${selection.replace(/(\w+)$/, '$1 @include(if: true)')} } version } }`, token);
      expect(fast.status).toBe(200);
      expect(ordinary.status).toBe(200);
      const rows = JSON.parse(fast.text).data.overview.servers;
      expect(rows).toHaveLength(FLEET + 1);
      // The version moves only with changes; none happen between the two queries.
      expect(fast.text).toBe(ordinary.text);
      expect(fast.contentType).toBe(ordinary.contentType);
      // Streamed (no length known up front), while the ordinary answer is one string.
      expect(fast.length).toBeNull();
      expect(ordinary.length).not.toBeNull();
    });
  }

  it('leaves small pages, subscriptions-only fields and other selections to the ordinary path', async () => {
    const small = await post(server, `{ overview(first: ${STREAM_MIN_ROWS - 1}) { servers { id } } }`);
    expect(small.length).not.toBeNull();
    const fragment = await post(server, `{ overview { servers { ... on OverviewServer { id } } } }`);
    expect(fragment.length).not.toBeNull();
    expect(JSON.parse(fragment.text).data.overview.servers).toHaveLength(FLEET + 1);
    const twoOverviews = await post(server, `{ a: overview(first: 600) { servers { id } } b: overview(status: [PENDING]) { servers { identifier } } c: overview { servers { status } } }`);
    const data = JSON.parse(twoOverviews.text).data;
    expect(data.a.servers).toHaveLength(600);
    expect(data.b.servers.length).toBe(FLEET / 50);
    expect(data.c.servers).toHaveLength(FLEET + 1);
  });

  it('writes floats and times as String(number) and toISOString do', () => {
    for (const value of [0, -0, 0.1, 0.05, 1.5, 61.2, 99.99, -1.5, 100, 1e21, 1e-7, 123456789.12, 0.3, 5e-324, Math.PI, 2 ** 53]) expect(floatJson(value)).toBe(String(value));
    for (let i = 0; i < 10_000; i++) {
      const value = i % 2 ? Math.round(Math.random() * 1e6) / 100 : (Math.random() - 0.5) * 1e4;
      expect(floatJson(value)).toBe(String(value));
      const at = Math.round(Math.random() * 4e12);
      expect(isoJson(at)).toBe(JSON.stringify(new Date(at).toISOString()));
    }
    expect(() => floatJson(Number.NaN)).toThrow(/not a finite number/);
  });
});
