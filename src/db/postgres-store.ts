import type pg from 'pg';
import { applyHeartbeatBatch } from '../services/ingest-batch.ts';
import { INGEST_LOCK } from './postgres-history.ts';
import type { ActiveKey, FleetRow, FleetStore, IngestTransaction, SilenceTransition, StateRow, StoredStatus } from './store.ts';

const TELEMETRY = [
  ['openclawVersion', 'text'], ['pluginVersion', 'text'], ['agents', 'text'], ['cpuPct', 'float8'], ['memPct', 'float8'],
  ['diskPct', 'float8'], ['swapPct', 'float8'], ['load1', 'float8'], ['load5', 'float8'], ['load15', 'float8'], ['uptimeSeconds', 'float8'],
] as const;
const VERSION_FIELDS: readonly string[] = ['openclawVersion', 'pluginVersion', 'agents'];
/** Raw history carries the metrics; versions and agents go to version_changes when they change. */
const HISTORY = TELEMETRY.filter(([column]) => !VERSION_FIELDS.includes(column));
const VERSIONS = TELEMETRY.filter(([column]) => VERSION_FIELDS.includes(column));
const q = (column: string) => `"${column}"`;
const STATUS_CHANGE_COLUMNS = [['serverId', 'text'], ['fromStatus', 'text'], ['toStatus', 'text'], ['at', 'timestamp'], ['cause', 'text']] as const;

function stateFromRow(row: Record<string, any>): StateRow {
  const state: Record<string, unknown> = {
    serverId: row.serverId,
    status: row.status as StoredStatus,
    lastSeenAt: row.lastSeenAt,
    lateAt: row.lateAt,
    offlineAt: row.offlineAt,
    heartbeatCount: Number(row.heartbeatCount),
  };
  for (const [column] of TELEMETRY) state[column] = row[column] ?? null;
  return state as unknown as StateRow;
}

/** Builds `SELECT * FROM unnest($1::text[], $2::timestamp[], …) AS t(a, b, …)` for set-based writes. */
function unnest(columns: readonly (readonly [string, string])[], rows: Record<string, unknown>[], firstParam = 1) {
  const params = columns.map(([column]) => rows.map((row) => row[column] ?? null));
  const args = columns.map(([, type], i) => `$${firstParam + i}::${type}[]`).join(', ');
  const names = columns.map(([column]) => q(column)).join(', ');
  return { sql: `SELECT * FROM unnest(${args}) AS t(${names})`, params, names };
}

