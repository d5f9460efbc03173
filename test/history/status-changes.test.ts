// Interface B: every status transition is stored (server, from, to, at, cause) in the transaction
// that changes the status, on SQLite and PostgreSQL, and existing servers get a starting point on
// upgrade.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateSqlite, readMigrations } from '../../src/db/migrate.ts';
import { openSqlite } from '../../src/db/sqlite-store.ts';
import { seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';
import { freshPostgresSchema, postgresAvailable } from '../helpers/services.ts';

const hasPostgres = await postgresAvailable();
const T0 = Date.parse('2026-06-01T00:00:00.000Z');

async function until<T>(probe: () => Promise<T | undefined>, what: string, deadlineMs = 5_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each([
  ['sqlite', false],
  ['postgres', true],
] as const)('status_changes on %s', (_provider, needsPostgres) => {
  let server: TestServer;
  let dropSchema: (() => Promise<void>) | undefined;
  let clock = T0;

  const changes = (serverId: string) =>
    server.app.services.db.prisma.statusChange.findMany({ where: { serverId }, orderBy: { id: 'asc' } }).then((rows) =>
      rows.map((row) => ({ from: row.fromStatus, to: row.toStatus, at: row.at.getTime() - T0, cause: row.cause })),
    );

  beforeAll(async () => {
    if (needsPostgres && !hasPostgres) return;
    let databaseUrl: string | undefined;
    if (needsPostgres) {
      const schema = await freshPostgresSchema('statuschanges');
      databaseUrl = schema.url;
      dropSchema = schema.drop;
    }
    server = await startTestServer({ databaseUrl, now: () => new Date(clock), statusSweepMs: 50 });
  });
  afterAll(async () => {
    await server?.stop();
    await dropSchema?.();
  });

  it.skipIf(needsPostgres && !hasPostgres)('records registration, heartbeat, silence and threshold transitions with their exact times', async () => {
    clock = T0;
    const { id, identifier } = await server.createServer(undefined, { intervalSeconds: 10, graceSeconds: 20 });
    const key = await server.issueKey(id);
    expect(await changes(id)).toEqual([{ from: null, to: 'PENDING', at: 0, cause: 'REGISTERED' }]);

    clock = T0 + 5_000;
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    clock = T0 + 12_000;
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    // Only the transition wrote a row; the second heartbeat did not.
    expect(await changes(id)).toHaveLength(2);

    // Silence: LATE at lastSeen + 1.5 x interval, OFFLINE at lastSeen + interval + grace, whenever the sweep notices.
    clock = T0 + 12_000 + 29_000;
    await until(async () => ((await changes(id)).length === 3 ? true : undefined), 'LATE');
    clock = T0 + 12_000 + 60_000;
    await until(async () => ((await changes(id)).length === 4 ? true : undefined), 'OFFLINE');

    clock = T0 + 100_000;
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);

    // A longer interval while silent re-decides the status: OFFLINE again needs a silence first.
    clock = T0 + 100_000 + 16_000;
    await until(async () => ((await changes(id)).length === 6 ? true : undefined), 'LATE');
    clock = T0 + 100_000 + 40_000;
    await until(async () => ((await changes(id)).length === 7 ? true : undefined), 'OFFLINE');
    const { errors } = await server.gql(`mutation ($input: UpdateServerInput!) { updateServer(input: $input) { server { status } } }`, {
      input: { id, intervalSeconds: 600 },
    });
    expect(errors).toBeUndefined();

    expect(await changes(id)).toEqual([
      { from: null, to: 'PENDING', at: 0, cause: 'REGISTERED' },
      { from: 'PENDING', to: 'ONLINE', at: 5_000, cause: 'HEARTBEAT' },
      { from: 'ONLINE', to: 'LATE', at: 27_000, cause: 'SILENCE' },
      { from: 'LATE', to: 'OFFLINE', at: 42_000, cause: 'SILENCE' },
      { from: 'OFFLINE', to: 'ONLINE', at: 100_000, cause: 'HEARTBEAT' },
      { from: 'ONLINE', to: 'LATE', at: 115_000, cause: 'SILENCE' },
      { from: 'LATE', to: 'OFFLINE', at: 130_000, cause: 'SILENCE' },
      { from: 'OFFLINE', to: 'ONLINE', at: 140_000, cause: 'THRESHOLDS_CHANGED' },
    ]);
  });

  it.skipIf(needsPostgres && !hasPostgres)('a server that skips LATE between sweeps gets one ONLINE→OFFLINE row; deleting the server deletes its rows', async () => {
    clock = T0;
    const { id, identifier } = await server.createServer(undefined, { intervalSeconds: 10, graceSeconds: 0 });
    const key = await server.issueKey(id);
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    clock = T0 + 60_000;
    const rows = await until(async () => {
      const found = await changes(id);
      return found.length === 3 ? found : undefined;
    }, 'OFFLINE');
    expect(rows[2]).toEqual({ from: 'ONLINE', to: 'OFFLINE', at: 10_000, cause: 'SILENCE' });

    expect((await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id })).errors).toBeUndefined();
    expect(await changes(id)).toEqual([]);
  });
});

describe('upgrade', () => {
  it('gives existing servers a starting point: registration, ONLINE at the last heartbeat, then the announced silence', () => {
    const db = openSqlite(join(mkdtempSync(join(tmpdir(), 'hf-upgrade-')), 'upgrade.db'));
    const all = readMigrations('sqlite');
    const before = all.filter((m) => m.name < '20261201101000');
    migrateSqlite(db, before);
    const insertServer = db.prepare(`INSERT INTO monitored_servers (id, identifier, name, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)`);
    const insertState = db.prepare(`INSERT INTO server_states (serverId, status, lastSeenAt, lateAt, offlineAt) VALUES (?, ?, ?, ?, ?)`);
    for (const [id, status] of [['never', null], ['up', 'ONLINE'], ['slow', 'LATE'], ['down', 'OFFLINE']] as const) {
      insertServer.run(id, id, id, T0, T0);
      if (status) insertState.run(id, status, T0 + 1000, T0 + 46_000, T0 + 91_000);
    }
    migrateSqlite(db, all);
    const rows = db.prepare(`SELECT serverId, fromStatus, toStatus, at, cause FROM status_changes ORDER BY serverId, at, id`).all() as Record<string, unknown>[];
    db.close();
    const summary = rows.map((r) => `${r.serverId} ${r.fromStatus ?? '-'}→${r.toStatus} +${Number(r.at) - T0} ${r.cause}`);
    expect(summary).toEqual([
      'down -→PENDING +0 REGISTERED',
      'down -→ONLINE +1000 UPGRADE',
      'down ONLINE→OFFLINE +91000 UPGRADE',
      'never -→PENDING +0 REGISTERED',
      'slow -→PENDING +0 REGISTERED',
      'slow -→ONLINE +1000 UPGRADE',
      'slow ONLINE→LATE +46000 UPGRADE',
      'up -→PENDING +0 REGISTERED',
      'up -→ONLINE +1000 UPGRADE',
    ]);
  });
});
