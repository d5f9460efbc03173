// Exact uptime from status transitions: crafted sequences (PENDING, before registration, backend
// downtime, day buckets), then through GraphQL on SQLite and PostgreSQL, before and after the
// daily rollup, to the second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollUpUptime } from '../../src/services/uptime-rollup.ts';
import { tallyBuckets } from '../../src/services/uptime-tally.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { freshPostgresSchema, postgresAvailable } from '../helpers/services.ts';

const hasPostgres = await postgresAvailable();
const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2026-06-01T00:00:00.000Z');

describe('tallyBuckets', () => {
  const seq = (...pairs: [string, number][]) => pairs.map(([toStatus, at]) => ({ toStatus, at }));

  it('counts ONLINE and LATE as up, OFFLINE as down, PENDING and before registration as neither', () => {
    const changes = seq(['PENDING', 100], ['ONLINE', 200], ['LATE', 500], ['OFFLINE', 600], ['ONLINE', 900]);
    const { buckets, endStatus } = tallyBuckets(null, changes, [0, 1000]);
    expect(buckets).toEqual([{ upMs: 300 + 100 + 100, downMs: 300, excludedMs: 0 }]);
    expect(endStatus).toBe('ONLINE');
  });

  it('starts from the status before the range and splits at bucket edges', () => {
    const { buckets } = tallyBuckets('OFFLINE', seq(['ONLINE', 150], ['OFFLINE', 250]), [100, 200, 300]);
    expect(buckets).toEqual([
      { upMs: 50, downMs: 50, excludedMs: 0 },
      { upMs: 50, downMs: 50, excludedMs: 0 },
    ]);
  });

  it('excludes backend downtime (overlapping rows merged) from both up and down', () => {
    const { buckets } = tallyBuckets('ONLINE', seq(['OFFLINE', 500]), [0, 1000], [
      { start: 400, end: 600 },
      { start: 550, end: 700 },
      { start: 2000, end: 3000 },
    ]);
    expect(buckets).toEqual([{ upMs: 400, downMs: 300, excludedMs: 300 }]);
  });

  it('a transition exactly at the start of the range is its starting status', () => {
    expect(tallyBuckets('OFFLINE', seq(['ONLINE', 0]), [0, 10]).buckets).toEqual([{ upMs: 10, downMs: 0, excludedMs: 0 }]);
  });
});

