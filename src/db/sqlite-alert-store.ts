// The alert engine's and the outbox worker's statements on SQLite (interface in alert-store.ts).
// Writes run on the ingest's writer thread (createSqliteAlertWriter, called from sqlite-writer.ts):
// each operation is one synchronous BEGIN IMMEDIATE transaction queued between heartbeat batches,
// so it holds the write lock for microseconds plus its fsync instead of racing the ingest for it.
// Reads run on the main connection with prepared statements: no per-query planning or compiling.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AlertBaseline, AlertEventRow, AlertStateRow, AlertStore, AlertTransition, ClaimedChannel, DeliveryOutcome, OutboxRow } from './alert-store.ts';

const toDate = (value: number | bigint | null): Date | null => (value == null ? null : new Date(Number(value)));
const ms = (date: Date | null) => (date == null ? null : date.getTime());

function toStateRow(row: Record<string, any>): AlertStateRow {
  return {
    id: row.id,
    ruleId: row.ruleId,
    serverId: row.serverId,
    state: row.state,
    seq: Number(row.seq),
    since: toDate(row.since)!,
    value: row.value ?? null,
    observed: row.observed ?? null,
    notified: Boolean(row.notified),
    lastNotifiedAt: toDate(row.lastNotifiedAt),
    dueAt: toDate(row.dueAt),
  };
}

function toEventRow(row: Record<string, any>): AlertEventRow {
  return { ...(row as AlertEventRow), id: BigInt(row.id), at: toDate(row.at)!, silenced: Boolean(row.silenced) };
}

function toOutboxRow(row: Record<string, any>): OutboxRow {
  return { ...(row as OutboxRow), id: BigInt(row.id), attempts: Number(row.attempts), dueAt: toDate(row.dueAt)!, createdAt: toDate(row.createdAt)!, sentAt: toDate(row.sentAt) };
}