export function createPostgresStore(pool: pg.Pool): FleetStore {
  function transactionOn(client: pg.PoolClient): IngestTransaction {
    return {
      async findActiveKeys(hashes) {
        const { rows } = await client.query(
          `SELECT k.id AS "keyId", k.hash AS "keyHash", k.prefix AS "keyPrefix", k."createdAt" AS "keyCreatedAt",
                  k."lastUsedAt" AS "keyLastUsedAt", s.id AS "serverId", s.identifier, s.name, s."createdAt" AS "serverCreatedAt",
                  s."intervalSeconds", s."graceSeconds"
           FROM api_keys k JOIN monitored_servers s ON s.id = k."serverId"
           WHERE k.hash = ANY($1::text[]) AND k."revokedAt" IS NULL
           FOR SHARE OF k`,
          [[...new Set(hashes)]],
        );
        return new Map(rows.map((row: ActiveKey) => [row.keyHash, row]));
      },
      async findStates(serverIds) {
        // Locked in id order so that concurrent batches on several instances cannot deadlock.
        const { rows } = await client.query(
          `SELECT * FROM server_states WHERE "serverId" = ANY($1::text[]) ORDER BY "serverId" FOR UPDATE`,
          [[...new Set(serverIds)]],
        );
        return new Map(rows.map((row) => [row.serverId as string, stateFromRow(row)]));
      },
      async writeStates(rows) {
        if (rows.length === 0) return;
        const columns = [
          ['serverId', 'text'], ['status', 'text'], ['lastSeenAt', 'timestamp'], ['lateAt', 'timestamp'], ['offlineAt', 'timestamp'],
          ['heartbeatCount', 'int4'], ...TELEMETRY,
        ] as const;
        const source = unnest(columns, rows as unknown as Record<string, unknown>[]);
        const updates = columns.slice(1).map(([column]) => `${q(column)} = EXCLUDED.${q(column)}`).join(', ');
        await client.query(
          `INSERT INTO server_states (${source.names}) ${source.sql} ON CONFLICT ("serverId") DO UPDATE SET ${updates}`,
          source.params,
        );
      },
      async insertHeartbeats(rows) {
        if (rows.length === 0) return;
        const columns = [['serverId', 'text'], ['receivedAt', 'timestamp'], ...HISTORY] as const;
        const source = unnest(columns, rows as unknown as Record<string, unknown>[]);
        await client.query(`INSERT INTO heartbeats (${source.names}) ${source.sql}`, source.params);
      },
      async insertStatusChanges(rows) {
        const source = unnest(STATUS_CHANGE_COLUMNS, rows as unknown as Record<string, unknown>[]);
        await client.query(`INSERT INTO status_changes (${source.names}) ${source.sql}`, source.params);
      },
      async insertVersionChanges(rows) {
        const columns = [['serverId', 'text'], ['at', 'timestamp'], ...VERSIONS] as const;
        const source = unnest(columns, rows as unknown as Record<string, unknown>[]);
        await client.query(`INSERT INTO version_changes (${source.names}) ${source.sql}`, source.params);
      },
      async touchKeys(keyIds, at) {
        if (keyIds.length === 0) return;
        // A key another instance's batch is touching right now is skipped (it writes about the same
        // time): waiting for it deadlocked two instances' batches (test/history/rollup.test.ts, once).
        await client.query(
          `UPDATE api_keys SET "lastUsedAt" = $1 WHERE id IN (SELECT id FROM api_keys WHERE id = ANY($2::text[]) ORDER BY id FOR UPDATE SKIP LOCKED)`,
          [at, keyIds],
        );
      },
    };
  }

  const fleetQuery = `
    SELECT s.id, s.identifier, s.name, s."createdAt", s."intervalSeconds", s."graceSeconds", st."serverId" AS "stateServerId",
           st.status, st."lastSeenAt", st."lateAt", st."offlineAt", st."heartbeatCount", ${TELEMETRY.map(([c]) => 'st.' + q(c)).join(', ')}
    FROM monitored_servers s LEFT JOIN server_states st ON st."serverId" = s.id`;

  return {
    async commitHeartbeats(batch) {
      const client = await pool.connect();
      try {
        // The shared lock tells the rollup which heartbeat ids may still be uncommitted (postgres-history.ts).
        await client.query(`BEGIN; SELECT pg_advisory_xact_lock_shared(${INGEST_LOCK})`);
        const result = await applyHeartbeatBatch(transactionOn(client), batch);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async loadFleet(filter) {
      const { rows } = filter?.serverIds
        ? await pool.query(`${fleetQuery} WHERE s.id = ANY($1::text[]) ORDER BY s.identifier`, [filter.serverIds])
        : filter?.limit !== undefined
          ? await pool.query(`${fleetQuery} WHERE s.identifier > $1 ORDER BY s.identifier LIMIT $2`, [filter.afterIdentifier ?? '', filter.limit])
          : await pool.query(`${fleetQuery} ORDER BY s.identifier`);
      return rows.map(
        (row): FleetRow => ({
          id: row.id,
          identifier: row.identifier,
          name: row.name,
          createdAt: row.createdAt,
          intervalSeconds: row.intervalSeconds,
          graceSeconds: row.graceSeconds,
          state: row.stateServerId ? stateFromRow({ ...row, serverId: row.stateServerId }) : null,
        }),
      );
    },
    async applySilence(now) {
      // The conditional UPDATE is the arbiter: when several instances sweep at once, only the one
      // whose UPDATE changes the row reports (and so publishes) the transition. The status_changes
      // rows are written by the same statement, so they commit with the status.
      const { rows } = await pool.query(
        `WITH due AS (
           SELECT "serverId", status AS "from",
                  CASE WHEN "offlineAt" <= $1 THEN 'OFFLINE' ELSE 'LATE' END AS "to",
                  CASE WHEN "offlineAt" <= $1 THEN "offlineAt" ELSE "lateAt" END AS "at"
           FROM server_states
           WHERE (status = 'ONLINE' AND ("lateAt" <= $1 OR "offlineAt" <= $1)) OR (status = 'LATE' AND "offlineAt" <= $1)
           FOR UPDATE SKIP LOCKED),
         changed AS (
           UPDATE server_states st SET status = due."to" FROM due
           WHERE st."serverId" = due."serverId"
           RETURNING due."serverId" AS "serverId", due."from" AS "from", due."to" AS "to", due."at" AS "at"),
         recorded AS (
           INSERT INTO status_changes ("serverId", "fromStatus", "toStatus", "at", "cause")
           SELECT "serverId", "from", "to", "at", 'SILENCE' FROM changed)
         SELECT * FROM changed`,
        [now],
      );
      return rows as SilenceTransition[];
    },
    async rebaseSilence(since) {
      // Rows are locked in id order, as ingest locks them, so that the two cannot deadlock.
      const result = await pool.query(
        `WITH due AS (
           SELECT st."serverId", s."intervalSeconds" AS i, s."graceSeconds" AS g
           FROM server_states st JOIN monitored_servers s ON s.id = st."serverId"
           WHERE st.status IN ('ONLINE', 'LATE') AND st."offlineAt" < $1::timestamp + make_interval(secs => s."intervalSeconds" + s."graceSeconds")
           ORDER BY st."serverId"
           FOR UPDATE OF st)
         UPDATE server_states st SET
           "lateAt" = CASE WHEN st.status = 'ONLINE' THEN GREATEST(st."lateAt", $1::timestamp + make_interval(secs => 1.5 * due.i)) ELSE st."lateAt" END,
           "offlineAt" = GREATEST(st."offlineAt", $1::timestamp + make_interval(secs => due.i + due.g))
         FROM due WHERE st."serverId" = due."serverId"`,
        [since],
      );
      return result.rowCount ?? 0;
    },
    async markAlive(instanceId, startedAt, at) {
      await pool.query(
        `INSERT INTO backend_instances (id, "startedAt", "aliveAt") VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET "aliveAt" = EXCLUDED."aliveAt"`,
        [instanceId, startedAt, at],
      );
    },
    async lastAliveElsewhere(instanceId) {
      const { rows } = await pool.query(`SELECT MAX("aliveAt") AS "aliveAt" FROM backend_instances WHERE id <> $1`, [instanceId]);
      return (rows[0]?.aliveAt as Date | null) ?? null;
    },
    async forgetInstances(before) {
      return (await pool.query(`DELETE FROM backend_instances WHERE "aliveAt" < $1`, [before])).rowCount ?? 0;
    },
    async recordDowntime({ startedAt, endedAt, cause }) {
      const result = await pool.query(
        `INSERT INTO backend_downtime ("startedAt", "endedAt", cause)
         SELECT $1::timestamp, $2::timestamp, $3::text
         WHERE NOT EXISTS (SELECT 1 FROM backend_downtime WHERE cause = $3 AND "startedAt" < $2 AND ("endedAt" IS NULL OR "endedAt" > $1))`,
        [startedAt, endedAt, cause],
      );
      return (result.rowCount ?? 0) > 0;
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}
