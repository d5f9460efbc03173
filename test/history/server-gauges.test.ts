// Per-server Prometheus gauges on /metrics (METRICS_PER_SERVER=true) over real HTTP against a
// real server: the text format parses (one TYPE per family, samples grouped), the values are the
// latest heartbeat's, statuses follow the clock, deleted servers disappear, label values are
// escaped, and PUBLIC_OVERVIEW=false withholds them from scrapers without a token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the text exposition format: throws on anything it does not understand. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; comments: string[] } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const comments: string[] = [];
  const finished = new Set<string>();
  let current: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\w+) (\w+)$/.exec(line);
    if (type) {
      if (types.has(type[1]!)) throw new Error(`second TYPE line for ${type[1]}`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('#')) {
      comments.push(line);
      continue;
    }
    const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText = '', value] = sample;
    const labels: Record<string, string> = {};
    const labelPattern = /(\w+)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let match: RegExpExecArray | null;
    let consumed = 0;
    while ((match = labelPattern.exec(labelText))) {
      labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed = labelPattern.lastIndex;
    }
    if (consumed !== labelText.length) throw new Error(`bad labels: ${line}`);
    const family = name!.replace(/_(bucket|sum|count)$/, '');
    if (family !== current) {
      if (finished.has(family)) throw new Error(`samples of ${family} are not grouped`);
      if (current) finished.add(current);
      current = family;
    }
    samples.push({ name: name!, labels, value: Number(value) });
  }
  return { samples, types, comments };
}

async function scrape(server: TestServer, token: string | null = null) {
  const response = await fetch(`${server.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text, ...(response.status === 200 ? parseExposition(text) : { samples: [], types: new Map(), comments: [] }) };
}

const of = (samples: Sample[], name: string, serverId: string) => samples.filter((s) => s.name === name && s.labels.server_id === serverId);
const valueOf = (samples: Sample[], name: string, serverId: string) => {
  const found = of(samples, name, serverId);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} for ${serverId}`);
  return found[0]?.value;
};