/** The write operations, run on the writer thread's connection. Each is one transaction. */
export function createSqliteAlertWriter(db: Database.Database) {
  const selectState = db.prepare(`SELECT * FROM alert_states WHERE ruleId = ? AND serverId = ?`);
  // Only for a rule and a server that still exist (either may have been deleted since the evaluation).
  const insertBaseline = db.prepare(`
    INSERT INTO alert_states (id, ruleId, serverId, state, seq, since, observed, notified, updatedAt)
    SELECT @id, @ruleId, @serverId, 'OK', 0, @since, @observed, 0, @updatedAt
    WHERE EXISTS (SELECT 1 FROM alert_rules WHERE id = @ruleId) AND EXISTS (SELECT 1 FROM monitored_servers WHERE id = @serverId)
    ON CONFLICT (ruleId, serverId) DO NOTHING`);
  const updateState = db.prepare(`
    UPDATE alert_states SET state = @state, seq = @seq, since = @since, value = @value, observed = @observed, notified = @notified,
      lastNotifiedAt = @lastNotifiedAt, dueAt = @dueAt, updatedAt = @updatedAt
    WHERE id = @id AND seq = @expectedSeq`);
  const insertEvent = db.prepare(`
    INSERT INTO alert_events (ruleId, ruleName, serverId, serverIdentifier, type, at, value, message, silenced)
    VALUES (@ruleId, @ruleName, @serverId, @serverIdentifier, @type, @at, @value, @message, @silenced) RETURNING *`);
  const insertOutbox = db.prepare(`
    INSERT INTO alert_outbox (channelId, idempotencyKey, payload, status, dueAt, attempts, createdAt)
    SELECT @channelId, @idempotencyKey, @payload, 'PENDING', @at, 0, @at WHERE EXISTS (SELECT 1 FROM alert_channels WHERE id = @channelId)
    ON CONFLICT (channelId, idempotencyKey) DO NOTHING`);
  const releaseHeldBack = db.prepare(`UPDATE alert_states SET dueAt = ? WHERE state = 'FIRING' AND notified = 0`);
  const selectDueRows = db.prepare(`SELECT * FROM alert_outbox WHERE channelId = ? AND status = 'PENDING' AND dueAt <= ? ORDER BY id LIMIT ?`);
  const claim = db.prepare(`UPDATE alert_channels SET leaseUntil = ? WHERE id = ? AND (leaseUntil IS NULL OR leaseUntil <= ?)`);
  const selectChannel = db.prepare(`SELECT id, kind, settings FROM alert_channels WHERE id = ?`);
  const markSent = db.prepare(`UPDATE alert_outbox SET status = 'SENT', sentAt = ?, attempts = attempts + 1, lastError = NULL WHERE id = ?`);
  const markRetry = db.prepare(`UPDATE alert_outbox SET attempts = ?, lastError = ?, dueAt = ? WHERE id = ?`);
  const markFailed = db.prepare(`UPDATE alert_outbox SET status = 'FAILED', attempts = ?, lastError = ? WHERE id = ?`);
  const channelSucceeded = db.prepare(`UPDATE alert_channels SET nextSendAt = ?, lastSuccessAt = ?, leaseUntil = NULL WHERE id = ?`);
  const channelFailed = db.prepare(`UPDATE alert_channels SET lastErrorAt = ?, lastError = ?, leaseUntil = NULL WHERE id = ?`);
  const release = db.prepare(`UPDATE alert_channels SET leaseUntil = NULL WHERE id = ?`);

  const immediate = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const tx = db.transaction(fn);
    return (...args: A): R => tx.immediate(...args);
  };

  return {
    insertBaselines: immediate((rows: AlertBaseline[], now: Date): AlertStateRow[] => {
      for (const row of rows) insertBaseline.run({ id: randomUUID(), ruleId: row.ruleId, serverId: row.serverId, since: ms(row.since), observed: row.observed, updatedAt: ms(now) });
      return rows.map((row) => selectState.get(row.ruleId, row.serverId) as Record<string, any> | undefined).filter((row) => row !== undefined).map(toStateRow);
    }),
    commitTransitions: immediate((transitions: AlertTransition[], now: Date) =>
      transitions.map(({ stateId, expectedSeq, next, event, outbox }) => {
        const changed = updateState.run({
          ...next,
          notified: next.notified ? 1 : 0,
          since: ms(next.since),
          lastNotifiedAt: ms(next.lastNotifiedAt),
          dueAt: ms(next.dueAt),
          updatedAt: ms(now),
          id: stateId,
          expectedSeq,
        }).changes;
        if (changed !== 1) return { won: false, event: null };
        const eventRow = event ? toEventRow(insertEvent.get({ ...event, at: ms(event.at), silenced: event.silenced ? 1 : 0 }) as Record<string, any>) : null;
        for (const item of outbox) insertOutbox.run({ ...item, at: ms(now) });
        return { won: true, event: eventRow };
      }),
    ),
    releaseHeldBack: immediate((now: Date) => releaseHeldBack.run(ms(now)).changes),
    claimChannel: immediate((channelId: string, now: Date, leaseUntil: Date, limit: number): ClaimedChannel | null => {
      const rows = selectDueRows.all(channelId, ms(now), limit) as Record<string, any>[];
      if (!rows.length) return null;
      if (claim.run(ms(leaseUntil), channelId, ms(now)).changes !== 1) return null;
      const channel = selectChannel.get(channelId) as ClaimedChannel['channel'];
      return { channel, rows: rows.map(toOutboxRow) };
    }),
    finishDelivery: immediate((channelId: string, at: Date, outcome: DeliveryOutcome) => {
      if (outcome.ok) {
        for (const id of outcome.ids) markSent.run(ms(at), id);
        channelSucceeded.run(ms(outcome.nextSendAt), ms(at), channelId);
      } else {
        for (const row of outcome.rows) {
          if (row.final) markFailed.run(row.attempts, outcome.error, row.id);
          else markRetry.run(row.attempts, outcome.error, ms(row.dueAt), row.id);
        }
        channelFailed.run(ms(at), outcome.error, channelId);
      }
    }),
    releaseChannel: immediate((channelId: string) => {
      release.run(channelId);
    }),
  };
}

export type SqliteAlertWriter = ReturnType<typeof createSqliteAlertWriter>;
export type SqliteAlertWrite = <Op extends keyof SqliteAlertWriter>(op: Op, args: Parameters<SqliteAlertWriter[Op]>) => Promise<ReturnType<SqliteAlertWriter[Op]>>;

