// Pruning alerting's history: SENT and FAILED outbox rows older than ALERT_OUTBOX_RETENTION_DAYS
// and alert events older than ALERT_HISTORY_RETENTION_DAYS go; a PENDING row never does, however
// old. On PostgreSQL one instance prunes at a time (an advisory lock held elsewhere makes it skip).
// Runs on SQLite, and on PostgreSQL when it is there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HISTORY, loadConfig } from '../../src/config.ts';
import { pruneAlerts } from '../../src/services/alerts/retention.ts';
import { startTestServer, uniqueIdentifier, waitFor, type TestServer } from '../helpers/server.ts';
import { freshPostgresSchema, postgresAvailable, POSTGRES_URL } from '../helpers/services.ts';

const DAY = 86_400_000;

async function seed(server: TestServer, now: number) {
  const { prisma } = server.app.services.db;
  // Disabled: the outbox worker leaves its rows alone (an old PENDING row would otherwise be tried and given up).
  const channel = await prisma.alertChannel.create({ data: { name: uniqueIdentifier('ch'), kind: 'WEBHOOK', enabled: false, settings: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }) } });
  const row = (key: string, status: string, ageDays: number) => ({
    channelId: channel.id,
    idempotencyKey: key,
    payload: '{}',
    status,
    dueAt: new Date(now - ageDays * DAY),
    createdAt: new Date(now - ageDays * DAY),
    ...(status === 'SENT' ? { sentAt: new Date(now - ageDays * DAY + 1000) } : {}),
  });
  await prisma.alertOutbox.createMany({
    data: [row('old-sent', 'SENT', 10), row('old-failed', 'FAILED', 10), row('old-pending', 'PENDING', 30), row('new-sent', 'SENT', 1), row('new-failed', 'FAILED', 2)],
  });
  const event = (message: string, ageDays: number) => ({ ruleId: 'r', ruleName: 'rule', serverId: 's', serverIdentifier: 'host', type: 'FIRING', at: new Date(now - ageDays * DAY), message });
  await prisma.alertEvent.createMany({ data: [event('ancient', 120), event('old', 91), event('recent', 89), event('today', 0)] });
  return channel.id;
}

async function remaining(server: TestServer, channelId: string) {
  const { prisma } = server.app.services.db;
  const outbox = (await prisma.alertOutbox.findMany({ where: { channelId }, select: { idempotencyKey: true } })).map((r) => r.idempotencyKey).sort();
  const events = (await prisma.alertEvent.findMany({ where: { ruleId: 'r' }, select: { message: true } })).map((r) => r.message).sort();
  return { outbox, events };
}

const retention = { ...DEFAULT_HISTORY, alertRetentionSeconds: { outbox: 7 * 86_400, events: 90 * 86_400 } };
/** The server's own hourly job (which also runs at start) keeps everything: only the test prunes, when it says so. */
const serverHistory = { ...DEFAULT_HISTORY, alertRetentionSeconds: { outbox: 0, events: 0 } };
const withRetention = (server: TestServer, extra: Partial<TestServer['app']['services']> = {}) => ({ ...server.app.services, history: retention, ...extra });

describe('alert retention', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('configuration: days, validated, 0 keeps everything', () => {
    expect(loadConfig({}).history.alertRetentionSeconds).toEqual({ outbox: 7 * 86_400, events: 90 * 86_400 });
    expect(loadConfig({ ALERT_OUTBOX_RETENTION_DAYS: '0', ALERT_HISTORY_RETENTION_DAYS: '1.5' }).history.alertRetentionSeconds).toEqual({ outbox: 0, events: 129_600 });
    expect(() => loadConfig({ ALERT_OUTBOX_RETENTION_DAYS: '-1' })).toThrow(/ALERT_OUTBOX_RETENTION_DAYS/);
    expect(() => loadConfig({ ALERT_HISTORY_RETENTION_DAYS: 'forever' })).toThrow(/ALERT_HISTORY_RETENTION_DAYS/);
  });

  it('SQLite: deletes done outbox rows and events past their retention, never a PENDING row; 0 keeps all', async () => {
    const server = await startTestServer({ history: serverHistory });
    cleanups.push(() => server.stop());
    const now = Date.now();
    const channelId = await seed(server, now);
    const result = await pruneAlerts(withRetention(server));
    expect(result).toEqual({ outbox: 2, events: 2, skipped: false });
    expect(await remaining(server, channelId)).toEqual({ outbox: ['new-failed', 'new-sent', 'old-pending'], events: ['recent', 'today'] });
    // Again: nothing more to do.
    expect(await pruneAlerts(withRetention(server))).toEqual({ outbox: 0, events: 0, skipped: false });
    // 0 keeps everything, even with a clock far ahead.
    const keepAll = withRetention(server, { now: () => new Date(now + 1000 * DAY), history: serverHistory });
    expect(await pruneAlerts(keepAll)).toEqual({ outbox: 0, events: 0, skipped: false });
    // Far ahead with retention on: everything done goes, the PENDING row stays.
    expect(await pruneAlerts(withRetention(server, { now: () => new Date(now + 1000 * DAY) }))).toMatchObject({ outbox: 2, events: 2 });
    expect((await remaining(server, channelId)).outbox).toEqual(['old-pending']);
  });

  it('the history job prunes them (at start, then hourly)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hf-alert-prune-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestServer({ dataDir, history: serverHistory });
    const channelId = await seed(first, Date.now());
    await first.stop();
    const second = await startTestServer({ dataDir, history: retention });
    cleanups.push(() => second.stop());
    await waitFor(async () => {
      const left = await remaining(second, channelId);
      return left.outbox.length === 3 && left.events.length === 2;
    }, { what: 'the job at start pruned outbox and history', timeoutMs: 20_000 });
    expect(await remaining(second, channelId)).toEqual({ outbox: ['new-failed', 'new-sent', 'old-pending'], events: ['recent', 'today'] });
  });

  it('PostgreSQL: the same, and an instance skips the round while another holds the prune lock', async (context) => {
    if (!(await postgresAvailable())) return context.skip();
    const schema = await freshPostgresSchema('alertprune');
    cleanups.push(() => schema.drop());
    const server = await startTestServer({ databaseUrl: schema.url, history: serverHistory });
    cleanups.push(() => server.stop());
    const channelId = await seed(server, Date.now());

    const other = new pg.Client({ connectionString: POSTGRES_URL });
    await other.connect();
    cleanups.push(() => other.end());
    const schemaName = new URL(schema.url).searchParams.get('schema')!;
    await other.query(`SELECT pg_advisory_lock(hashtext($1 || ':harborforge-alert-prune'))`, [schemaName]);
    expect(await pruneAlerts(withRetention(server))).toEqual({ outbox: 0, events: 0, skipped: true });
    expect((await remaining(server, channelId)).outbox).toHaveLength(5);
    await other.query(`SELECT pg_advisory_unlock(hashtext($1 || ':harborforge-alert-prune'))`, [schemaName]);

    expect(await pruneAlerts(withRetention(server))).toEqual({ outbox: 2, events: 2, skipped: false });
    expect(await remaining(server, channelId)).toEqual({ outbox: ['new-failed', 'new-sent', 'old-pending'], events: ['recent', 'today'] });
  });
});
