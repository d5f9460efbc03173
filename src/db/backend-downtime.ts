// Interface A (INTERFACES.md): periods during which this backend could not accept heartbeats.
// Written rarely (at start after a full restart, at the end of a database outage), so Prisma.
import type { Prisma } from './index.ts';

export type DowntimeCause = 'RESTART' | 'DATABASE';

export interface BackendDowntimePeriod {
  id: number;
  startedAt: Date;
  /** null while the period is still open. */
  endedAt: Date | null;
  cause: DowntimeCause;
}

/** At most this many periods per call: a range is bounded, whatever the history. */
export const MAX_DOWNTIME_PERIODS = 10_000;

/** The periods overlapping [from, to), oldest first. */
export async function listBackendDowntime(prisma: Prisma, from: Date, to: Date): Promise<BackendDowntimePeriod[]> {
  const rows = await prisma.backendDowntime.findMany({
    where: { startedAt: { lt: to }, OR: [{ endedAt: null }, { endedAt: { gt: from } }] },
    orderBy: { startedAt: 'asc' },
    take: MAX_DOWNTIME_PERIODS,
  });
  return rows.map((row) => ({ ...row, cause: row.cause as DowntimeCause }));
}

/**
 * Records a closed period unless one of the same cause already covers part of it: every instance
 * of a deployment sees the same database outage (or restart) and may report it.
 */
export async function recordBackendDowntime(prisma: Prisma, period: { startedAt: Date; endedAt: Date; cause: DowntimeCause }): Promise<boolean> {
  if (period.endedAt.getTime() <= period.startedAt.getTime()) return false;
  return prisma.$transaction(async (tx) => {
    const overlapping = await tx.backendDowntime.findFirst({
      where: { cause: period.cause, startedAt: { lt: period.endedAt }, OR: [{ endedAt: null }, { endedAt: { gt: period.startedAt } }] },
      select: { id: true },
    });
    if (overlapping) return false;
    await tx.backendDowntime.create({ data: period });
    return true;
  });
}

/** The newest liveness mark of any other instance, or null on a database no instance ever used. */
export async function lastAliveElsewhere(prisma: Prisma, instanceId: string): Promise<Date | null> {
  const row = await prisma.backendInstance.findFirst({ where: { id: { not: instanceId } }, orderBy: { aliveAt: 'desc' }, select: { aliveAt: true } });
  return row?.aliveAt ?? null;
}

/** Instances silent for longer than `before` are gone: their rows are no longer needed. */
export async function forgetInstances(prisma: Prisma, before: Date): Promise<number> {
  return (await prisma.backendInstance.deleteMany({ where: { aliveAt: { lt: before } } })).count;
}
