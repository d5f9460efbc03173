import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { applyHeartbeatBatch } from '../services/ingest-batch.ts';
import type { AlertStore } from './alert-store.ts';
import { createSqliteAlertStore, type SqliteAlertWriter } from './sqlite-alert-store.ts';
import type { SqliteHistoryWriter } from './sqlite-history.ts';
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
 * The fleet's writes other than heartbeats (silence sweep, liveness marks, downtime records), run
 * on the writer thread like everything else that writes: each is one synchronous transaction
 * between heartbeat batches. (On the main thread they busy-waited for the lock with the event
 * loop blocked, and the liveness mark, given a short timeout for that reason, failed whenever a
 * batch's fsync took longer, which opened an "outage" that answered every heartbeat 503.)
 */
export function createSqliteFleetWriter(db: Database.Database) {
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
  const markAlive = db.prepare(`
    INSERT INTO backend_instances (id, startedAt, aliveAt) VALUES (?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET aliveAt = excluded.aliveAt`);
  const forgetInstances = db.prepare(`DELETE FROM backend_instances WHERE aliveAt < ?`);
  const insertDowntime = db.prepare(`
    INSERT INTO backend_downtime (startedAt, endedAt, cause)
    SELECT @startedAt, @endedAt, @cause
    WHERE NOT EXISTS (SELECT 1 FROM backend_downtime WHERE cause = @cause AND startedAt < @endedAt AND (endedAt IS NULL OR endedAt > @startedAt))`);
  const immediate = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const tx = db.transaction(fn);
    return (...args: A): R => tx.immediate(...args);
  };
  return {
    applySilence: immediate((now: Date): SilenceTransition[] => {
      const at = now.getTime();
      const transitions: SilenceTransition[] = [];
      const offline = selectOfflineCandidates.all(at) as { serverId: string; status: StoredStatus; offlineAt: number }[];
      toOffline.run(at);
      for (const row of offline) transitions.push({ serverId: row.serverId, from: row.status, to: 'OFFLINE', at: toDate(row.offlineAt)! });
      for (const row of toLate.all(at, at) as { serverId: string; lateAt: number }[]) {
        transitions.push({ serverId: row.serverId, from: 'ONLINE', to: 'LATE', at: toDate(row.lateAt)! });
      }
      for (const t of transitions) insertStatusChange.run(statusChangeParams({ serverId: t.serverId, fromStatus: t.from, toStatus: t.to, at: t.at, cause: 'SILENCE' }));
      return transitions;
    }),
    rebaseSilence: (since: Date) => rebase.run({ since: since.getTime() }).changes,
    markAlive: (instanceId: string, startedAt: Date, at: Date) => {
      markAlive.run(instanceId, startedAt.getTime(), at.getTime());
    },
    forgetInstances: (before: Date) => forgetInstances.run(before.getTime()).changes,
    recordDowntime: (period: { startedAt: Date; endedAt: Date; cause: 'RESTART' | 'DATABASE' }) =>
      insertDowntime.run({ startedAt: period.startedAt.getTime(), endedAt: period.endedAt.getTime(), cause: period.cause }).changes > 0,
  };
}

export type SqliteFleetWriter = ReturnType<typeof createSqliteFleetWriter>;
type SqliteFleetWrite = <Op extends keyof SqliteFleetWriter>(op: Op, args: Parameters<SqliteFleetWriter[Op]>) => Promise<ReturnType<SqliteFleetWriter[Op]>>;

/** What the writer thread is asked to run (src/db/sqlite-writer.ts). */
export type WriterRequest =
  | { kind: 'heartbeats'; batch: BatchItem[] }
  | { kind: 'call'; op: keyof SqliteAlertWriter | keyof SqliteFleetWriter | keyof SqliteHistoryWriter; args: unknown[] }
  | { kind: 'hold' };

/**
 * Runs heartbeat transactions on a worker thread with its own connection: the fsync of one
 * batch then no longer blocks the event loop, which keeps accepting (and batching) requests.
 * The alert engine's and outbox's writes are queued on the same thread (sqlite-alert-store.ts),
 * so that they take turns with heartbeat batches instead of fighting them for the write lock.
 */
class SqliteWriterThread {
  private worker: Worker;
  private readonly pending = new Map<number, { worker: Worker; resolve: (result: any) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly file: string) {
    this.worker = this.spawn();
  }

