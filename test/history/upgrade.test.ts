// Upgrade from a database with raw history only: migrated to the schema before the tiered history
// (every migration but 20261201100000_tiered_history, as at 7e5159f), filled with heartbeats as
// that code wrote them (versions and agents repeated in every row), then opened by the current
// server. The migration turns the repeated versions into change events; the rollup's first run at
// start folds the existing rows into every tier, each bucket equal to brute force over the rows
// written before the upgrade; retention then drops the raw rows older than 48 h, and the metrics
// query still answers for them from the tiers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HISTORY } from '../../src/config.ts';
import { parsePostgresUrl } from '../../src/db/index.ts';
import { migratePostgres, migrateSqlite, readMigrations } from '../../src/db/migrate.ts';
import { openSqlite } from '../../src/db/sqlite-store.ts';
import { bruteForce, expectTiersMatch, random, values, type Sent } from '../helpers/history.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { freshPostgresSchema, postgresAvailable } from '../helpers/services.ts';

const hasPostgres = await postgresAvailable();
const TIERED_HISTORY = '20261201100000_tiered_history';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 10, 21, 0); // three days of history across two day boundaries
const NOW = T0 + 3 * HOUR * 24 + HOUR;
const COLUMNS = ['serverId', 'receivedAt', 'openclawVersion', 'pluginVersion', 'agents', 'cpuPct', 'memPct', 'diskPct', 'swapPct', 'load1', 'load5', 'load15', 'uptimeSeconds'];

interface OldRow extends Sent {
  openclawVersion: string;
  agents: string;
}

/** What the code before the tiered history wrote: one full row per heartbeat, every 5 minutes for three days. */
function oldHistory(serverIds: string[]): OldRow[] {
  const next = random(5);
  const rows: OldRow[] = [];
  for (let at = T0; at < T0 + 72 * HOUR; at += 5 * 60_000) {
    serverIds.forEach((serverId, i) => {
      // Server 0 upgrades its OpenClaw halfway, server 1 gains an agent on the last day.
      const openclawVersion = i === 0 && at >= T0 + 36 * HOUR ? '2026.9.6' : '2026.8.1';
      const agents = JSON.stringify(i === 1 && at >= T0 + 48 * HOUR ? [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }] : [{ id: 'a', name: 'A' }]);
      rows.push({ serverId, at: at + i * 1000, values: values(next), openclawVersion, agents });
    });
  }
  return rows;
}

const SERVERS = ['old-server-a', 'old-server-b'];
const rowValues = (row: OldRow) => [row.serverId, row.at, row.openclawVersion, '0.1.0', row.agents, ...['cpuPct', 'memPct', 'diskPct', 'swapPct', 'load1', 'load5', 'load15'].map((m) => row.values[m]), 86_400];

/** A SQLite database as 7e5159f left it; returns the highest heartbeat id. */
function oldSqlite(file: string, rows: OldRow[]): number {
  const db = openSqlite(file);
  migrateSqlite(db, readMigrations('sqlite').filter((m) => m.name !== TIERED_HISTORY));
  expect(db.prepare(`SELECT name FROM sqlite_master WHERE name IN ('metric_rollups', 'version_changes')`).all()).toEqual([]);
  const server = db.prepare(`INSERT INTO monitored_servers (id, identifier, name, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)`);
  const heartbeat = db.prepare(`INSERT INTO heartbeats (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  db.transaction(() => {
    for (const id of SERVERS) server.run(id, id, id, T0 - HOUR, T0 - HOUR);
    for (const row of rows) heartbeat.run(...rowValues(row));
  })();
  const max = db.prepare(`SELECT max(id) FROM heartbeats`).pluck().get() as number;
  db.close();
  return max;
}

async function oldPostgres(url: string, rows: OldRow[]): Promise<number> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const pool = new pg.Pool({ connectionString, max: 1, options: `-c search_path="${schema}"` });
  try {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await migratePostgres(pool, readMigrations('postgres').filter((m) => m.name !== TIERED_HISTORY));
    expect((await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename IN ('metric_rollups', 'version_changes')`, [schema])).rows).toEqual([]);
    const ts = (p: string) => `to_timestamp(${p}::float8 / 1000) AT TIME ZONE 'UTC'`;
    for (const id of SERVERS) await pool.query(`INSERT INTO monitored_servers (id, identifier, name, "createdAt", "updatedAt") VALUES ($1, $1, $1, ${ts('$2')}, ${ts('$2')})`, [id, T0 - HOUR]);
    // One statement, the rows in order (ids as the old ingest gave them): a column array each.
    const columns = COLUMNS.map((_, k) => rows.map((row) => rowValues(row)[k]));
    const types = ['text', 'float8', 'text', 'text', 'text', ...Array(8).fill('float8')];
    await pool.query(
      `INSERT INTO heartbeats (${COLUMNS.map((c) => `"${c}"`).join(', ')})
       SELECT c1, to_timestamp(c2 / 1000) AT TIME ZONE 'UTC', ${COLUMNS.slice(2).map((_, i) => `c${i + 3}`).join(', ')}
       FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) WITH ORDINALITY AS r(${COLUMNS.map((_, i) => `c${i + 1}`).join(', ')}, n) ORDER BY n`,
      columns,
    );
    return Number((await pool.query(`SELECT max(id)::float8 AS max FROM heartbeats`)).rows[0].max);
  } finally {
    await pool.end();
  }
}

