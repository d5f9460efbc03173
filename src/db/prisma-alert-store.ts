// The alert engine's and the outbox worker's statements through Prisma (PostgreSQL; interface in
// alert-store.ts). Several instances share the database: transitions are conditional on seq, and a
// channel is claimed by a conditional update of its lease.
import type { Prisma } from './index.ts';
import type { AlertEventRow, AlertStateRow, AlertStore, OutboxRow } from './alert-store.ts';

export function createPrismaAlertStore(prisma: Prisma): AlertStore {
  const readStates = async (pairs: { ruleId: string; serverId: string }[]): Promise<AlertStateRow[]> => {
    const byRule = new Map<string, string[]>();
    for (const { ruleId, serverId } of pairs) byRule.set(ruleId, [...(byRule.get(ruleId) ?? []), serverId]);
    const rows: AlertStateRow[] = [];
    for (const [ruleId, serverIds] of byRule) rows.push(...(await prisma.alertState.findMany({ where: { ruleId, serverId: { in: serverIds } } })));
    return rows;
  };

  return {
    readStates,
    dueStates: (now, limit) =>
      prisma.alertState.findMany({ where: { dueAt: { lte: now } }, select: { ruleId: true, serverId: true, seq: true }, orderBy: { dueAt: 'asc' }, take: limit }),
    async insertBaselines(rows, now) {
      await prisma.alertState.createMany({
        data: rows.map((row) => ({ ruleId: row.ruleId, serverId: row.serverId, state: 'OK', seq: 0, since: row.since, observed: row.observed, updatedAt: now })),
        skipDuplicates: true,
      } as Parameters<typeof prisma.alertState.createMany>[0]);
      return readStates(rows);
    },
    async commitTransitions(transitions, now) {
      const outcomes: { won: boolean; event: AlertEventRow | null }[] = [];
      await prisma.$transaction(async (tx) => {
        const events: { index: number; data: Omit<AlertEventRow, 'id'> }[] = [];
        const outbox: { channelId: string; idempotencyKey: string; payload: string; status: string; dueAt: Date; createdAt: Date }[] = [];
        for (const t of transitions) {
          const updated = await tx.alertState.updateMany({ where: { id: t.stateId, seq: t.expectedSeq }, data: { ...t.next, updatedAt: now } });
          const won = updated.count === 1;
          outcomes.push({ won, event: null });
          if (!won) continue;
          if (t.event) events.push({ index: outcomes.length - 1, data: t.event });
          for (const item of t.outbox) outbox.push({ ...item, status: 'PENDING', dueAt: now, createdAt: now });
        }
        // History and outbox rows of the whole batch in one statement each (ids in insertion order).
        if (events.length) {
          const rows = await tx.alertEvent.createManyAndReturn({ data: events.map((e) => e.data) });
          rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          events.forEach((e, i) => (outcomes[e.index]!.event = rows[i]!));
        }
        if (outbox.length) await tx.alertOutbox.createMany({ data: outbox });
      });
      return outcomes;
    },
    async releaseHeldBack(now) {
      return (await prisma.alertState.updateMany({ where: { state: 'FIRING', notified: false }, data: { dueAt: now } })).count;
    },
    statusChangesAfter: (after, ids, limit) =>
      prisma.statusChange.findMany({
        where: { OR: [{ id: { gt: after } }, ...(ids.length ? [{ id: { in: ids } }] : [])] },
        select: { id: true, serverId: true, toStatus: true },
        orderBy: { id: 'asc' },
        take: limit,
      }),
    async versionChangesAfter(after, ids, limit) {
      const rows = await prisma.versionChange.findMany({
        where: { OR: [{ id: { gt: BigInt(after) } }, ...(ids.length ? [{ id: { in: ids.map(BigInt) } }] : [])] },
        select: { id: true, serverId: true, openclawVersion: true, pluginVersion: true },
        orderBy: { id: 'asc' },
        take: limit,
      });
      return rows.map((row) => ({ ...row, id: Number(row.id) }));
    },
    async highestStatusChangeId() {
      return (await prisma.statusChange.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0;
    },
    async highestVersionChangeId() {
      return Number((await prisma.versionChange.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0);
    },
    async dueChannels(now, limit) {
      const free = { OR: [{ leaseUntil: null }, { leaseUntil: { lte: now } }] };
      const due = await prisma.alertOutbox.findMany({
        where: { status: 'PENDING', dueAt: { lte: now }, channel: { enabled: true, AND: [free, { OR: [{ nextSendAt: null }, { nextSendAt: { lte: now } }] }] } },
        distinct: ['channelId'],
        select: { channelId: true },
        take: limit,
      });
      return due.map((row) => row.channelId);
    },
    async claimChannel(channelId, now, leaseUntil, limit) {
      const claimed = await prisma.alertChannel.updateMany({
        where: { id: channelId, OR: [{ leaseUntil: null }, { leaseUntil: { lte: now } }] },
        data: { leaseUntil },
      });
      if (claimed.count !== 1) return null;
      const [channel, rows] = await Promise.all([
        prisma.alertChannel.findUniqueOrThrow({ where: { id: channelId }, select: { id: true, kind: true, settings: true } }),
        prisma.alertOutbox.findMany({ where: { channelId, status: 'PENDING', dueAt: { lte: now } }, orderBy: { id: 'asc' }, take: limit }) as Promise<OutboxRow[]>,
      ]);
      if (rows.length) return { channel, rows };
      await prisma.alertChannel.updateMany({ where: { id: channelId }, data: { leaseUntil: null } });
      return null;
    },
    async finishDelivery(channelId, at, outcome) {
      if (outcome.ok) {
        await prisma.$transaction([
          prisma.alertOutbox.updateMany({ where: { id: { in: outcome.ids } }, data: { status: 'SENT', sentAt: at, attempts: { increment: 1 }, lastError: null } }),
          prisma.alertChannel.updateMany({ where: { id: channelId }, data: { nextSendAt: outcome.nextSendAt, lastSuccessAt: at, leaseUntil: null } }),
        ]);
      } else {
        await prisma.$transaction([
          ...outcome.rows.map((row) =>
            prisma.alertOutbox.updateMany({
              where: { id: row.id },
              data: row.final ? { status: 'FAILED', attempts: row.attempts, lastError: outcome.error } : { attempts: row.attempts, lastError: outcome.error, dueAt: row.dueAt },
            }),
          ),
          prisma.alertChannel.updateMany({ where: { id: channelId }, data: { lastErrorAt: at, lastError: outcome.error, leaseUntil: null } }),
        ]);
      }
    },
    async releaseChannel(channelId) {
      await prisma.alertChannel.updateMany({ where: { id: channelId }, data: { leaseUntil: null } });
    },
  };
}
