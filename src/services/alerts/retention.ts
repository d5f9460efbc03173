// Pruning alerting's history (run hourly by the history job, src/services/history.ts): outbox rows
// that are done (SENT, or FAILED for good) after ALERT_OUTBOX_RETENTION_DAYS, and alert_events
// after ALERT_HISTORY_RETENTION_DAYS. A PENDING outbox row is never deleted, however old: it is a
// notification still owed. Deletes go in small batches (no long lock on a table the engine and the
// outbox worker write); on PostgreSQL each batch takes a transaction-scoped advisory lock, so that
// of several instances one prunes at a time and the others skip the round.
import type { Services } from '../context.ts';

const BATCH = 2_000;
const PRUNE_LOCK = `hashtext(current_schema() || ':harborforge-alert-prune')`;

export interface AlertPruneResult {
  outbox: number;
  events: number;
  /** Another instance was pruning: this one did nothing. */
  skipped: boolean;
}

type Tx = Parameters<Parameters<Services['db']['prisma']['$transaction']>[0]>[0];

/** One batch in a transaction; false when another instance holds the prune lock (PostgreSQL). */
async function batch(services: Pick<Services, 'db'>, work: (tx: Tx) => Promise<number>): Promise<number | false> {
  const { db } = services;
  return db.prisma.$transaction(async (tx) => {
    if (db.provider === 'postgres') {
      const [row] = await tx.$queryRawUnsafe<{ ok: boolean }[]>(`SELECT pg_try_advisory_xact_lock(${PRUNE_LOCK}) AS ok`);
      if (!row?.ok) return false;
    }
    return work(tx);
  });
}

export async function pruneAlerts(services: Pick<Services, 'db' | 'now' | 'history'>): Promise<AlertPruneResult> {
  const now = services.now().getTime();
  const { outbox: outboxSeconds, events: eventSeconds } = services.history.alertRetentionSeconds;
  const result: AlertPruneResult = { outbox: 0, events: 0, skipped: false };
  if (outboxSeconds > 0) {
    const before = new Date(now - outboxSeconds * 1000);
    for (;;) {
      const deleted = await batch(services, async (tx) => {
        // createdAt, not sentAt: a row FAILED for good has no sentAt; a SENT one was created before it was sent.
        const rows = await tx.alertOutbox.findMany({ where: { status: { in: ['SENT', 'FAILED'] }, createdAt: { lt: before } }, select: { id: true }, take: BATCH });
        if (!rows.length) return 0;
        return (await tx.alertOutbox.deleteMany({ where: { id: { in: rows.map((row) => row.id) }, status: { not: 'PENDING' } } })).count;
      });
      if (deleted === false) return { ...result, skipped: true };
      result.outbox += deleted;
      if (deleted < BATCH) break;
    }
  }
  if (eventSeconds > 0) {
    const before = new Date(now - eventSeconds * 1000);
    for (;;) {
      const deleted = await batch(services, async (tx) => {
        const rows = await tx.alertEvent.findMany({ where: { at: { lt: before } }, select: { id: true }, orderBy: { at: 'asc' }, take: BATCH });
        if (!rows.length) return 0;
        return (await tx.alertEvent.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } })).count;
      });
      if (deleted === false) return { ...result, skipped: true };
      result.events += deleted;
      if (deleted < BATCH) break;
    }
  }
  return result;
}
