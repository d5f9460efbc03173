import Database from 'better-sqlite3';
import type { ActiveKey, FleetRow, FleetStore, HeartbeatRow, IngestTransaction, SilenceTransition, StateRow, StoredStatus } from './store.ts';

// Timestamps are stored as Unix milliseconds (the Prisma adapter runs with
// timestampFormat 'unixepoch-ms'), so comparisons in SQL are plain integer comparisons.
const toDate = (value: number | bigint | null): Date | null => (value == null ? null : new Date(Number(value)));

const TELEMETRY_COLUMNS = [
  'openclawVersion', 'pluginVersion', 'agents', 'cpuPct', 'memPct', 'diskPct', 'swapPct', 'load1', 'load5', 'load15', 'uptimeSeconds',
] as const;

function stateFromRow(row: Record<string, any>): StateRow {
  const state: Record<string, unknown> = {
    serverId: row.serverId,
    status: row.status as StoredStatus,
    lastSeenAt: toDate(row.lastSeenAt),
    lateAt: toDate(row.lateAt),
    offlineAt: toDate(row.offlineAt),
    heartbeatCount: Number(row.heartbeatCount),
  };
  for (const column of TELEMETRY_COLUMNS) state[column] = row[column] ?? null;
  return state as unknown as StateRow;
}

