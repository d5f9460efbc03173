// The alert state machine end to end on SQLite, with a real webhook receiver and a clock the test
// moves: OFFLINE fire/resolve, hysteresis and forSeconds, suspension while OFFLINE, silences,
// retries with backoff, a permanent failure, digests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/services/alerts/channels.ts';
import { silenceActiveUntil } from '../../src/services/alerts/silences.ts';
import { seedHeartbeat, startTestServer, uniqueIdentifier, waitFor, type TestServer } from '../helpers/server.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const SECRET = 'hook-secret-123';

describe('alert engine', () => {
  let server: TestServer;
  let receiver: Receiver;
  let offset = 0;
  const advance = (seconds: number) => (offset += seconds * 1000);

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ now: () => new Date(Date.now() + offset), statusSweepMs: 100, alertDigestWindowMs: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  async function channel(url = receiver.url, extra: Record<string, unknown> = {}) {
    const r = await server.gql(`mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { id } } }`, {
      i: { name: uniqueIdentifier('ch'), kind: 'WEBHOOK', settings: { url, secret: SECRET, ...extra } },
    });
    if (r.errors) throw new Error(r.errors[0]!.message);
    return r.data.createAlertChannel.channel.id as string;
  }
  async function rule(input: Record<string, unknown>) {
    const r = await server.gql(`mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, { i: { name: uniqueIdentifier('rule'), ...input } });
    if (r.errors) throw new Error(r.errors[0]!.message);
    return r.data.createAlertRule.rule.id as string;
  }
  async function monitored(tags: string[], intervalSeconds = 60) {
    const identifier = uniqueIdentifier('host');
    const created = await server.createServer(identifier, { tags, intervalSeconds, graceSeconds: 30 });
    const key = await server.issueKey(created.id);
    const beat = async (overrides: Record<string, unknown> = {}) => {
      const r = await server.heartbeat(key, seedHeartbeat(identifier, overrides));
      expect(r.status).toBe(200);
    };
    return { ...created, beat };
  }
  const alertsOf = async (serverId: string) => (await server.gql(`query ($s: ID!) { alerts(serverId: $s) { state ruleId value notified } }`, { s: serverId })).data.alerts as any[];
  const historyOf = async (serverId: string) =>
    ((await server.gql(`query ($s: ID!) { alertHistory(serverId: $s, first: 50) { edges { node { type silenced message } } } }`, { s: serverId })).data.alertHistory.edges as any[]).map((e) => e.node);
  /** Notifications about one server, digests unpacked. */
  const bodiesFor = (serverId: string) =>
    receiver.received
      .flatMap((r) => (r.body?.digest ? r.body.digest.map((item: any) => ({ ...r, body: item })) : [r]))
      .filter((r) => r.body?.server?.id === serverId);

  it('an OFFLINE rule fires once when the server goes OFFLINE and resolves when it is back, signed, with the contract fields', async () => {
    const tag = uniqueIdentifier('t');
    const channelId = await channel();
    const ruleId = await rule({ kind: 'OFFLINE', tags: [tag], channelIds: [channelId] });
    const host = await monitored([tag]);
    await host.beat();
    advance(100);
    const [firing] = await waitFor(() => (bodiesFor(host.id).length >= 1 ? bodiesFor(host.id) : undefined), { what: 'FIRING webhook' });
    expect(firing!.body).toMatchObject({ event: 'FIRING', rule: { id: ruleId, kind: 'OFFLINE' }, server: { id: host.id, identifier: host.identifier } });
    expect(firing!.body.idempotencyKey).toEqual(expect.any(String));
    expect(firing!.body.at).toEqual(expect.any(String));
    expect(firing!.body.message).toContain('OFFLINE');
    expect(firing!.headers['x-harborforge-signature']).toBe(signBody(SECRET, firing!.raw));
    expect(await alertsOf(host.id)).toMatchObject([{ state: 'FIRING', ruleId, notified: true }]);

    await host.beat();
    await waitFor(() => bodiesFor(host.id).length >= 2, { what: 'RESOLVED webhook' });
    expect(bodiesFor(host.id)[1]!.body).toMatchObject({ event: 'RESOLVED', server: { id: host.id } });
    expect(await alertsOf(host.id)).toEqual([]);
    expect((await historyOf(host.id)).map((e) => e.type)).toEqual(['RESOLVED', 'FIRING']);
    // Nothing more: one notification per transition.
    await new Promise((r) => setTimeout(r, 1500));
    expect(bodiesFor(host.id)).toHaveLength(2);
  });

  it('a METRIC rule waits forSeconds (PENDING), fires, and resolves only past the clear threshold (hysteresis)', async () => {
    const tag = uniqueIdentifier('t');
    const channelId = await channel();
    await rule({ kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 90, clearThreshold: 80, forSeconds: 20, tags: [tag], channelIds: [channelId] });
    const host = await monitored([tag]);
    await host.beat({ cpu_pct: 95 });
    await waitFor(async () => (await alertsOf(host.id))[0]?.state === 'PENDING', { what: 'PENDING' });
    await host.beat({ cpu_pct: 50 });
    await waitFor(async () => (await alertsOf(host.id)).length === 0, { what: 'PENDING cancelled' });
    await host.beat({ cpu_pct: 96 });
    await waitFor(async () => (await alertsOf(host.id))[0]?.state === 'PENDING', { what: 'PENDING again' });
    advance(21);
    // forSeconds elapses without any heartbeat: the due-time index brings it to FIRING.
    await waitFor(() => bodiesFor(host.id).length >= 1, { what: 'FIRING after forSeconds' });
    expect(bodiesFor(host.id)[0]!.body).toMatchObject({ event: 'FIRING', value: 96 });
    await host.beat({ cpu_pct: 85 });
    await new Promise((r) => setTimeout(r, 800));
    expect((await alertsOf(host.id))[0]?.state).toBe('FIRING');
    await host.beat({ cpu_pct: 79 });
    await waitFor(() => bodiesFor(host.id).length >= 2, { what: 'RESOLVED below clear threshold' });
    expect(bodiesFor(host.id)[1]!.body).toMatchObject({ event: 'RESOLVED', value: 79 });
    expect((await historyOf(host.id)).map((e) => e.type)).toEqual(['RESOLVED', 'FIRING', 'PENDING', 'CANCELLED', 'PENDING']);
  });

  it('suspends METRIC rules of an OFFLINE server: the metric alert resolves, the OFFLINE rule speaks, nothing stays stuck', async () => {
    const tag = uniqueIdentifier('t');
    const channelId = await channel();
    const metricRule = await rule({ kind: 'METRIC', metric: 'MEM_PCT', operator: 'ABOVE', threshold: 70, tags: [tag], channelIds: [channelId] });
    const offlineRule = await rule({ kind: 'OFFLINE', tags: [tag], channelIds: [channelId] });
    const host = await monitored([tag]);
    await host.beat({ mem_pct: 75 });
    await waitFor(() => bodiesFor(host.id).length >= 1, { what: 'metric FIRING' });
    advance(100);
    await waitFor(() => bodiesFor(host.id).length >= 3, { what: 'OFFLINE FIRING + metric RESOLVED' });
    const events = bodiesFor(host.id).map((r) => `${r.body.rule.id === metricRule ? 'metric' : 'offline'}:${r.body.event}`);
    expect(events.sort()).toEqual(['metric:FIRING', 'metric:RESOLVED', 'offline:FIRING']);
    expect(bodiesFor(host.id).find((r) => r.body.rule.id === metricRule && r.body.event === 'RESOLVED')!.body.message).toContain('suspended');
    expect(await alertsOf(host.id)).toMatchObject([{ state: 'FIRING', ruleId: offlineRule }]);
  });

  it('records alerts inside a silence without sending them, and sends one when the silence ends while still firing', async () => {
    const tag = uniqueIdentifier('t');
    const channelId = await channel();
    await rule({ kind: 'OFFLINE', tags: [tag], channelIds: [channelId] });
    const host = await monitored([tag]);
    await host.beat();
    const now = Date.now() + offset;
    const silence = await server.gql(`mutation ($i: CreateSilenceInput!) { createSilence(input: $i) { silence { id } } }`, {
      i: { comment: 'maintenance', tags: [tag], startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() },
    });
    advance(100);
    await waitFor(async () => (await historyOf(host.id)).length === 1, { what: 'silenced FIRING recorded' });
    expect(await historyOf(host.id)).toMatchObject([{ type: 'FIRING', silenced: true }]);
    expect(await alertsOf(host.id)).toMatchObject([{ state: 'FIRING', notified: false }]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(bodiesFor(host.id)).toHaveLength(0);

    await server.gql(`mutation ($i: UpdateSilenceInput!) { updateSilence(input: $i) { silence { id } } }`, {
      i: { id: silence.data.createSilence.silence.id, endsAt: new Date(Date.now() + offset).toISOString() },
    });
    await waitFor(() => bodiesFor(host.id).length >= 1, { what: 'FIRING after the silence' });
    await new Promise((r) => setTimeout(r, 1200));
    expect(bodiesFor(host.id).map((r) => r.body.event)).toEqual(['FIRING']);
    expect(await alertsOf(host.id)).toMatchObject([{ state: 'FIRING', notified: true }]);
  });

  it('weekly recurrence: a window is in force on its days from its start time for its duration (UTC)', () => {
    const rec = { startsAt: null, endsAt: null, recurrence: { days: ['SUN' as const, 'WED' as const], startTime: '23:30', durationMinutes: 120 } };
    // 2026-11-29 is a Sunday.
    expect(silenceActiveUntil(rec, new Date('2026-11-29T23:29:59Z'))).toBeNull();
    expect(silenceActiveUntil(rec, new Date('2026-11-29T23:30:00Z'))?.toISOString()).toBe('2026-11-30T01:30:00.000Z');
    expect(silenceActiveUntil(rec, new Date('2026-11-30T01:29:00Z'))?.toISOString()).toBe('2026-11-30T01:30:00.000Z');
    expect(silenceActiveUntil(rec, new Date('2026-11-30T01:30:00Z'))).toBeNull();
    expect(silenceActiveUntil(rec, new Date('2026-12-02T23:45:00Z'))?.toISOString()).toBe('2026-12-03T01:30:00.000Z');
    expect(silenceActiveUntil(rec, new Date('2026-12-01T23:45:00Z'))).toBeNull();
    expect(silenceActiveUntil({ ...rec, endsAt: new Date('2026-11-30T00:00:00Z') }, new Date('2026-11-29T23:45:00Z'))?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('retries a receiver that fails twice, then delivers once; a permanent failure is not retried', async () => {
    const flaky = await startReceiver();
    const broken = await startReceiver();
    try {
      flaky.script(503, 500);
      broken.script(404, 404, 404);
      const tag = uniqueIdentifier('t');
      const flakyChannel = await channel(flaky.url);
      const brokenChannel = await channel(broken.url);
      await rule({ kind: 'OFFLINE', tags: [tag], channelIds: [flakyChannel, brokenChannel] });
      const host = await monitored([tag]);
      await host.beat();
      advance(100);
      await flaky.waitFor(3, 20_000);
      expect(flaky.received.map((r) => r.body.idempotencyKey)).toEqual(Array(3).fill(flaky.received[0]!.body.idempotencyKey));
      const prisma = server.app.services.db.prisma;
      const rows = await waitFor(async () => {
        const found = await prisma.alertOutbox.findMany({ where: { channelId: { in: [flakyChannel, brokenChannel] } } });
        return found.length === 2 && found.every((row) => row.status !== 'PENDING') ? found : undefined;
      });
      expect(rows.find((r) => r.channelId === flakyChannel)).toMatchObject({ status: 'SENT', attempts: 3 });
      expect(rows.find((r) => r.channelId === brokenChannel)).toMatchObject({ status: 'FAILED', attempts: 1 });
      const channels = (await server.gql(`{ alertChannels { id lastError lastSuccessAt healthy } }`)).data.alertChannels as any[];
      expect(channels.find((c) => c.id === flakyChannel)).toMatchObject({ healthy: true });
      expect(channels.find((c) => c.id === brokenChannel)).toMatchObject({ healthy: false });
      expect(channels.find((c) => c.id === brokenChannel).lastError).toContain('404');
      await new Promise((r) => setTimeout(r, 2500));
      expect(broken.received).toHaveLength(1);
      expect(flaky.received).toHaveLength(3);
    } finally {
      await flaky.close();
      await broken.close();
    }
  });
});
