// The transactional heart of heartbeat ingest, independent of where it runs: in-process for
// PostgreSQL, in the SQLite writer thread for SQLite (src/db/sqlite-writer.ts). Everything here
// happens inside one transaction: each key is checked in the same transaction that writes its
// heartbeat, so a key revoked on any instance is refused from the moment the revocation commits.
import type { BatchItem, HeartbeatRecord, HeartbeatRow, IngestTransaction, ItemOutcome, StateRow, StatusChangeRow, Telemetry, VersionChangeRow } from '../db/store.ts';
import { thresholds } from './status.ts';

export type { BatchItem, ItemOutcome } from '../db/store.ts';

/** lastUsedAt is written at most this often per key: it is informative, not a hot-path write. */
export const KEY_TOUCH_INTERVAL_MS = 60_000;

function telemetryOf(record: HeartbeatRecord): Telemetry {
  return {
    openclawVersion: record.openclawVersion,
    pluginVersion: record.pluginVersion,
    agents: record.agents ? JSON.stringify(record.agents) : null,
    cpuPct: record.cpuPct,
    memPct: record.memPct,
    diskPct: record.diskPct,
    swapPct: record.swapPct,
    load1: record.load1,
    load5: record.load5,
    load15: record.load15,
    uptimeSeconds: record.uptimeSeconds,
  };
}

/** Returns one outcome per item, in order. */
export async function applyHeartbeatBatch(tx: IngestTransaction, batch: BatchItem[]): Promise<ItemOutcome[]> {
  const keys = await tx.findActiveKeys(batch.map((item) => item.keyHash));
  const outcomes: ItemOutcome[] = batch.map((item) => {
    const key = keys.get(item.keyHash);
    if (!key) return { ok: false, code: 'UNAUTHENTICATED', message: 'X-API-Key is unknown, replaced or revoked' };
    if (key.identifier !== item.record.identifier) {
      return { ok: false, code: 'CONFLICT', message: `identifier "${item.record.identifier}" does not match this key's server ("${key.identifier}")` };
    }
    return { ok: true, key, state: null as unknown as StateRow, events: [], keyTouched: false };
  });
  const accepted = batch.flatMap((item, index) => (outcomes[index]!.ok ? [{ item, outcome: outcomes[index] as Extract<ItemOutcome, { ok: true }> }] : []));
  if (accepted.length === 0) return outcomes;

  const previous = await tx.findStates(accepted.map(({ outcome }) => outcome.key.serverId));
  const latest = new Map<string, StateRow>();
  const history: HeartbeatRow[] = [];
  const statusChanges: StatusChangeRow[] = [];
  const versionChanges: VersionChangeRow[] = [];
  const touched = new Set<string>();
  for (const { item, outcome } of accepted) {
    const { key } = outcome;
    const before = latest.get(key.serverId) ?? previous.get(key.serverId) ?? null;
    const telemetry = telemetryOf(item.record);
    const state: StateRow = {
      serverId: key.serverId,
      status: 'ONLINE',
      lastSeenAt: item.receivedAt,
      ...thresholds(item.receivedAt, key.intervalSeconds, key.graceSeconds),
      heartbeatCount: (before?.heartbeatCount ?? 0) + 1,
      ...telemetry,
    };
    const base = { serverId: key.serverId, identifier: key.identifier, at: item.receivedAt };
    if (before?.status !== 'ONLINE') {
      const previousStatus = before?.status ?? 'PENDING';
      outcome.events.push({ ...base, type: 'STATUS_CHANGED', previousStatus, status: 'ONLINE' });
      statusChanges.push({ serverId: key.serverId, fromStatus: previousStatus, toStatus: 'ONLINE', at: item.receivedAt, cause: 'HEARTBEAT' });
    }
    if (before?.uptimeSeconds != null && state.uptimeSeconds != null && state.uptimeSeconds < before.uptimeSeconds) {
      outcome.events.push({ ...base, type: 'REBOOTED', status: 'ONLINE' });
    }
    outcome.state = state;
    latest.set(key.serverId, state);
    const { openclawVersion, pluginVersion, agents, ...metrics } = telemetry;
    history.push({ serverId: key.serverId, receivedAt: item.receivedAt, ...metrics });
    if (!before || before.openclawVersion !== openclawVersion || before.pluginVersion !== pluginVersion || before.agents !== agents) {
      versionChanges.push({ serverId: key.serverId, at: item.receivedAt, openclawVersion, pluginVersion, agents });
    }
    if (!touched.has(key.keyId) && item.receivedAt.getTime() - (key.keyLastUsedAt?.getTime() ?? 0) >= KEY_TOUCH_INTERVAL_MS) {
      touched.add(key.keyId);
      outcome.keyTouched = true;
    }
  }
  await tx.writeStates([...latest.values()]);
  await tx.insertHeartbeats(history);
  if (statusChanges.length) await tx.insertStatusChanges(statusChanges);
  if (versionChanges.length) await tx.insertVersionChanges(versionChanges);
  if (touched.size) await tx.touchKeys([...touched], accepted.at(-1)!.item.receivedAt);
  return outcomes;
}
