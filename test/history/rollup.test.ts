// The tiered history against brute force: every rollup bucket equals count/sum/min/max of the raw
// heartbeats in it, across tier boundaries, with late rows, a restart in the middle of a rollup
// and two instances rolling up at once; the metrics query over each tier; retention per tier.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/services/heartbeats.ts';
import { metricSeries, planSeries, pruneHistory, rollUp } from '../../src/services/history.ts';
import { TIERS } from '../../src/db/history.ts';
import { DEFAULT_HISTORY } from '../../src/config.ts';
import { bruteForce, expectTiersMatch, random, values, type Sent } from '../helpers/history.ts';
import { freshPostgresSchema, postgresAvailable } from '../helpers/services.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.ts';

const hasPostgres = await postgresAvailable();
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 23, 40); // 20 min before a day boundary

function bodyOf(identifier: string, v: Record<string, number | null>, version = '1.0.0') {
  return {
    identifier,
    openclawVersion: version,
    pluginVersion: '0.1.0',
    agents: [{ id: 'a', name: 'A' }],
    cpuPct: v.cpuPct!,
    memPct: v.memPct!,
    diskPct: v.diskPct!,
    swapPct: v.swapPct!,
    load1: v.load1!,
    load5: v.load5!,
    load15: v.load15!,
    uptimeSeconds: 1,
  };
}

