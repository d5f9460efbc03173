// Interface A (INTERFACES.md): periods during which this backend could not accept heartbeats.
// Written by the stores (FleetStore.recordDowntime: raw SQL, at start and at the end of an
// outage); read here with Prisma by whoever needs them (uptime, alerts).
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
