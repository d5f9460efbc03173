import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { applyHeartbeatBatch } from '../services/ingest-batch.ts';
import { METRICS, type ActiveKey, type BatchItem, type FleetRow, type ItemOutcome, type FleetStore, type IngestTransaction, type SilenceTransition, type StateRow, type StatusChangeRow, type StoredStatus } from './store.ts';

// Timestamps are stored as Unix milliseconds (the Prisma adapter runs with
// timestampFormat 'unixepoch-ms'), so comparisons in SQL are plain integer comparisons.
const toDate = (value: number | bigint | null): Date | null => (value == null ? null : new Date(Number(value)));
const ms = (date: Date | null) => (date == null ? null : date.getTime());

const TELEMETRY_COLUMNS = [
  'openclawVersion', 'pluginVersion', 'agents', 'cpuPct', 'memPct', 'diskPct', 'swapPct', 'load1', 'load5', 'load15', 'uptimeSeconds',
] as const;

const INSERT_STATUS_CHANGE = `INSERT INTO status_changes (serverId, fromStatus, toStatus, at, cause) VALUES (@serverId, @fromStatus, @toStatus, @at, @cause)`;
const statusChangeParams = (row: StatusChangeRow) => ({ ...row, at: row.at.getTime() });

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
  // FULL: a heartbeat is acknowledged only once its commit is on disk. The fsync happens on the
  // writer thread, and group commit shares it among every heartbeat that arrived meanwhile.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  return db;
}

/** One heartbeat transaction's statements; run on the writer thread (src/db/sqlite-writer.ts). */
export function createSqliteHeartbeatWriter(db: Database.Database): (batch: BatchItem[]) => Promise<ItemOutcome[]> {
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
  const HISTORY_COLUMNS = [...METRICS, 'uptimeSeconds'];
  const insertHeartbeat = db.prepare(`
    INSERT INTO heartbeats (serverId, receivedAt, ${HISTORY_COLUMNS.join(', ')})
    VALUES (@serverId, @receivedAt, ${HISTORY_COLUMNS.map((c) => '@' + c).join(', ')})`);
  const insertVersionChange = db.prepare(`
    INSERT INTO version_changes (serverId, at, openclawVersion, pluginVersion, agents)
    VALUES (@serverId, @at, @openclawVersion, @pluginVersion, @agents)`);
  const touchKey = db.prepare(`UPDATE api_keys SET lastUsedAt = ? WHERE id = ?`);
  const insertStatusChange = db.prepare(INSERT_STATUS_CHANGE);
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');

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
      for (const row of rows) upsertState.run({ ...row, lastSeenAt: ms(row.lastSeenAt), lateAt: ms(row.lateAt), offlineAt: ms(row.offlineAt) });
    },
    async insertHeartbeats(rows) {
      for (const row of rows) insertHeartbeat.run({ ...row, receivedAt: ms(row.receivedAt) });
    },
    async insertStatusChanges(rows) {
      for (const row of rows) insertStatusChange.run(statusChangeParams(row));
    },
    async insertVersionChanges(rows) {
      for (const row of rows) insertVersionChange.run({ ...row, at: ms(row.at) });
    },
    async touchKeys(keyIds, at) {
      for (const id of keyIds) touchKey.run(at.getTime(), id);
    },
  };

  // The writer thread handles one batch at a time, so nothing else runs on this connection
  // between BEGIN and COMMIT although applyHeartbeatBatch is async.
  return async (batch) => {
    begin.run();
    try {
      const outcomes = await applyHeartbeatBatch(tx, batch);
      commit.run();
      return outcomes;
    } catch (error) {
      if (db.inTransaction) rollback.run();
      throw error;
    }
  };
}

/**
 * Runs heartbeat transactions on a worker thread with its own connection: the fsync of one
 * batch then no longer blocks the event loop, which keeps accepting (and batching) requests.
 */
class SqliteWriterThread {
  private worker: Worker;
  private readonly pending = new Map<number, { worker: Worker; resolve: (o: ItemOutcome[]) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly file: string) {
    this.worker = this.spawn();
  }

  /**
   * A writer thread that dies (a native crash, an out-of-memory) fails only the batches it had:
   * the next batch gets a new thread, so ingest recovers by itself. Nothing acknowledged is lost,
   * since a heartbeat is acknowledged only after its batch committed.
   */
  private spawn(): Worker {
    const worker = new Worker(new URL('./sqlite-writer.mjs', import.meta.url), { workerData: { file: this.file } });
    worker.unref();
    worker.on('message', (message: { id: number; outcomes?: ItemOutcome[]; error?: string }) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.error !== undefined) waiter.reject(new Error(`SQLite writer: ${message.error}`));
      else waiter.resolve(message.outcomes!);
    });
    const fail = (error: Error) => {
      for (const [id, waiter] of this.pending) {
        if (waiter.worker !== worker) continue;
        this.pending.delete(id);
        waiter.reject(error);
      }
      if (worker === this.worker && !this.closed) this.worker = this.spawn();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`SQLite writer thread exited with ${code}`)));
    return worker;
  }

  commit(batch: BatchItem[]): Promise<ItemOutcome[]> {
    if (this.closed) return Promise.reject(new Error('SQLite writer closed'));
    // threadId is -1 once a thread has exited, possibly before its 'exit' event has been handled.
    if (this.worker.threadId === -1) this.worker = this.spawn();
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise<ItemOutcome[]>((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.ref();
      worker.postMessage({ id, batch });
    }).finally(() => {
      if (this.pending.size === 0) this.worker.unref();
    });
  }

  /** For tests: what a crash of the writer thread does. */
  crashForTest(): Promise<number> {
    return this.worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }
}