for (const provider of ['sqlite', 'postgres'] as const) {
  describe.skipIf(provider === 'postgres' && !hasPostgres)(`tiered history on ${provider}`, () => {
    let server: TestServer;
    let second: TestServer | undefined;
    let dropSchema: (() => Promise<void>) | undefined;
    let dataDir: string | undefined;
    let databaseUrl: string | undefined;
    const clock = { now: T0 + 2 * DAY };
    const sent: Sent[] = [];
    const servers: { id: string; identifier: string; keyHash: string }[] = [];
    const next = random(provider === 'sqlite' ? 7 : 11);

    const start = async () =>
      startTestServer({ now: () => new Date(clock.now), ...(databaseUrl ? { databaseUrl } : {}), ...(dataDir ? { dataDir } : {}), history: { ...DEFAULT_HISTORY, rollupIntervalMs: 3_600_000 } });

    /** Through the real ingest transaction, with the receipt time set per heartbeat. */
    async function ingest(target: TestServer, items: { server: (typeof servers)[number]; at: number; version?: string }[]) {
      const batch = items.map(({ server: s, at, version }) => {
        const v = values(next);
        sent.push({ serverId: s.id, at, values: v });
        return { keyHash: s.keyHash, record: bodyOf(s.identifier, v, version), receivedAt: new Date(at) };
      });
      const outcomes = await target.app.services.db.store.commitHeartbeats(batch);
      expect(outcomes.every((o) => o.ok)).toBe(true);
    }

    /** Rolls up everything, waiting out another instance's run (rollUp itself leaves it to that one). */
    async function settle(target: TestServer) {
      for (;;) {
        const chunk = await target.app.services.db.history.rollupChunk(1000);
        if (chunk.busy) await new Promise((r) => setTimeout(r, 20));
        else if (!chunk.more) return;
      }
    }

    beforeAll(async () => {
      if (provider === 'postgres') {
        const schema = await freshPostgresSchema('history');
        databaseUrl = schema.url;
        dropSchema = schema.drop;
      }
      dataDir = mkdtempSync(join(tmpdir(), 'harborforge-history-'));
      server = await start();
      for (let i = 0; i < 3; i++) {
        const created = await server.createServer();
        servers.push({ ...created, keyHash: hashSecret(await server.issueKey(created.id)) });
      }
    });

    afterAll(async () => {
      await second?.stop();
      await server?.stop();
      await dropSchema?.();
      rmSync(dataDir!, { recursive: true, force: true });
    });

    // 120 s: three server starts, ~1,000 heartbeats and five rollups through the real code; it took 2.6-14 s
    // at load 9-15 and overran 30 s at load ~20 (no assertion failed), and a test cut off by its timeout
    // leaves its rollups running into the next test.
    it('rolls up across tier boundaries, late rows, a restart mid-rollup and two instances: every bucket equals brute force', { timeout: 120_000 }, async () => {
      // 90 minutes around a day boundary, every 30 s, three servers, in batches like group commit.
      for (let at = T0; at < T0 + 90 * 60_000; at += 30_000 * 10) {
        const items = [];
        for (let k = 0; k < 10; k++) for (const s of servers) items.push({ server: s, at: at + k * 30_000 + servers.indexOf(s) });
        await ingest(server, items);
      }
      // Part of it rolled up in small chunks, then a restart (a new process on the same database).
      const history = server.app.services.db.history;
      const first = await history.rollupChunk(100);
      expect(first).toMatchObject({ rows: 100, more: true });
      await history.rollupChunk(77);
      await server.stop();
      server = await start();
      await rollUp(server.app.services, 250);
      await settle(server);
      await expectTiersMatch(server, sent);

      // Late rows: receivedAt inside buckets that are already rolled up (re-opened, not lost).
      await ingest(server, [{ server: servers[0]!, at: T0 + 5 * 60_000 + 1 }, { server: servers[1]!, at: T0 + 61 * 60_000 }]);
      // Two instances rolling up at once while ingest goes on: each heartbeat is folded exactly once.
      second = await start();
      const more = [];
      for (let at = T0 + 90 * 60_000; at < T0 + 120 * 60_000; at += 30_000) more.push({ server: servers[2]!, at });
      await Promise.all([
        ingest(server, more.slice(0, 30)),
        rollUp(server.app.services, 7),
        rollUp(second.app.services, 5),
        ingest(second, more.slice(30)),
      ]);
      await settle(server);
      await expectTiersMatch(server, sent);
    });

    it('metrics answers from the finest tier that fits, equal to brute force, live beyond the rollup', async () => {
      const s = servers[0]!;
      const gql = (from: number, to: number, maxPoints?: number) =>
        server.gql(
          `query ($id: ID!, $from: DateTime!, $to: DateTime!, $max: Int) { metrics(serverId: $id, from: $from, to: $to, maxPoints: $max) {
             resolutionSeconds sourceSeconds points { at cpuPct { avg min max count } load15 { avg min max count } } } }`,
          { id: s.id, from: new Date(from).toISOString(), to: new Date(to).toISOString(), max: maxPoints },
        );
      const check = async (from: number, to: number, maxPoints: number, source: number, resolution: number) => {
        const { data, errors } = await gql(from, to, maxPoints);
        expect(errors).toBeUndefined();
        expect(data.metrics).toMatchObject({ sourceSeconds: source, resolutionSeconds: resolution });
        const width = resolution * 1000;
        const alignedFrom = Math.floor(from / width) * width;
        const expected = bruteForce(sent.filter((row) => row.serverId === s.id).filter((row) => row.at >= alignedFrom && row.at < to), width);
        expect(data.metrics.points.length).toBe(expected.size);
        for (const point of data.metrics.points) {
          const bucket = expected.get(`${s.id}|${new Date(point.at).getTime()}`)!;
          for (const m of ['cpuPct', 'load15']) {
            const agg = bucket[m]!;
            if (agg.count === 0) expect(point[m]).toBeNull();
            else expect(point[m]).toEqual({ avg: expect.closeTo(agg.sum / agg.count, 9), min: agg.min, max: agg.max, count: agg.count });
          }
        }
        return data.metrics;
      };
      // Within raw retention and finer than 5 minutes: raw heartbeats bucketed on the fly.
      await check(T0, T0 + 2 * 3_600_000, 300, 0, 24);
      // 2 h in 10 points: the 5-minute tier, regrouped exactly into 15-minute buckets.
      await check(T0, T0 + 2 * 3_600_000, 8, 300, 900);
      // Older than raw retention (48 h): tiers only.
      clock.now = T0 + 10 * DAY;
      await check(T0, T0 + 2 * 3_600_000, 300, 300, 300);
      // Older than the 5-minute tier's 30 days: hourly.
      clock.now = T0 + 40 * DAY;
      await check(T0 - DAY, T0 + DAY, 300, 3600, 3600);
      await check(T0 - 365 * DAY, T0 + DAY, 300, 86400, 2 * 86400);
      clock.now = T0 + 2 * DAY;

      // A heartbeat not rolled up yet shows in a tier's answer (the last point is live).
      const live = T0 + 119 * 60_000 + 10;
      await ingest(server, [{ server: s, at: live }]);
      clock.now = live + 1000;
      const metrics = await check(T0, T0 + 2 * 3_600_000, 8, 300, 900);
      expect(metrics.points.at(-1).cpuPct?.count ?? metrics.points.at(-1).load15?.count).toBeGreaterThan(0);
      clock.now = T0 + 2 * DAY;
    });

    it('refuses bad ranges and absurd maxPoints naming the argument, and unknown servers', async () => {
      const q = (vars: Record<string, unknown>) =>
        server.gql(`query ($id: ID!, $from: DateTime!, $to: DateTime!, $max: Int) { metrics(serverId: $id, from: $from, to: $to, maxPoints: $max) { resolutionSeconds } }`, {
          id: servers[0]!.id,
          from: new Date(T0).toISOString(),
          to: new Date(T0 + DAY).toISOString(),
          ...vars,
        });
      const error = async (vars: Record<string, unknown>) => (await q(vars)).errors?.[0];
      expect(await error({ from: new Date(T0 + DAY).toISOString() })).toMatchObject({ message: expect.stringMatching(/^from:/), extensions: { code: 'BAD_USER_INPUT' } });
      expect(await error({ max: 0 })).toMatchObject({ message: expect.stringMatching(/^maxPoints:/), extensions: { code: 'BAD_USER_INPUT' } });
      expect(await error({ max: 1_000_000 })).toMatchObject({ message: expect.stringMatching(/^maxPoints:/), extensions: { code: 'BAD_USER_INPUT' } });
      expect(await error({ to: new Date(T0 + 200 * 366 * DAY).toISOString() })).toMatchObject({ message: expect.stringMatching(/^to:/), extensions: { code: 'BAD_USER_INPUT' } });
      expect(await error({ id: 'nope' })).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    });

    it('exports the same series as CSV and JSON over REST (admin)', async () => {
      const s = servers[0]!;
      const from = new Date(T0).toISOString();
      const to = new Date(T0 + 2 * 3_600_000).toISOString();
      const { data } = await server.gql(
        `query ($id: ID!, $from: DateTime!, $to: DateTime!) { metrics(serverId: $id, from: $from, to: $to, maxPoints: 8) { resolutionSeconds points { at cpuPct { avg min max count } } } }`,
        { id: s.id, from, to },
      );
      const path = `/monitor/admin/servers/${s.id}/metrics?from=${from}&to=${to}&resolution=900`;
      const json = await server.rest('GET', path);
      expect(json.status).toBe(200);
      expect(json.body).toMatchObject({ server_id: s.id, resolution_seconds: 900 });
      expect(json.body.points.map((p: any) => ({ at: p.at, cpuPct: p.cpu_pct }))).toEqual(data.metrics.points);
      const csv = await fetch(`${server.url}${path}&format=csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0]!.split(',').slice(0, 6)).toEqual(['at', 'resolution_seconds', 'cpu_pct_avg', 'cpu_pct_min', 'cpu_pct_max', 'cpu_pct_count']);
      expect(lines.length).toBe(data.metrics.points.length + 1);
      const first = data.metrics.points[0];
      expect(lines[1]!.split(',').slice(0, 6)).toEqual([first.at, '900', String(first.cpuPct.avg), String(first.cpuPct.min), String(first.cpuPct.max), String(first.cpuPct.count)]);
      expect((await server.rest('GET', `${path}&format=xml`)).body).toMatchObject({ error: 'BAD_USER_INPUT', message: expect.stringMatching(/^format:/) });
      expect((await server.rest('GET', path.replace(/from=[^&]+/, 'from=yesterday'))).status).toBe(400);
      expect((await server.rest('GET', path, { token: null })).status).toBe(401);
      expect((await server.rest('GET', path.replace(s.id, 'nope'))).status).toBe(404);
    });

    it('version changes are written when versions or agents change, not with every heartbeat', async () => {
      const s = servers[1]!;
      await ingest(server, [
        { server: s, at: T0 + 200 * 60_000, version: '1.0.0' },
        { server: s, at: T0 + 201 * 60_000, version: '1.1.0' },
        { server: s, at: T0 + 202 * 60_000, version: '1.1.0' },
      ]);
      const { data, errors } = await server.gql(
        `query ($id: ID!, $from: DateTime!, $to: DateTime!) { versionChanges(serverId: $id, from: $from, to: $to) { at openclawVersion pluginVersion agents { id name } } }`,
        { id: s.id, from: new Date(T0 - DAY).toISOString(), to: new Date(T0 + DAY).toISOString() },
      );
      expect(errors).toBeUndefined();
      expect(data.versionChanges).toEqual([
        { at: new Date(sent.find((row) => row.serverId === s.id)!.at).toISOString(), openclawVersion: '1.0.0', pluginVersion: '0.1.0', agents: [{ id: 'a', name: 'A' }] },
        { at: new Date(T0 + 201 * 60_000).toISOString(), openclawVersion: '1.1.0', pluginVersion: '0.1.0', agents: [{ id: 'a', name: 'A' }] },
      ]);
      const raw = await server.app.services.db.prisma.heartbeat.findFirst({ where: { serverId: s.id }, orderBy: { id: 'desc' } });
      expect(raw).toMatchObject({ openclawVersion: null, pluginVersion: null, agents: null });
    });

    it('retention per tier: each source pruned at its own age, raw only once rolled up', async () => {
      await settle(server);
      const db = server.app.services.db;
      const late = T0 + 300 * 60_000;
      await ingest(server, [{ server: servers[0]!, at: late }]); // not rolled up yet
      const count = async () => ({
        raw: await db.prisma.heartbeat.count(),
        ...Object.fromEntries(await Promise.all(TIERS.map(async (t) => [t, await db.prisma.metricRollup.count({ where: { tier: t } })]))),
      });
      const before = await count();
      const services = { ...server.app.services, now: () => new Date(late + 3 * DAY) };
      const deleted = await pruneHistory(services);
      const after = await count();
      // Everything is older than 48 h, but the heartbeat that is not in the tiers yet stays.
      expect(after.raw).toBe(1);
      expect(deleted[0]).toBe(before.raw - 1);
      expect(after).toMatchObject({ 300: before[300], 3600: before[3600], 86400: before[86400] });
      await settle(server);
      const later = { ...server.app.services, now: () => new Date(late + 31 * DAY) };
      await pruneHistory(later);
      expect(await count()).toMatchObject({ raw: 0, 300: 0 });
      expect((await count())[3600]).toBeGreaterThan(0);
      await pruneHistory({ ...server.app.services, now: () => new Date(late + 401 * DAY) });
      expect(await count()).toMatchObject({ raw: 0, 300: 0, 3600: 0 });
      expect((await count())[86400]).toBeGreaterThan(0);
    });
  });
}

describe('planSeries', () => {
  const now = new Date(T0);
  const r = DEFAULT_HISTORY.retentionSeconds;
  const plan = (hours: number, maxPoints: number, agoHours = 0) =>
    planSeries({ from: new Date(T0 - (agoHours + hours) * 3_600_000), to: new Date(T0 - agoHours * 3_600_000) }, { maxPoints }, now, r);
  it('picks the finest source covering the range within maxPoints', () => {
    expect(plan(1, 300)).toEqual({ source: 0, resolutionSeconds: 12 });
    expect(plan(12, 300)).toEqual({ source: 0, resolutionSeconds: 144 });
    expect(plan(24, 300)).toEqual({ source: 300, resolutionSeconds: 300 });
    expect(plan(24, 300, 72)).toEqual({ source: 300, resolutionSeconds: 300 });
    expect(plan(7 * 24, 300)).toEqual({ source: 300, resolutionSeconds: 7 * 300 });
    expect(plan(30 * 24, 300)).toEqual({ source: 3600, resolutionSeconds: 3 * 3600 });
    expect(plan(365 * 24, 300)).toEqual({ source: 86400, resolutionSeconds: 2 * 86400 });
    expect(plan(365 * 24, 5000)).toEqual({ source: 3600, resolutionSeconds: 2 * 3600 });
    expect(plan(24, 300, 500 * 24)).toEqual({ source: 86400, resolutionSeconds: 86400 });
  });
});
