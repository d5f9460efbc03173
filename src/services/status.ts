// Status is decided by the backend's clock (DESIGN.md, "Status of a server").
import type { ServerStatus, StateRow } from '../db/store.ts';

export type { ServerStatus } from '../db/store.ts';
export const SERVER_STATUSES = ['PENDING', 'ONLINE', 'LATE', 'OFFLINE'] as const;

export function thresholds(lastSeenAt: Date, intervalSeconds: number, graceSeconds: number) {
  const seen = lastSeenAt.getTime();
  return {
    lateAt: new Date(seen + 1.5 * intervalSeconds * 1000),
    offlineAt: new Date(seen + (intervalSeconds + graceSeconds) * 1000),
  };
}

export function statusAt(state: Pick<StateRow, 'lateAt' | 'offlineAt'> | null, now: Date): ServerStatus {
  if (!state) return 'PENDING';
  const at = now.getTime();
  if (at >= state.offlineAt.getTime()) return 'OFFLINE';
  if (at >= state.lateAt.getTime()) return 'LATE';
  return 'ONLINE';
}
