// The alerting API: channels (write-only secrets, validation, test sends to a real receiver),
// rules (validation names the field), silences, incidents and history; server tags.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../../src/services/admin-tokens.ts';
import { startTestServer, uniqueIdentifier, type TestServer } from '../helpers/server.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const CHANNEL = 'id name kind enabled settings secretsSet hasSecret lastSuccessAt lastErrorAt lastError healthy';
const RULE = 'id name kind metric operator threshold clearThreshold forSeconds serverIds tags channelIds repeatIntervalSeconds notifyOnResolve enabled';

describe('alerting API', () => {
  let server: TestServer;
  let receiver: Receiver;
  let readOnly: string;

  beforeAll(async () => {
    [server, receiver] = await Promise.all([startTestServer(), startReceiver()]);
    readOnly = (await createAdminToken(server.app.services.db.prisma, { name: 'viewer', scope: 'read-only' })).token;
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  const createChannel = (input: Record<string, unknown>) =>
    server.gql(`mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { ${CHANNEL} } } }`, { i: input });

  it('creates a webhook channel whose secret is never returned, and tests it against a real receiver', async () => {
    const created = await createChannel({ name: 'ops hook', kind: 'WEBHOOK', settings: { url: receiver.url, secret: 's3cret-value' } });
    expect(created.errors).toBeUndefined();
    const channel = created.data.createAlertChannel.channel;
    expect(channel).toMatchObject({ name: 'ops hook', kind: 'WEBHOOK', enabled: true, settings: { url: receiver.url }, secretsSet: ['secret'], hasSecret: true });
    expect(JSON.stringify(created)).not.toContain('s3cret-value');

    const listed = await server.gql(`{ alertChannels { ${CHANNEL} } }`);
    expect(JSON.stringify(listed)).not.toContain('s3cret-value');
    expect(listed.data.alertChannels.map((c: any) => c.id)).toContain(channel.id);

    const tested = await server.gql(`mutation ($id: ID!) { testAlertChannel(id: $id) { ok error channel { lastSuccessAt healthy } } }`, { id: channel.id });
    expect(tested.errors).toBeUndefined();
    expect(tested.data.testAlertChannel).toMatchObject({ ok: true, error: null, channel: { healthy: true } });
    expect(tested.data.testAlertChannel.channel.lastSuccessAt).not.toBeNull();
    const [request] = await receiver.waitFor(1);
    expect(request!.body.event).toBe('TEST');
    expect(request!.headers['x-harborforge-signature']).toBe(`sha256=${createHmac('sha256', 's3cret-value').update(request!.raw).digest('hex')}`);

    // An update without the secret keeps it; the test of a failing receiver is recorded as the channel's health.
    const updated = await server.gql(`mutation ($i: UpdateAlertChannelInput!) { updateAlertChannel(input: $i) { channel { ${CHANNEL} } } }`, {
      i: { id: channel.id, name: 'renamed', settings: { url: receiver.url } },
    });
    expect(updated.data.updateAlertChannel.channel).toMatchObject({ name: 'renamed', secretsSet: ['secret'] });
    receiver.script(500);
    const failed = await server.gql(`mutation ($id: ID!) { testAlertChannel(id: $id) { ok error channel { lastError healthy } } }`, { id: channel.id });
    expect(failed.data.testAlertChannel).toMatchObject({ ok: false, channel: { healthy: false } });
    expect(failed.data.testAlertChannel.error).toContain('HTTP 500');
    expect(failed.data.testAlertChannel.channel.lastError).toBe(failed.data.testAlertChannel.error);
  });

  it('refuses bad channel input naming the field, and unknown ids with NOT_FOUND', async () => {
    const bad = await createChannel({ name: 'x', kind: 'WEBHOOK', settings: { url: 'not a url' } });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toContain('settings.url');
    const missing = await server.gql(`mutation { testAlertChannel(id: "nope") { ok } }`);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const deleted = await server.gql(`mutation { deleteAlertChannel(id: "nope") { deletedChannelId } }`);
    expect(deleted.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const count = await server.app.services.db.prisma.alertChannel.count({ where: { name: 'x' } });
    expect(count).toBe(0);
  });

  it('creates, updates, lists and deletes rules; validation names the field', async () => {
    const channel = (await createChannel({ name: 'rules hook', kind: 'WEBHOOK', settings: { url: receiver.url } })).data.createAlertChannel.channel;
    const create = (input: Record<string, unknown>) => server.gql(`mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { ${RULE} } } }`, { i: input });

    const wrongSide = await create({ name: 'cpu', kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 90, clearThreshold: 95 });
    expect(wrongSide.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrongSide.errors?.[0]?.message).toContain('clearThreshold');
    const noMetric = await create({ name: 'cpu', kind: 'METRIC', operator: 'ABOVE', threshold: 90 });
    expect(noMetric.errors?.[0]?.message).toContain('metric: is required');
    const stray = await create({ name: 'off', kind: 'OFFLINE', threshold: 3 });
    expect(stray.errors?.[0]?.message).toContain('threshold: is only for METRIC rules');
    const unknownChannel = await create({ name: 'off', kind: 'OFFLINE', channelIds: ['nope'] });
    expect(unknownChannel.errors?.[0]?.message).toContain('channelIds');

    const created = await create({ name: 'cpu high', kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 90, clearThreshold: 80, forSeconds: 60, tags: ['web'], channelIds: [channel.id] });
    expect(created.errors).toBeUndefined();
    const rule = created.data.createAlertRule.rule;
    expect(rule).toMatchObject({ kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 90, clearThreshold: 80, forSeconds: 60, tags: ['web'], channelIds: [channel.id], notifyOnResolve: true, enabled: true, repeatIntervalSeconds: null });

    const updated = await server.gql(`mutation ($i: UpdateAlertRuleInput!) { updateAlertRule(input: $i) { rule { ${RULE} } } }`, { i: { id: rule.id, threshold: 95, notifyOnResolve: false } });
    expect(updated.data.updateAlertRule.rule).toMatchObject({ threshold: 95, clearThreshold: 80, notifyOnResolve: false, forSeconds: 60 });
    const badUpdate = await server.gql(`mutation ($i: UpdateAlertRuleInput!) { updateAlertRule(input: $i) { rule { id } } }`, { i: { id: rule.id, clearThreshold: 99 } });
    expect(badUpdate.errors?.[0]?.message).toContain('clearThreshold');

    const listed = await server.gql(`{ alertRules { id } }`);
    expect(listed.data.alertRules.map((r: any) => r.id)).toContain(rule.id);
    const deleted = await server.gql(`mutation ($id: ID!) { deleteAlertRule(id: $id) { deletedRuleId } }`, { id: rule.id });
    expect(deleted.data.deleteAlertRule.deletedRuleId).toBe(rule.id);
  });

  it('creates one-off and weekly silences, says which are in force, and validates the window', async () => {
    const now = Date.now();
    const oneOff = await server.gql(`mutation ($i: CreateSilenceInput!) { createSilence(input: $i) { silence { id comment startsAt endsAt activeUntil recurrence { days } } } }`, {
      i: { comment: 'deploy', startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), tags: ['web'] },
    });
    expect(oneOff.errors).toBeUndefined();
    expect(oneOff.data.createSilence.silence.activeUntil).toBe(new Date(now + 3_600_000).toISOString());

    const weekly = await server.gql(`mutation ($i: CreateSilenceInput!) { createSilence(input: $i) { silence { id recurrence { days startTime durationMinutes } } } }`, {
      i: { comment: 'backups', recurrence: { days: ['SUN'], startTime: '03:00', durationMinutes: 60 } },
    });
    expect(weekly.data.createSilence.silence.recurrence).toEqual({ days: ['SUN'], startTime: '03:00', durationMinutes: 60 });

    const noWindow = await server.gql(`mutation { createSilence(input: { comment: "x" }) { silence { id } } }`);
    expect(noWindow.errors?.[0]?.message).toContain('startsAt');
    const backwards = await server.gql(`mutation ($i: CreateSilenceInput!) { createSilence(input: $i) { silence { id } } }`, {
      i: { comment: 'x', startsAt: new Date(now).toISOString(), endsAt: new Date(now - 1).toISOString() },
    });
    expect(backwards.errors?.[0]?.message).toContain('endsAt: must be after startsAt');
    const badTime = await server.gql(`mutation { createSilence(input: { comment: "x", recurrence: { days: [MON], startTime: "25:00", durationMinutes: 5 } }) { silence { id } } }`);
    expect(badTime.errors?.[0]?.message).toContain('recurrence.startTime');

    const listed = await server.gql(`{ silences { id } }`);
    expect(listed.data.silences.map((s: any) => s.id)).toEqual(expect.arrayContaining([oneOff.data.createSilence.silence.id, weekly.data.createSilence.silence.id]));
    const ended = await server.gql(`mutation ($i: UpdateSilenceInput!) { updateSilence(input: $i) { silence { activeUntil } } }`, {
      i: { id: oneOff.data.createSilence.silence.id, endsAt: new Date(now).toISOString() },
    });
    expect(ended.data.updateSilence.silence.activeUntil).toBeNull();
    const deleted = await server.gql(`mutation ($id: ID!) { deleteSilence(id: $id) { deletedSilenceId } }`, { id: weekly.data.createSilence.silence.id });
    expect(deleted.errors).toBeUndefined();
  });

  it('lists incidents and history (empty at first), and refuses anonymous and read-only callers as it should', async () => {
    const result = await server.gql(`{ alerts { id } firing: alerts(state: FIRING) { id } alertHistory(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data.alerts).toEqual([]);
    const anonymous = await server.gql(`{ alertChannels { id } }`, undefined, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const reader = await server.gql(`{ alertChannels { id } alertRules { id } silences { id } }`, undefined, readOnly);
    expect(reader.errors).toBeUndefined();
    const write = await server.gql(`mutation { createSilence(input: { comment: "x", recurrence: { days: [MON], startTime: "01:00", durationMinutes: 5 } }) { silence { id } } }`, undefined, readOnly);
    expect(write.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('sets tags on servers through GraphQL and REST, and filters servers by them', async () => {
    const a = await server.createServer(uniqueIdentifier('tagged'), { tags: ['web', 'eu', 'web'] });
    const b = await server.createServer(uniqueIdentifier('tagged'), { tags: ['db'] });
    const read = await server.gql(`query ($id: ID!) { server(id: $id) { tags } }`, { id: a.id });
    expect(read.data.server.tags).toEqual(['eu', 'web']);

    const bad = await server.gql(`mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { tags } } }`, { i: { id: b.id, tags: ['bad tag'] } });
    expect(bad.errors?.[0]?.message).toContain('tags.0');
    const updated = await server.gql(`mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { tags } } }`, { i: { id: b.id, tags: ['db', 'eu'] } });
    expect(updated.data.updateServer.server.tags).toEqual(['db', 'eu']);

    const filtered = await server.gql(`{ servers(tags: ["eu"], first: 50) { totalCount edges { node { id } } } }`);
    expect(filtered.data.servers.edges.map((e: any) => e.node.id).sort()).toEqual([a.id, b.id].sort());
    const both = await server.gql(`{ servers(tags: ["eu", "web"]) { totalCount edges { node { id } } } }`);
    expect(both.data.servers.totalCount).toBe(1);

    const rest = await server.rest('POST', '/monitor/admin/servers', { body: { identifier: uniqueIdentifier('rest'), tags: ['web'] } });
    expect(rest.status).toBe(201);
    expect(rest.body.tags).toEqual(['web']);
    const patched = await server.rest('PATCH', `/monitor/admin/servers/${rest.body.id}`, { body: { tags: [] } });
    expect(patched.body.tags).toEqual([]);
    const listed = await server.rest('GET', '/monitor/admin/servers?tag=web&tag=eu');
    expect(listed.body.servers.map((s: any) => s.id)).toEqual([a.id]);
  });
});