describe.each([
  ['sqlite', false],
  ['postgres', true],
] as const)('uptime on %s', (_provider, needsPostgres) => {
  const skip = needsPostgres && !hasPostgres;
  let server: TestServer;
  let dropSchema: (() => Promise<void>) | undefined;
  const clock = T0 + 6 * H;
  let serverId: string;

  const q = `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
    uptime(serverId: $id, from: $from, to: $to) { ratio upSeconds downSeconds excludedSeconds changeCount changes(first: 3) { fromStatus toStatus at cause } }
  }`;
  const uptime = async (from: number, to: number) => {
    const { data, errors } = await server.gql(q, { id: serverId, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    expect(errors).toBeUndefined();
    return data.uptime;
  };

  beforeAll(async () => {
    if (skip) return;
    let databaseUrl: string | undefined;
    if (needsPostgres) {
      const schema = await freshPostgresSchema('uptime');
      databaseUrl = schema.url;
      dropSchema = schema.drop;
    }
    server = await startTestServer({ databaseUrl, now: () => new Date(clock), uptimeRollupMs: 3_600_000 });
    serverId = (await server.createServer()).id;
    const { prisma } = server.app.services.db;
    // Two days and six hours of history, replacing the registration row written just now.
    await prisma.statusChange.deleteMany({ where: { serverId } });
    const rows: [string | null, string, number, string][] = [
      [null, 'PENDING', -2 * D + 1 * H, 'REGISTERED'],
      ['PENDING', 'ONLINE', -2 * D + 2 * H, 'HEARTBEAT'],
      ['ONLINE', 'LATE', -2 * D + 10 * H, 'SILENCE'],
      ['LATE', 'OFFLINE', -2 * D + 11 * H, 'SILENCE'],
      ['OFFLINE', 'ONLINE', -1 * D + 3 * H, 'HEARTBEAT'],
      ['ONLINE', 'OFFLINE', -1 * D + 23.5 * H, 'SILENCE'],
      ['OFFLINE', 'ONLINE', 1 * H, 'HEARTBEAT'],
    ];
    for (const [fromStatus, toStatus, at, cause] of rows) {
      await prisma.statusChange.create({ data: { serverId, fromStatus, toStatus, at: new Date(T0 + at), cause } });
    }
  });
  afterAll(async () => {
    await server?.stop();
    await dropSchema?.();
  });

  it.skipIf(skip)('is exact to the second over any range, the same before and after the daily rollup', async () => {
    const expectations: [number, number, number, number][] = [
      // from, to, upSeconds, downSeconds
      [T0 - 3 * D, T0 + 6 * H, 34.5 * 3600, 17.5 * 3600],
      [T0 - 2 * D + 10 * H - 1000, T0 + 30 * 60_000 + 1000, 3601 + 73_800, 57_600 + 3601],
      [T0 - 2 * D, T0 - 2 * D + 1.5 * H, 0, 0],
      // A range reaching into the future ends now.
      [T0, T0 + 10 * D, 5 * 3600, 3600],
    ];
    const before = [];
    for (const [from, to, up, down] of expectations) {
      const result = await uptime(from, to);
      expect([result.upSeconds, result.downSeconds]).toEqual([up, down]);
      expect(result.ratio).toBe(up + down ? up / (up + down) : null);
      before.push(result);
    }
    expect(before[0].changeCount).toBe(7);
    expect(before[0].changes).toEqual([
      { fromStatus: 'OFFLINE', toStatus: 'ONLINE', at: new Date(T0 + H).toISOString(), cause: 'HEARTBEAT' },
      { fromStatus: 'ONLINE', toStatus: 'OFFLINE', at: new Date(T0 - D + 23.5 * H).toISOString(), cause: 'SILENCE' },
      { fromStatus: 'OFFLINE', toStatus: 'ONLINE', at: new Date(T0 - D + 3 * H).toISOString(), cause: 'HEARTBEAT' },
    ]);

    // The server's own rollup timer may have rolled some days already: what matters is the result.
    await rollUpUptime(server.app.services);
    expect(await rollUpUptime(server.app.services)).toBe(0);
    expect(await server.app.services.db.prisma.fleetUptimeDay.count()).toBe(2);
    for (const [i, [from, to]] of expectations.entries()) expect(await uptime(from, to)).toEqual(before[i]);
  });

  it.skipIf(skip)('gives one bar per day, the fleet figure over rolled days, and a page of servers at once', async () => {
    await rollUpUptime(server.app.services);
    const { data, errors } = await server.gql(
      `query ($id: ID!, $ids: [ID!]!, $from: DateTime!, $to: DateTime!) {
        uptimeDays(serverId: $id, days: 3) { day upSeconds downSeconds ratio }
        fleetUptime(from: $from, to: $to) { from to upSeconds downSeconds days { day upSeconds } }
        uptimes(serverIds: $ids, from: $from, to: $to) { serverId upSeconds downSeconds }
      }`,
      { id: serverId, ids: [serverId, 'no-such-server'], from: new Date(T0 - 3 * D).toISOString(), to: new Date(T0 + 6 * H).toISOString() },
    );
    expect(errors).toBeUndefined();
    expect(data.uptimeDays).toEqual([
      { day: new Date(T0 - 2 * D).toISOString(), upSeconds: 9 * 3600, downSeconds: 13 * 3600, ratio: 9 / 22 },
      { day: new Date(T0 - D).toISOString(), upSeconds: 20.5 * 3600, downSeconds: 3.5 * 3600, ratio: 20.5 / 24 },
      { day: new Date(T0).toISOString(), upSeconds: 5 * 3600, downSeconds: 3600, ratio: 5 / 6 },
    ]);
    expect(data.fleetUptime).toEqual({
      from: new Date(T0 - 2 * D).toISOString(),
      to: new Date(T0).toISOString(),
      upSeconds: 29.5 * 3600,
      downSeconds: 16.5 * 3600,
      days: [
        { day: new Date(T0 - 2 * D).toISOString(), upSeconds: 9 * 3600 },
        { day: new Date(T0 - D).toISOString(), upSeconds: 20.5 * 3600 },
      ],
    });
    expect(data.uptimes).toEqual([{ serverId, upSeconds: 34.5 * 3600, downSeconds: 17.5 * 3600 }]);
  });

  it.skipIf(skip)("does not count the backend's own recorded downtime, as up or as down", async () => {
    const { prisma } = server.app.services.db;
    // Backend down across the OFFLINE→ONLINE change of today 01:00, and an open outage is not counted till now.
    const period = await prisma.backendDowntime.create({ data: { startedAt: new Date(T0 + 0.5 * H), endedAt: new Date(T0 + 2 * H), cause: 'RESTART' } });
    try {
      const result = await uptime(T0, T0 + 6 * H);
      expect([result.upSeconds, result.downSeconds, result.excludedSeconds]).toEqual([4 * 3600, 0.5 * 3600, 1.5 * 3600]);
    } finally {
      await prisma.backendDowntime.delete({ where: { id: period.id } });
    }
  });

  it.skipIf(skip)('names bad input, and keeps the transitions for admins', async () => {
    const bad = await server.gql(q, { id: serverId, from: new Date(T0).toISOString(), to: new Date(T0 - 1).toISOString() });
    expect(bad.errors?.[0]).toMatchObject({ message: 'to: must be after from', extensions: { code: 'BAD_USER_INPUT' } });
    const missing = await server.gql(q, { id: 'nope', from: new Date(T0).toISOString(), to: new Date(T0 + 1).toISOString() });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const anonymous = await server.gql(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) { uptime(serverId: $id, from: $from, to: $to) { ratio changes { at } } }`,
      { id: serverId, from: new Date(T0).toISOString(), to: new Date(T0 + H).toISOString() },
      null,
    );
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const ratioOnly = await server.gql(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) { uptime(serverId: $id, from: $from, to: $to) { ratio } }`,
      { id: serverId, from: new Date(T0).toISOString(), to: new Date(T0 + 2 * H).toISOString() },
      null,
    );
    expect(ratioOnly).toEqual({ data: { uptime: { ratio: 0.5 } } });
  });
});