export function createSqliteStore(db: Database.Database, file: string): FleetStore {
  const fleetQuery = `
    SELECT s.id, s.identifier, s.name, s.createdAt, s.intervalSeconds, s.graceSeconds, st.serverId AS stateServerId,
           st.status, st.lastSeenAt, st.lateAt, st.offlineAt, st.heartbeatCount, ${TELEMETRY_COLUMNS.map((c) => 'st.' + c).join(', ')}
    FROM monitored_servers s LEFT JOIN server_states st ON st.serverId = s.id`;
  const selectFleet = db.prepare(`${fleetQuery} ORDER BY s.identifier`);
  const selectFleetPage = db.prepare(`${fleetQuery} WHERE s.identifier > ? ORDER BY s.identifier LIMIT ?`);
  const toLate = db.prepare(`UPDATE server_states SET status = 'LATE' WHERE status = 'ONLINE' AND lateAt <= ? AND offlineAt > ? RETURNING serverId, lateAt`);
  const selectOfflineCandidates = db.prepare(`SELECT serverId, status, offlineAt FROM server_states WHERE status IN ('ONLINE', 'LATE') AND offlineAt <= ?`);
  const insertStatusChange = db.prepare(INSERT_STATUS_CHANGE);
  const toOffline = db.prepare(`UPDATE server_states SET status = 'OFFLINE' WHERE status IN ('ONLINE', 'LATE') AND offlineAt <= ?`);
  const rebase = db.prepare(`
    UPDATE server_states SET
      lateAt = CASE WHEN status = 'ONLINE' THEN MAX(lateAt, @since + CAST(s.intervalSeconds * 1500 AS INTEGER)) ELSE lateAt END,
      offlineAt = MAX(offlineAt, @since + (s.intervalSeconds + s.graceSeconds) * 1000)
    FROM monitored_servers s
    WHERE s.id = server_states.serverId AND server_states.status IN ('ONLINE', 'LATE')
      AND server_states.offlineAt < @since + (s.intervalSeconds + s.graceSeconds) * 1000`);
  // Its own connection with a short busy timeout: a locked database must fail this probe fast
  // instead of blocking the event loop for the main connection's 10 s.
  const probe = new Database(file, { timeout: 250 });
  const markAlive = probe.prepare(`
    INSERT INTO backend_instances (id, startedAt, aliveAt) VALUES (?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET aliveAt = excluded.aliveAt`);
  const selectLastAlive = db.prepare(`SELECT MAX(aliveAt) AS aliveAt FROM backend_instances WHERE id <> ?`);
  const forgetInstances = db.prepare(`DELETE FROM backend_instances WHERE aliveAt < ?`);
  const insertDowntime = db.prepare(`
    INSERT INTO backend_downtime (startedAt, endedAt, cause)
    SELECT @startedAt, @endedAt, @cause
    WHERE NOT EXISTS (SELECT 1 FROM backend_downtime WHERE cause = @cause AND startedAt < @endedAt AND (endedAt IS NULL OR endedAt > @startedAt))`);
  const writer = new SqliteWriterThread(file);

  return {
    commitHeartbeats: (batch) => writer.commit(batch),
    crashWriterForTest: () => writer.crashForTest(),
    async loadFleet(filter) {
      const rows = (
        filter?.serverIds
          ? db.prepare(`${fleetQuery} WHERE s.id IN (${filter.serverIds.map(() => '?').join(',') || 'NULL'}) ORDER BY s.identifier`).all(...filter.serverIds)
          : filter?.limit !== undefined
            ? selectFleetPage.all(filter.afterIdentifier ?? '', filter.limit)
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
      // Cheap check first: the write lock is taken only when a transition is due.
      if (!(db.prepare(`SELECT 1 FROM server_states WHERE (status = 'ONLINE' AND lateAt <= ?) OR (status IN ('ONLINE','LATE') AND offlineAt <= ?) LIMIT 1`).get(at, at))) {
        return transitions;
      }
      db.transaction(() => {
        const offline = selectOfflineCandidates.all(at) as { serverId: string; status: StoredStatus; offlineAt: number }[];
        toOffline.run(at);
        for (const row of offline) transitions.push({ serverId: row.serverId, from: row.status, to: 'OFFLINE', at: toDate(row.offlineAt)! });
        for (const row of toLate.all(at, at) as { serverId: string; lateAt: number }[]) {
          transitions.push({ serverId: row.serverId, from: 'ONLINE', to: 'LATE', at: toDate(row.lateAt)! });
        }
        for (const t of transitions) insertStatusChange.run(statusChangeParams({ serverId: t.serverId, fromStatus: t.from, toStatus: t.to, at: t.at, cause: 'SILENCE' }));
      }).immediate();
      return transitions;
    },
    async rebaseSilence(since) {
      return rebase.run({ since: since.getTime() }).changes;
    },
    async markAlive(instanceId, startedAt, at) {
      markAlive.run(instanceId, startedAt.getTime(), at.getTime());
    },
    async lastAliveElsewhere(instanceId) {
      return toDate((selectLastAlive.get(instanceId) as { aliveAt: number | bigint | null }).aliveAt);
    },
    async forgetInstances(before) {
      return forgetInstances.run(before.getTime()).changes;
    },
    async recordDowntime(period) {
      return insertDowntime.run({ startedAt: period.startedAt.getTime(), endedAt: period.endedAt.getTime(), cause: period.cause }).changes > 0;
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      await writer.close();
      probe.close();
      db.close();
    },
  };
}
