// Alerting across real server processes: a kill -9 while a notification is being sent (delivered
// after restart, with the same idempotency key, once), and two instances on PostgreSQL + Redis
// producing exactly one notification per transition.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMain, type ServerProcess } from '../helpers/process.ts';
import { seedHeartbeat, waitFor } from '../helpers/server.ts';
import { freshPostgresSchema, postgresAvailable, redisAvailable, REDIS_URL } from '../helpers/services.ts';
import { startReceiver } from './receiver.ts';

const TOKEN = 'alerts-processes-admin-token-0123';

function client(instance: ServerProcess) {
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(`${instance.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as any;
    if (result.errors) throw new Error(result.errors[0].message);
    return result.data;
  };
  return {
    gql,
    heartbeat: (key: string, body: unknown) =>
      fetch(`${instance.url}/monitor/server/heartbeat-v2`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) }),
    /** A server that goes OFFLINE 5 s after its heartbeat, an OFFLINE rule and a webhook channel. */
    async setUp(url: string, identifier: string) {
      const channel = (await gql(`mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { id } } }`, { i: { name: identifier, kind: 'WEBHOOK', settings: { url } } })).createAlertChannel.channel;
      const server = (await gql(`mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier, intervalSeconds: 5, graceSeconds: 0, tags: [identifier] } })).addServer.server;
      await gql(`mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, { i: { name: `${identifier} offline`, kind: 'OFFLINE', tags: [identifier], channelIds: [channel.id] } });
      const key = (await gql(`mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id: server.id })).generateApiKey.apiKey as string;
      return { channelId: channel.id as string, serverId: server.id as string, key };
    },
  };
}

describe('alerting across processes', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('kill -9 while a notification is being sent: delivered after the restart, with the same idempotency key, and only once', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'hf-alert-kill-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = { DATA_DIR: dataDir, HARBORFORGE_ADMIN_TOKEN: TOKEN, ALERT_SEND_TIMEOUT_MS: '1500', STATUS_SWEEP_MS: '100' };
    const first = await startMain(env, 90_000);
    const api = client(first);
    const identifier = `kill-${Date.now()}`;
    const setup = await api.setUp(receiver.url, identifier);
    receiver.script('hang');
    expect((await api.heartbeat(setup.key, seedHeartbeat(identifier))).status).toBe(200);
    // The FIRING notification is committed and its send is under way (the receiver never answers).
    await receiver.waitFor(1, 20_000);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await startMain(env, 90_000);
    cleanups.push(() => second.stop());
    const received = await receiver.waitFor(2, 30_000);
    expect(received[1]!.body).toMatchObject({ event: 'FIRING', server: { id: setup.serverId } });
    expect(received[1]!.body.idempotencyKey).toBe(received[0]!.body.idempotencyKey);
    const outbox = await waitFor(async () => {
      const data = await client(second).gql(`{ alertChannels { id lastSuccessAt } }`);
      return data.alertChannels.find((c: any) => c.id === setup.channelId && c.lastSuccessAt);
    }, { timeoutMs: 10_000, what: 'channel success recorded' });
    expect(outbox).toBeTruthy();
    await new Promise((r) => setTimeout(r, 2000));
    // Nothing new: the restart neither repeated the transition nor lost it.
    expect(receiver.received.filter((r) => r.body.server?.id === setup.serverId).map((r) => r.body.event)).toEqual(['FIRING', 'FIRING']);
  }, 200_000);

  it('two instances on PostgreSQL + Redis send exactly one notification per transition', async (context) => {
    if (!((await postgresAvailable()) && (await redisAvailable()))) return context.skip();
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const schema = await freshPostgresSchema('alerts2');
    cleanups.push(() => schema.drop());
    const env = { DATABASE_URL: schema.url, REDIS_URL, REDIS_PREFIX: `hf-alerts-${process.pid}-${Date.now()}:`, HARBORFORGE_ADMIN_TOKEN: TOKEN, DATA_DIR: `/tmp/hf-alerts2-${process.pid}`, STATUS_SWEEP_MS: '100', ALERT_DIGEST_WINDOW_MS: '0' };
    const [a, b] = await Promise.all([startMain(env, 90_000), startMain(env, 90_000)]);
    cleanups.push(() => a.stop(), () => b.stop());
    const identifiers = [1, 2, 3].map((n) => `pair-${n}-${Date.now()}`);
    const setups = [];
    for (const identifier of identifiers) setups.push(await client(a).setUp(receiver.url, identifier));
    // Heartbeats to both instances; every server goes OFFLINE (both sweep and evaluate), then back.
    for (const [i, setup] of setups.entries()) expect((await client(i % 2 ? a : b).heartbeat(setup.key, seedHeartbeat(identifiers[i]!))).status).toBe(200);
    const notifications = () => receiver.received.flatMap((r) => (r.body.digest ? r.body.digest : [r.body]));
    await waitFor(() => notifications().filter((n: any) => n.event === 'FIRING').length >= 3, { timeoutMs: 30_000, what: 'three FIRING' });
    for (const [i, setup] of setups.entries()) expect((await client(i % 2 ? b : a).heartbeat(setup.key, seedHeartbeat(identifiers[i]!))).status).toBe(200);
    await waitFor(() => notifications().filter((n: any) => n.event === 'RESOLVED').length >= 3, { timeoutMs: 30_000, what: 'three RESOLVED' });
    await new Promise((r) => setTimeout(r, 3000));
    // Each server alternates FIRING, RESOLVED (it may have gone OFFLINE again since: interval 5 s);
    // a duplicate would show as the same event twice in a row.
    for (const setup of setups) {
      const events = notifications().filter((n: any) => n.server?.id === setup.serverId).map((n: any) => n.event);
      expect(events.slice(0, 2)).toEqual(['FIRING', 'RESOLVED']);
      expect(events).toEqual(events.map((_: string, i: number) => (i % 2 ? 'RESOLVED' : 'FIRING')));
    }
    const keys = notifications().map((n: any) => n.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
  }, 240_000);
});
