// Silences over REST (what a deploy script does with curl): open one before the deploy, see it in
// force, close it afterwards. The same service as GraphQL, so the engine honours it: an OFFLINE
// inside the window is recorded, not sent; deleting the window while it still fires sends it once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../../src/services/admin-tokens.ts';
import { seedHeartbeat, startTestServer, uniqueIdentifier, waitFor, type TestServer } from '../helpers/server.ts';
import { startReceiver, type Receiver } from './receiver.ts';

describe('silences over REST', () => {
  let server: TestServer;
  let receiver: Receiver;
  let readOnly: string;
  let offset = 0;

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ now: () => new Date(Date.now() + offset), statusSweepMs: 100, alertDigestWindowMs: 0 });
    readOnly = (await createAdminToken(server.app.services.db.prisma, { name: 'viewer', scope: 'read-only' })).token;
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('opens a window "from now" for a tag, lists it in force, changes and deletes it; errors name the snake_case field', async () => {
    const endsAt = new Date(Date.now() + offset + 1_800_000).toISOString();
    const opened = await server.rest('POST', '/monitor/admin/silences', { body: { comment: 'deploy 1.2.3', tags: ['web'], ends_at: endsAt } });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ comment: 'deploy 1.2.3', tags: ['web'], server_ids: [], ends_at: endsAt, active_until: endsAt, recurrence: null });
    expect(Date.parse(opened.body.starts_at)).toBeLessThanOrEqual(Date.now() + offset);

    const listed = await server.rest('GET', '/monitor/admin/silences', { token: readOnly });
    expect(listed.status).toBe(200);
    expect(listed.body.silences.map((s: any) => s.id)).toContain(opened.body.id);
    // The GraphQL view is the same row.
    const gql = await server.gql(`{ silences { id comment activeUntil } }`);
    expect(gql.data.silences).toContainEqual({ id: opened.body.id, comment: 'deploy 1.2.3', activeUntil: endsAt });

    const weekly = await server.rest('POST', '/monitor/admin/silences', { body: { comment: 'backups', recurrence: { days: ['SUN'], start_time: '03:00', duration_minutes: 90 } } });
    expect(weekly.status).toBe(201);
    expect(weekly.body.recurrence).toEqual({ days: ['SUN'], start_time: '03:00', duration_minutes: 90 });

    const shorter = new Date(Date.now() + offset + 60_000).toISOString();
    const changed = await server.rest('PATCH', `/monitor/admin/silences/${opened.body.id}`, { body: { ends_at: shorter } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: opened.body.id, comment: 'deploy 1.2.3', ends_at: shorter });

    const noEnd = await server.rest('POST', '/monitor/admin/silences', { body: { comment: 'forever?' } });
    expect(noEnd).toMatchObject({ status: 400, body: { error: 'BAD_USER_INPUT' } });
    expect(noEnd.body.message).toContain('ends_at: is required');
    const badDate = await server.rest('POST', '/monitor/admin/silences', { body: { comment: 'x', ends_at: 'tomorrow' } });
    expect(badDate.body.message).toBe('ends_at: must be an ISO-8601 date-time');
    const badTime = await server.rest('POST', '/monitor/admin/silences', { body: { comment: 'x', recurrence: { days: ['MON'], start_time: '25:00', duration_minutes: 5 } } });
    expect(badTime.body.message).toContain('recurrence.start_time');
    const backwards = await server.rest('PATCH', `/monitor/admin/silences/${opened.body.id}`, { body: { starts_at: shorter, ends_at: opened.body.starts_at } });
    expect(backwards.body.message).toContain('ends_at: must be after starts_at');

    expect((await server.rest('POST', '/monitor/admin/silences', { body: { comment: 'x', ends_at: endsAt }, token: null })).status).toBe(401);
    expect((await server.rest('POST', '/monitor/admin/silences', { body: { comment: 'x', ends_at: endsAt }, token: readOnly })).status).toBe(403);
    expect((await server.rest('DELETE', `/monitor/admin/silences/${opened.body.id}`, { token: readOnly })).status).toBe(403);

    const deleted = await server.rest('DELETE', `/monitor/admin/silences/${opened.body.id}`);
    expect(deleted).toEqual({ status: 200, body: { deleted_silence_id: opened.body.id } });
    expect((await server.rest('DELETE', `/monitor/admin/silences/${opened.body.id}`)).status).toBe(404);
    expect((await server.rest('PATCH', '/monitor/admin/silences/nope', { body: { comment: 'x' } })).status).toBe(404);
    const after = await server.rest('GET', '/monitor/admin/silences');
    expect(after.body.silences.map((s: any) => s.id)).not.toContain(opened.body.id);
  });

  it('a window opened over REST holds back the OFFLINE notification; closing it while firing sends it once', async () => {
    const channel = await server.gql(`mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { id } } }`, {
      i: { name: 'deploy hook', kind: 'WEBHOOK', settings: { url: receiver.url } },
    });
    const identifier = uniqueIdentifier('deploy');
    const host = await server.createServer(identifier, { intervalSeconds: 60, graceSeconds: 30 });
    const rule = await server.gql(`mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, {
      i: { name: 'offline', kind: 'OFFLINE', serverIds: [host.id], channelIds: [channel.data.createAlertChannel.channel.id] },
    });
    expect(rule.errors).toBeUndefined();
    const key = await server.issueKey(host.id);
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);

    const window = await server.rest('POST', '/monitor/admin/silences', { body: { comment: 'deploy', server_ids: [host.id], ends_at: new Date(Date.now() + offset + 3_600_000).toISOString() } });
    expect(window.status).toBe(201);
    offset += 100_000; // the deploy takes the server down past interval + grace
    const history = async () =>
      ((await server.gql(`query ($s: ID!) { alertHistory(serverId: $s, first: 10) { edges { node { type silenced } } } }`, { s: host.id })).data.alertHistory.edges as any[]).map((e) => e.node);
    await waitFor(async () => (await history()).length === 1, { what: 'silenced FIRING recorded', timeoutMs: 20_000 });
    expect(await history()).toEqual([{ type: 'FIRING', silenced: true }]);
    await new Promise((r) => setTimeout(r, 1000));
    const aboutHost = () => receiver.received.filter((r) => r.body?.server?.id === host.id);
    expect(aboutHost()).toHaveLength(0);

    expect((await server.rest('DELETE', `/monitor/admin/silences/${window.body.id}`)).status).toBe(200);
    await waitFor(() => aboutHost().length >= 1, { what: 'FIRING sent once the window closed', timeoutMs: 20_000 });
    expect(aboutHost()[0]!.body).toMatchObject({ event: 'FIRING', server: { id: host.id } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(aboutHost()).toHaveLength(1);
  });
});