  /**
   * A writer thread that dies (a native crash, an out-of-memory) fails only the requests it had:
   * the next request gets a new thread, so ingest recovers by itself. Nothing acknowledged is lost,
   * since a heartbeat is acknowledged only after its batch committed.
   */
  private spawn(): Worker {
    const worker = new Worker(new URL('./sqlite-writer.mjs', import.meta.url), { workerData: { file: this.file } });
    worker.unref();
    worker.on('message', (message: { id: number; result?: unknown; error?: string; code?: string }) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.error !== undefined) waiter.reject(Object.assign(new Error(`SQLite writer: ${message.error}`), message.code ? { code: message.code } : {}));
      else waiter.resolve(message.result);
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

  /**
   * Pauses the writer between two of its transactions, so that another connection of this process
   * (Prisma's, for the API's writes) can write without racing it for the lock; call the function
   * returned to let it go on. Its requests wait meanwhile, as they would for the lock.
   */
  async hold(): Promise<() => void> {
    const id = this.nextId; // the id request() gives this hold: the release names it
    await this.request<null>({ kind: 'hold' });
    // The thread that granted it (request() may have replaced a dead one before sending).
    const worker = this.worker;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (worker.threadId !== -1) worker.postMessage({ release: id });
    };
  }

  request<Result>(request: WriterRequest): Promise<Result> {
    if (this.closed) return Promise.reject(new Error('SQLite writer closed'));
    // threadId is -1 once a thread has exited, possibly before its 'exit' event has been handled.
    if (this.worker.threadId === -1) this.worker = this.spawn();
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise<Result>((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.ref();
      worker.postMessage({ id, request });
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

export interface SqliteStores {
  store: FleetStore;
  alerts: AlertStore;
  /** Runs an operation of the writer thread (sqlite-writer.ts), e.g. the history's writes. */
  write(op: string, args: unknown[]): Promise<any>;
  /** SqliteWriterThread.hold: Prisma's writes take turns with the writer thread's. */
  holdWriter(): Promise<() => void>;
}

export function createSqliteStore(db: Database.Database, file: string): SqliteStores {
  const fleetQuery = `
    SELECT s.id, s.identifier, s.name, s.createdAt, s.intervalSeconds, s.graceSeconds, st.serverId AS stateServerId,
           st.status, st.lastSeenAt, st.lateAt, st.offlineAt, st.heartbeatCount, ${TELEMETRY_COLUMNS.map((c) => 'st.' + c).join(', ')}
    FROM monitored_servers s LEFT JOIN server_states st ON st.serverId = s.id`;
  const selectFleet = db.prepare(`${fleetQuery} ORDER BY s.identifier`);
  const selectFleetPage = db.prepare(`${fleetQuery} WHERE s.identifier > ? ORDER BY s.identifier LIMIT ?`);
  const selectLastAlive = db.prepare(`SELECT MAX(aliveAt) AS aliveAt FROM backend_instances WHERE id <> ?`);
  const silenceDue = db.prepare(`SELECT 1 FROM server_states WHERE (status = 'ONLINE' AND lateAt <= ?) OR (status IN ('ONLINE','LATE') AND offlineAt <= ?) LIMIT 1`);
  const writer = new SqliteWriterThread(file);
  const alerts = createSqliteAlertStore(db, (op, args) => writer.request({ kind: 'call', op, args }));
  const write: SqliteFleetWrite = (op, args) => writer.request({ kind: 'call', op, args });

  const store: FleetStore = {
    commitHeartbeats: (batch) => writer.request({ kind: 'heartbeats', batch }),
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
      // Cheap check first (a read here): the writer is asked only when a transition is due.
      if (!silenceDue.get(at, at)) return [];
      return write('applySilence', [now]);
    },
    rebaseSilence: (since) => write('rebaseSilence', [since]),
    markAlive: (instanceId, startedAt, at) => write('markAlive', [instanceId, startedAt, at]),
    async lastAliveElsewhere(instanceId) {
      return toDate((selectLastAlive.get(instanceId) as { aliveAt: number | bigint | null }).aliveAt);
    },
    forgetInstances: (before) => write('forgetInstances', [before]),
    recordDowntime: (period) => write('recordDowntime', [period]),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      await writer.close();
      db.close();
    },
  };
  return {
    store,
    alerts,
    write: (op, args) => writer.request({ kind: 'call', op: op as keyof SqliteFleetWriter, args }),
    holdWriter: () => writer.hold(),
  };
}