for (const provider of ['sqlite', 'postgres'] as const) {
  describe.skipIf(provider === 'postgres' && !hasPostgres)(`upgrade to the tiered history on ${provider}`, () => {
    let server: TestServer | undefined;
    let dropSchema: (() => Promise<void>) | undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'harborforge-upgrade-'));
    afterAll(async () => {
      await server?.stop();
      await dropSchema?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('folds the raw history into every tier at start (brute force), versions become changes, old raw rows pruned but still charted', async () => {
      const rows = oldHistory(SERVERS);
      let databaseUrl: string | undefined;
      let maxId: number;
      if (provider === 'postgres') {
        const schema = await freshPostgresSchema('upgrade');
        dropSchema = schema.drop;
        databaseUrl = schema.url;
        maxId = await oldPostgres(databaseUrl, rows);
      } else {
        maxId = oldSqlite(join(dataDir, 'harborforge.db'), rows);
      }

      // The current server on that database: it applies the tiered-history migration and, at
      // start, rolls up (nothing else calls the rollup here: its timer is an hour).
      server = await startTestServer({ dataDir, ...(databaseUrl ? { databaseUrl } : {}), now: () => new Date(NOW), history: { ...DEFAULT_HISTORY, rollupIntervalMs: 3_600_000 } });
      expect(server.app.services.db.appliedMigrations).toEqual([TIERED_HISTORY]);
      const history = server.app.services.db.history;
      await waitFor(async () => (await history.rollupCursor()) === BigInt(maxId), { timeoutMs: 60_000, what: 'the rollup at start to fold the old history' });
      await expectTiersMatch(server, rows);

      // Retention ran after that first rollup: raw rows older than 48 h are gone, the rest stay.
      const kept = rows.filter((row) => row.at >= NOW - DEFAULT_HISTORY.retentionSeconds[0] * 1000).length;
      await waitFor(async () => (await server!.app.services.db.prisma.heartbeat.count()) === kept, { timeoutMs: 60_000, what: 'raw retention after the first rollup' });

      // The versions and agents repeated in every row became change events: first row, then each change.
      const changes = await server.gql(
        `query ($id: ID!, $from: DateTime!, $to: DateTime!) { versionChanges(serverId: $id, from: $from, to: $to) { at openclawVersion agents { id } } }`,
        { id: SERVERS[0], from: new Date(T0 - HOUR).toISOString(), to: new Date(NOW).toISOString() },
      );
      expect(changes.errors).toBeUndefined();
      expect(changes.data.versionChanges).toEqual([
        { at: new Date(T0).toISOString(), openclawVersion: '2026.8.1', agents: [{ id: 'a' }] },
        { at: new Date(T0 + 36 * HOUR).toISOString(), openclawVersion: '2026.9.6', agents: [{ id: 'a' }] },
      ]);
      const agentChanges = await server.gql(`query ($id: ID!, $from: DateTime!, $to: DateTime!) { versionChanges(serverId: $id, from: $from, to: $to) { at agents { id } } }`, {
        id: SERVERS[1],
        from: new Date(T0 - HOUR).toISOString(),
        to: new Date(NOW).toISOString(),
      });
      expect(agentChanges.data.versionChanges.map((c: { at: string; agents: { id: string }[] }) => [c.at, c.agents.length])).toEqual([
        [new Date(T0 + 1000).toISOString(), 1],
        [new Date(T0 + 48 * HOUR + 1000).toISOString(), 2],
      ]);

      // The whole old history charted from the tiers (its first day has no raw rows left).
      const { data, errors } = await server.gql(
        `query ($id: ID!, $from: DateTime!, $to: DateTime!) { metrics(serverId: $id, from: $from, to: $to) { resolutionSeconds sourceSeconds points { at cpuPct { avg min max count } } } }`,
        { id: SERVERS[1], from: new Date(T0).toISOString(), to: new Date(T0 + 72 * HOUR).toISOString() },
      );
      expect(errors).toBeUndefined();
      expect(data.metrics).toMatchObject({ sourceSeconds: 300, resolutionSeconds: 900 });
      const expected = bruteForce(rows.filter((row) => row.serverId === SERVERS[1]), 900_000);
      expect(data.metrics.points.length).toBe(expected.size);
      for (const point of data.metrics.points) {
        const cpu = expected.get(`${SERVERS[1]}|${Date.parse(point.at)}`)!.cpuPct!;
        expect(point.cpuPct).toEqual(cpu.count ? { avg: expect.closeTo(cpu.sum / cpu.count, 9), min: cpu.min, max: cpu.max, count: cpu.count } : null);
      }
    }, 180_000);
  });
}
