// A flapping server (issue 11: "a flapping server produces a bounded number of notifications
// (state the bound)"): interval 5 s, grace 0, going OFFLINE and back every 6 s of its clock for
// eight cycles, watched by an OFFLINE and a LATE rule that both notify two channels.
//
// The bound, asserted here:
//  - per rule and channel, at most 2 notifications per OFFLINE cycle (one FIRING, one RESOLVED),
//    alternating, each idempotency key once: 2K + 1 for K cycles ending OFFLINE;
//  - per channel, at most one message per ALERT_DIGEST_WINDOW_MS (W): what falls due meanwhile
//    goes out as one digest, so over a flapping period T a channel gets at most 1 + ceil(T / W)
//    messages however fast the server flaps.
// A rule with forSeconds longer than the OFFLINE spells damps it entirely: nothing is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, uniqueIdentifier, waitFor, type TestServer } from '../helpers/server.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const DIGEST_WINDOW_MS = 30_000;
const CYCLES = 8;
const FLAP_MS = 6_000;

describe('a flapping server', () => {
  let server: TestServer;
  let receivers: Receiver[];
  let offset = 0;

  beforeAll(async () => {
    receivers = [await startReceiver(), await startReceiver()];
    server = await startTestServer({ now: () => new Date(Date.now() + offset), statusSweepMs: 100, alertDigestWindowMs: DIGEST_WINDOW_MS });
  });
  afterAll(async () => {
    await server?.stop();
    for (const receiver of receivers ?? []) await receiver.close();
  });

  const gql = async (query: string, variables: Record<string, unknown>) => {
    const r = await server.gql(query, variables);
    if (r.errors) throw new Error(r.errors[0]!.message);
    return r.data;
  };
  const alertsOf = async (serverId: string) => (await gql(`query ($s: ID!) { alerts(serverId: $s, state: FIRING) { ruleId } }`, { s: serverId })).alerts as any[];

  it(`sends at most 2 notifications per OFFLINE cycle per rule and channel, and at most one message per channel per digest window`, async () => {
    const tag = uniqueIdentifier('flap');
    const channels: string[] = [];
    for (const receiver of receivers) {
      channels.push((await gql(`mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { id } } }`, { i: { name: uniqueIdentifier('ch'), kind: 'WEBHOOK', settings: { url: receiver.url } } })).createAlertChannel.channel.id);
    }
    const rules: string[] = [];
    for (const kind of ['OFFLINE', 'LATE']) {
      rules.push((await gql(`mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, { i: { name: `${kind} ${tag}`, kind, tags: [tag], channelIds: channels } })).createAlertRule.rule.id);
    }
    const identifier = uniqueIdentifier('flapper');
    const host = await server.createServer(identifier, { intervalSeconds: 5, graceSeconds: 0, tags: [tag] });
    const key = await server.issueKey(host.id);
    const beat = async () => expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);

    await beat();
    const startedAt = Date.now() + offset;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      offset += FLAP_MS; // silent past interval + grace: OFFLINE
      await waitFor(async () => (await alertsOf(host.id)).length === 2, { what: `cycle ${cycle}: both rules FIRING`, timeoutMs: 20_000 });
      await beat(); // back
      await waitFor(async () => (await alertsOf(host.id)).length === 0, { what: `cycle ${cycle}: both rules resolved`, timeoutMs: 20_000 });
    }
    offset += FLAP_MS; // it ends OFFLINE
    await waitFor(async () => (await alertsOf(host.id)).length === 2, { what: 'last OFFLINE', timeoutMs: 20_000 });
    // The flapping is over (it stays OFFLINE); let the last digest window pass so that everything due goes out.
    const flappedMs = Date.now() + offset - startedAt;
    offset += DIGEST_WINDOW_MS;
    const expected = 2 * CYCLES + 1;
    const items = (receiver: Receiver) => receiver.received.flatMap((r) => (r.body.digest ? r.body.digest : [r.body])).filter((n: any) => n.server?.id === host.id);
    for (const receiver of receivers) await waitFor(() => items(receiver).length >= 2 * expected, { what: 'every notification delivered', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));

    const maxMessages = 1 + Math.ceil((flappedMs + DIGEST_WINDOW_MS) / DIGEST_WINDOW_MS);
    for (const receiver of receivers) {
      for (const ruleId of rules) {
        const events = items(receiver).filter((n: any) => n.rule.id === ruleId).map((n: any) => n.event);
        expect(events).toHaveLength(expected); // = 2 per OFFLINE cycle (+ the last FIRING), never more
        expect(events).toEqual(events.map((_: string, i: number) => (i % 2 ? 'RESOLVED' : 'FIRING')));
      }
      const keys = items(receiver).map((n: any) => n.idempotencyKey);
      expect(new Set(keys).size).toBe(keys.length);
      const messages = receiver.received.filter((r) => r.body.server?.id === host.id || r.body.digest?.some((n: any) => n.server?.id === host.id)).length;
      console.log(`flapping: ${CYCLES} cycles over ${Math.round(flappedMs / 1000)} s of clock: ${items(receiver).length} notifications in ${messages} messages on this channel (bound ${maxMessages})`);
      expect(messages).toBeLessThanOrEqual(maxMessages);
    }
  }, 300_000);

  it('an OFFLINE rule with forSeconds longer than the OFFLINE spells sends nothing while the server flaps', async () => {
    const tag = uniqueIdentifier('damped');
    const channel = (await gql(`mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { id } } }`, { i: { name: uniqueIdentifier('ch'), kind: 'WEBHOOK', settings: { url: receivers[0]!.url } } })).createAlertChannel.channel.id;
    await gql(`mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, { i: { name: `damped ${tag}`, kind: 'OFFLINE', forSeconds: 30, tags: [tag], channelIds: [channel] } });
    const identifier = uniqueIdentifier('damped');
    const host = await server.createServer(identifier, { intervalSeconds: 5, graceSeconds: 0, tags: [tag] });
    const key = await server.issueKey(host.id);
    const history = async () =>
      ((await gql(`query ($s: ID!) { alertHistory(serverId: $s, first: 50) { edges { node { type } } } }`, { s: host.id })).alertHistory.edges as any[]).map((e) => e.node.type);
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    for (let cycle = 0; cycle < 4; cycle++) {
      offset += FLAP_MS;
      await waitFor(async () => (await history()).filter((t) => t === 'PENDING').length === cycle + 1, { what: `cycle ${cycle}: PENDING`, timeoutMs: 20_000 });
      expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
      await waitFor(async () => (await history()).filter((t) => t === 'CANCELLED').length === cycle + 1, { what: `cycle ${cycle}: CANCELLED`, timeoutMs: 20_000 });
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(receivers[0]!.received.filter((r) => r.body.server?.id === host.id || r.body.digest?.some((n: any) => n.server?.id === host.id))).toEqual([]);
  }, 120_000);
});