/** Reads on `db` (the main connection), writes through `write` (the writer thread). */
export function createSqliteAlertStore(db: Database.Database, write: SqliteAlertWrite): AlertStore {
  const selectState = db.prepare(`SELECT * FROM alert_states WHERE ruleId = ? AND serverId = ?`);
  const selectDue = db.prepare(`SELECT ruleId, serverId, seq FROM alert_states WHERE dueAt <= ? ORDER BY dueAt LIMIT ?`);
  const statusAfter = db.prepare(`SELECT id, serverId, toStatus FROM status_changes WHERE id > ? ORDER BY id LIMIT ?`);
  const versionAfter = db.prepare(`SELECT id, serverId, openclawVersion, pluginVersion FROM version_changes WHERE id > ? ORDER BY id LIMIT ?`);
  const highestStatus = db.prepare(`SELECT MAX(id) AS id FROM status_changes`);
  const highestVersion = db.prepare(`SELECT MAX(id) AS id FROM version_changes`);
  const dueChannels = db.prepare(`
    SELECT c.id FROM alert_channels c
    WHERE c.enabled = 1 AND (c.leaseUntil IS NULL OR c.leaseUntil <= @now) AND (c.nextSendAt IS NULL OR c.nextSendAt <= @now)
      AND EXISTS (SELECT 1 FROM alert_outbox o WHERE o.channelId = c.id AND o.status = 'PENDING' AND o.dueAt <= @now)
    LIMIT @limit`);
  // Ids a tail asks for again (PostgreSQL-style gaps; on SQLite only a rolled-back insert leaves one).
  const tailWithGaps = (table: string, columns: string, after: number, ids: number[], limit: number) =>
    db.prepare(`SELECT ${columns} FROM ${table} WHERE id > ? OR id IN (${ids.map(() => '?').join(',')}) ORDER BY id LIMIT ?`).all(after, ...ids, limit);

  return {
    async readStates(pairs) {
      const rows: AlertStateRow[] = [];
      for (const { ruleId, serverId } of pairs) {
        const row = selectState.get(ruleId, serverId) as Record<string, any> | undefined;
        if (row) rows.push(toStateRow(row));
      }
      return rows;
    },
    async dueStates(now, limit) {
      return (selectDue.all(ms(now), limit) as { ruleId: string; serverId: string; seq: number }[]).map((row) => ({ ...row, seq: Number(row.seq) }));
    },
    insertBaselines: (rows, now) => write('insertBaselines', [rows, now]),
    commitTransitions: (transitions, now) => write('commitTransitions', [transitions, now]),
    releaseHeldBack: (now) => write('releaseHeldBack', [now]),
    async statusChangesAfter(after, ids, limit) {
      const rows = ids.length ? tailWithGaps('status_changes', 'id, serverId, toStatus', after, ids, limit) : statusAfter.all(after, limit);
      return (rows as { id: number; serverId: string; toStatus: string }[]).map((row) => ({ ...row, id: Number(row.id) }));
    },
    async versionChangesAfter(after, ids, limit) {
      const rows = ids.length ? tailWithGaps('version_changes', 'id, serverId, openclawVersion, pluginVersion', after, ids, limit) : versionAfter.all(after, limit);
      return (rows as { id: number; serverId: string; openclawVersion: string | null; pluginVersion: string | null }[]).map((row) => ({ ...row, id: Number(row.id) }));
    },
    async highestStatusChangeId() {
      return Number((highestStatus.get() as { id: number | null }).id ?? 0);
    },
    async highestVersionChangeId() {
      return Number((highestVersion.get() as { id: number | null }).id ?? 0);
    },
    async dueChannels(now, limit) {
      return (dueChannels.all({ now: ms(now), limit }) as { id: string }[]).map((row) => row.id);
    },
    claimChannel: (channelId, now, leaseUntil, limit) => write('claimChannel', [channelId, now, leaseUntil, limit]),
    finishDelivery: (channelId, at, outcome) => write('finishDelivery', [channelId, at, outcome]),
    releaseChannel: (channelId) => write('releaseChannel', [channelId]),
  };
}