describe('per-server gauges on /metrics', () => {
  let server: TestServer;
  let offset = 0;

  beforeAll(async () => {
    server = await startTestServer({ metricsPerServer: true, now: () => new Date(Date.now() + offset) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('exports the latest heartbeat of every server, statuses by the clock, and drops deleted servers', async () => {
    const reporting = await server.createServer(undefined, { intervalSeconds: 30, graceSeconds: 60 });
    const pending = await server.createServer();
    // A name that needs escaping in a label value.
    const odd = await server.createServer(undefined, { name: 'Rack "B" \\ east' });
    const key = await server.issueKey(reporting.id);
    const oddKey = await server.issueKey(odd.id);
    const body = seedHeartbeat(reporting.identifier, { cpu_pct: 37.5, mem_pct: 61.25, disk_pct: 80, swap_pct: 3, load_avg: [1.5, 1.25, 0.75], uptime_seconds: 12_345, openclaw_version: '2026.11.2', plugin_version: '0.3.1' });
    expect((await server.heartbeat(key, body)).status).toBe(200);
    // This one reports only some metrics: the rest must be absent, not 0.
    expect((await server.heartbeat(oddKey, { identifier: odd.identifier, cpu_pct: 5 })).status).toBe(200);

    const first = await waitFor(
      async () => {
        const s = await scrape(server);
        return valueOf(s.samples, 'harborforge_server_cpu_percent', reporting.id) === 37.5 && valueOf(s.samples, 'harborforge_server_cpu_percent', odd.id) === 5 ? s : undefined;
      },
      { what: 'the heartbeats in /metrics' },
    );
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    // Process metrics are still there, and every per-server family is declared a gauge.
    expect(first.types.get('harborforge_heartbeats_accepted_total')).toBe('counter');
    for (const family of ['info', 'status', 'up', 'last_seen_timestamp_seconds', 'cpu_percent', 'memory_percent', 'disk_percent', 'swap_percent', 'load1', 'load5', 'load15', 'uptime_seconds']) {
      expect(first.types.get(`harborforge_server_${family}`), family).toBe('gauge');
    }

    const s = first.samples;
    const lastSeen = (await server.gql(`query ($id: ID!) { server(id: $id) { lastSeenAt } }`, { id: reporting.id })).data.server.lastSeenAt;
    expect(of(s, 'harborforge_server_info', reporting.id)).toEqual([
      { name: 'harborforge_server_info', value: 1, labels: { server_id: reporting.id, identifier: reporting.identifier, name: `Test ${reporting.identifier}`, openclaw_version: '2026.11.2', plugin_version: '0.3.1' } },
    ]);
    expect(of(s, 'harborforge_server_status', reporting.id).map((x) => [x.labels.status, x.value])).toEqual([['ONLINE', 1]]);
    expect(valueOf(s, 'harborforge_server_up', reporting.id)).toBe(1);
    expect(valueOf(s, 'harborforge_server_last_seen_timestamp_seconds', reporting.id)).toBe(Date.parse(lastSeen) / 1000);
    expect(valueOf(s, 'harborforge_server_memory_percent', reporting.id)).toBe(61.25);
    expect(valueOf(s, 'harborforge_server_disk_percent', reporting.id)).toBe(80);
    expect(valueOf(s, 'harborforge_server_swap_percent', reporting.id)).toBe(3);
    expect(valueOf(s, 'harborforge_server_load1', reporting.id)).toBe(1.5);
    expect(valueOf(s, 'harborforge_server_load5', reporting.id)).toBe(1.25);
    expect(valueOf(s, 'harborforge_server_load15', reporting.id)).toBe(0.75);
    expect(valueOf(s, 'harborforge_server_uptime_seconds', reporting.id)).toBe(12_345);
    // Every series names its server both ways.
    for (const sample of s.filter((x) => x.name.startsWith('harborforge_server_'))) {
      expect(sample.labels.server_id && sample.labels.identifier, JSON.stringify(sample)).toBeTruthy();
    }

    // PENDING: info and status only; no up, no values.
    expect(of(s, 'harborforge_server_status', pending.id).map((x) => x.labels.status)).toEqual(['PENDING']);
    expect(s.filter((x) => x.labels.server_id === pending.id).map((x) => x.name).sort()).toEqual(['harborforge_server_info', 'harborforge_server_status']);

    // Escaped label value read back exactly; unreported metrics absent.
    expect(of(s, 'harborforge_server_info', odd.id)[0]!.labels.name).toBe('Rack "B" \\ east');
    expect(of(s, 'harborforge_server_info', odd.id)[0]!.labels.openclaw_version).toBe('');
    expect(valueOf(s, 'harborforge_server_memory_percent', odd.id)).toBeUndefined();
    expect(valueOf(s, 'harborforge_server_load1', odd.id)).toBeUndefined();

    // A newer heartbeat replaces the values.
    expect((await server.heartbeat(key, { ...body, cpu_pct: 91, load_avg: [4, 3, 2] })).status).toBe(200);
    await waitFor(async () => valueOf((await scrape(server)).samples, 'harborforge_server_cpu_percent', reporting.id) === 91, { what: 'the new cpu value' });

    // Silence: past interval + grace the clock makes it OFFLINE (up 0), without a heartbeat.
    offset = 120_000;
    const silent = (await scrape(server)).samples;
    expect(of(silent, 'harborforge_server_status', reporting.id).map((x) => x.labels.status)).toEqual(['OFFLINE']);
    expect(valueOf(silent, 'harborforge_server_up', reporting.id)).toBe(0);
    offset = 0;

    // Deleted: gone from every family.
    expect((await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id: reporting.id })).errors).toBeUndefined();
    await waitFor(async () => !(await scrape(server)).samples.some((x) => x.labels.server_id === reporting.id), { what: 'the deleted server to leave /metrics' });
    expect((await scrape(server)).samples.some((x) => x.labels.server_id === odd.id)).toBe(true);
  }, 60_000);

  it('a bad token is refused', async () => {
    const refused = await scrape(server, 'not-a-real-token-at-all');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toMatchObject({ error: 'UNAUTHENTICATED' });
  });
});

describe('per-server gauges with PUBLIC_OVERVIEW=false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ metricsPerServer: true, publicOverview: false });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('are withheld from a scraper without a token and served with one', async () => {
    const { id } = await server.createServer();
    const anonymous = await scrape(server);
    expect(anonymous.status).toBe(200);
    expect(anonymous.types.has('harborforge_heartbeats_accepted_total')).toBe(true);
    expect(anonymous.samples.some((x) => x.name.startsWith('harborforge_server_'))).toBe(false);
    expect(anonymous.text).not.toContain(id);
    expect(anonymous.comments.join('\n')).toMatch(/per-server gauges withheld: PUBLIC_OVERVIEW is false/);

    const admin = await scrape(server, ADMIN_TOKEN);
    expect(of(admin.samples, 'harborforge_server_status', id).map((x) => x.labels.status)).toEqual(['PENDING']);
  });
});

describe('without METRICS_PER_SERVER', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('/metrics has no per-server series', async () => {
    const { id } = await server.createServer();
    const plain = await scrape(server);
    expect(plain.status).toBe(200);
    expect(plain.types.has('harborforge_heartbeats_accepted_total')).toBe(true);
    expect(plain.samples.some((x) => x.name.startsWith('harborforge_server_'))).toBe(false);
    expect(plain.text).not.toContain(id);
  });
});