export function openSqlite(file: string): Database.Database {
  const db = new Database(file, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  // FULL: a heartbeat is acknowledged only once its commit is on disk. Group commit keeps this cheap.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  return db;
}

export function createSqliteStore(db: Database.Database): FleetStore {
  const selectKey = db.prepare(`
    SELECT k.id AS keyId, k.hash AS keyHash, k.prefix AS keyPrefix, k.createdAt AS keyCreatedAt, k.lastUsedAt AS keyLastUsedAt,
           s.id AS serverId, s.identifier, s.name, s.createdAt AS serverCreatedAt, s.intervalSeconds, s.graceSeconds
    FROM api_keys k JOIN monitored_servers s ON s.id = k.serverId
    WHERE k.hash = ? AND k.revokedAt IS NULL`);
  const selectState = db.prepare(`SELECT * FROM server_states WHERE serverId = ?`);
  const upsertState = db.prepare(`
    INSERT INTO server_states (serverId, status, lastSeenAt, lateAt, offlineAt, heartbeatCount, ${TELEMETRY_COLUMNS.join(', ')})
    VALUES (@serverId, @status, @lastSeenAt, @lateAt, @offlineAt, @heartbeatCount, ${TELEMETRY_COLUMNS.map((c) => '@' + c).join(', ')})
    ON CONFLICT (serverId) DO UPDATE SET status = excluded.status, lastSeenAt = excluded.lastSeenAt, lateAt = excluded.lateAt,
      offlineAt = excluded.offlineAt, heartbeatCount = excluded.heartbeatCount,
      ${TELEMETRY_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`);
  const insertHeartbeat = db.prepare(`
    INSERT INTO heartbeats (serverId, receivedAt, ${TELEMETRY_COLUMNS.join(', ')})
    VALUES (@serverId, @receivedAt, ${TELEMETRY_COLUMNS.map((c) => '@' + c).join(', ')})`);
  const touchKey = db.prepare(`UPDATE api_keys SET lastUsedAt = ? WHERE id = ?`);
  const fleetQuery = `
    SELECT s.id, s.identifier, s.name, s.createdAt, s.intervalSeconds, s.graceSeconds, st.serverId AS stateServerId,
           st.status, st.lastSeenAt, st.lateAt, st.offlineAt, st.heartbeatCount, ${TELEMETRY_COLUMNS.map((c) => 'st.' + c).join(', ')}
    FROM monitored_servers s LEFT JOIN server_states st ON st.serverId = s.id`;
  const selectFleet = db.prepare(`${fleetQuery} ORDER BY s.identifier`);
  const toLate = db.prepare(`UPDATE server_states SET status = 'LATE' WHERE status = 'ONLINE' AND lateAt <= ? AND offlineAt > ? RETURNING serverId`);
  const toOffline = db.prepare(
    `UPDATE server_states SET status = 'OFFLINE' WHERE status IN ('ONLINE', 'LATE') AND offlineAt <= ?`,
  );
  const selectOfflineCandidates = db.prepare(`SELECT serverId, status FROM server_states WHERE status IN ('ONLINE', 'LATE') AND offlineAt <= ?`);
  const prune = db.prepare(`DELETE FROM heartbeats WHERE receivedAt < ?`);

  const ms = (date: Date | null) => (date == null ? null : date.getTime());

  const tx: IngestTransaction = {
    async findActiveKeys(hashes) {
      const found = new Map<string, ActiveKey>();
      for (const hash of new Set(hashes)) {
        const row = selectKey.get(hash) as Record<string, any> | undefined;
        if (!row) continue;
        found.set(hash, {
          ...(row as ActiveKey),
          keyCreatedAt: toDate(row.keyCreatedAt)!,
          keyLastUsedAt: toDate(row.keyLastUsedAt),
          serverCreatedAt: toDate(row.serverCreatedAt)!,
        });
      }
      return found;
    },
    async findStates(serverIds) {
      const found = new Map<string, StateRow>();
      for (const id of new Set(serverIds)) {
        const row = selectState.get(id) as Record<string, any> | undefined;
        if (row) found.set(id, stateFromRow(row));
      }
      return found;
    },
    async writeStates(rows) {
      for (const row of rows) {
        upsertState.run({ ...row, lastSeenAt: ms(row.lastSeenAt), lateAt: ms(row.lateAt), offlineAt: ms(row.offlineAt) });
      }
    },
    async insertHeartbeats(rows) {
      for (const row of rows) insertHeartbeat.run({ ...row, receivedAt: ms(row.receivedAt) });
    },
    async touchKeys(keyIds, at) {
      for (const id of keyIds) touchKey.run(at.getTime(), id);
    },
  };

  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  // Ingest batches are serialised by the caller, so no other statement on this connection can
  // run between BEGIN and COMMIT even though the work function is async.
  let busy = false;

  return {
    async ingest(work) {
      if (busy) throw new Error('sqlite ingest transactions must not overlap');
      busy = true;
      begin.run();
      try {
        const result = await work(tx);
        commit.run();
        return result;
      } catch (error) {
        if (db.inTransaction) rollback.run();
        throw error;
      } finally {
        busy = false;
      }
    },
    async loadFleet(filter) {
      const rows = (
        filter?.serverIds
          ? db.prepare(`${fleetQuery} WHERE s.id IN (${filter.serverIds.map(() => '?').join(',') || 'NULL'}) ORDER BY s.identifier`).all(...filter.serverIds)
          : selectFleet.all()
      ) as Record<string, any>[];
      return rows.map(
        (row): FleetRow => ({
          id: row.id,
          identifier: row.identifier,
          name: row.name,
          createdAt: toDate(row.createdAt)!,
          intervalSeconds: row.intervalSeconds,
          graceSeconds: row.graceSeconds,
          state: row.stateServerId ? stateFromRow({ ...row, serverId: row.stateServerId }) : null,
        }),
      );
    },
    async applySilence(now) {
      const at = now.getTime();
      const transitions: SilenceTransition[] = [];
      db.transaction(() => {
        const offline = selectOfflineCandidates.all(at) as { serverId: string; status: StoredStatus }[];
        toOffline.run(at);
        for (const row of offline) transitions.push({ serverId: row.serverId, from: row.status, to: 'OFFLINE' });
        for (const row of toLate.all(at, at) as { serverId: string }[]) transitions.push({ serverId: row.serverId, from: 'ONLINE', to: 'LATE' });
      }).immediate();
      return transitions;
    },
    async pruneHistory(before) {
      return prune.run(before.getTime()).changes;
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      db.close();
    },
  };
}
