// Heartbeat ingest with group commit: heartbeats that arrive while a transaction is being built
// or committed wait for the next one, so one fsync acknowledges many. Each heartbeat's key is
// checked inside the same transaction that writes it, so a key revoked on any instance is
// refused from the moment the revocation commits — no cache to invalidate.
import { createHash } from 'node:crypto';
import type { ActiveKey, HeartbeatRow, StateRow, Telemetry } from '../db/store.ts';
import type { Services } from './context.ts';
import { announce, type FleetEvent } from './events.ts';
import type { HeartbeatRecord } from './heartbeat-schema.ts';
import { thresholds, type ServerStatus } from './status.ts';
import { toApiKeyView, toServerView } from './views.ts';

export type HeartbeatOutcome =
  | { ok: true; serverId: string; status: ServerStatus; receivedAt: Date }
  | { ok: false; code: 'UNAUTHENTICATED' | 'CONFLICT'; message: string };

interface Pending {
  keyHash: string;
  record: HeartbeatRecord;
  receivedAt: Date;
  resolve: (outcome: HeartbeatOutcome) => void;
  reject: (error: unknown) => void;
}

/** lastUsedAt is written at most this often per key: it is informative, not a hot-path write. */
const KEY_TOUCH_INTERVAL_MS = 60_000;
const MAX_BATCH = 1000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

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

export class HeartbeatIngestor {
  private queue: Pending[] = [];
  private running = false;

  constructor(private readonly services: Services) {}

  /** Resolves once the heartbeat is committed (or refused). The key is the plaintext X-API-Key. */
  recordHeartbeat(apiKey: string, record: HeartbeatRecord): Promise<HeartbeatOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ keyHash: hashSecret(apiKey), record, receivedAt: this.services.now(), resolve, reject });
      if (!this.running) {
        this.running = true;
        // setImmediate lets every request already parsed in this turn of the event loop join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Waits for queued heartbeats to commit (used at shutdown). */
  async idle(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.commit(batch);
        } catch (error) {
          this.services.logger.error({ err: error, batch: batch.length }, 'heartbeat batch failed to commit');
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const { db, metrics } = this.services;
    const started = performance.now();
    const outcomes = new Map<Pending, HeartbeatOutcome>();
    const accepted: { pending: Pending; key: ActiveKey; state: StateRow; events: FleetEvent[] }[] = [];
    const touchedKeys = new Map<string, ActiveKey>();

    await db.store.ingest(async (tx) => {
      outcomes.clear();
      accepted.length = 0;
      touchedKeys.clear();
      const keys = await tx.findActiveKeys(batch.map((p) => p.keyHash));
      const valid: { pending: Pending; key: ActiveKey }[] = [];
      for (const pending of batch) {
        const key = keys.get(pending.keyHash);
        if (!key) {
          outcomes.set(pending, { ok: false, code: 'UNAUTHENTICATED', message: 'X-API-Key is unknown, replaced or revoked' });
        } else if (key.identifier !== pending.record.identifier) {
          outcomes.set(pending, {
            ok: false,
            code: 'CONFLICT',
            message: `identifier "${pending.record.identifier}" does not match this key's server ("${key.identifier}")`,
          });
        } else {
          valid.push({ pending, key });
        }
      }
      if (valid.length === 0) return;

      const previous = await tx.findStates(valid.map((v) => v.key.serverId));
      const latest = new Map<string, StateRow>();
      const history: HeartbeatRow[] = [];
      for (const { pending, key } of valid) {
        const before = latest.get(key.serverId) ?? previous.get(key.serverId) ?? null;
        const telemetry = telemetryOf(pending.record);
        const state: StateRow = {
          serverId: key.serverId,
          status: 'ONLINE',
          lastSeenAt: pending.receivedAt,
          ...thresholds(pending.receivedAt, key.intervalSeconds, key.graceSeconds),
          heartbeatCount: (before?.heartbeatCount ?? 0) + 1,
          ...telemetry,
        };
        const events: FleetEvent[] = [];
        const base = { serverId: key.serverId, identifier: key.identifier, at: pending.receivedAt };
        if (before?.status !== 'ONLINE') {
          events.push({ ...base, type: 'STATUS_CHANGED', previousStatus: before?.status ?? 'PENDING', status: 'ONLINE' });
        }
        if (before?.uptimeSeconds != null && state.uptimeSeconds != null && state.uptimeSeconds < before.uptimeSeconds) {
          events.push({ ...base, type: 'REBOOTED', status: 'ONLINE' });
        }
        latest.set(key.serverId, state);
        history.push({ serverId: key.serverId, receivedAt: pending.receivedAt, ...telemetry });
        accepted.push({ pending, key, state, events });
        const lastUsed = key.keyLastUsedAt?.getTime() ?? 0;
        if (pending.receivedAt.getTime() - lastUsed >= KEY_TOUCH_INTERVAL_MS) touchedKeys.set(key.keyId, key);
      }
      await tx.writeStates([...latest.values()]);
      await tx.insertHeartbeats(history);
      if (touchedKeys.size) await tx.touchKeys([...touchedKeys.keys()], valid[valid.length - 1]!.pending.receivedAt);
    });

    metrics.ingestCommitSeconds.observe((performance.now() - started) / 1000);
    metrics.ingestBatchSize.observe(accepted.length);
    const now = this.services.now();
    for (const { pending, key, state, events } of accepted) {
      const keyLastUsedAt = touchedKeys.has(key.keyId) ? pending.receivedAt : key.keyLastUsedAt;
      const view = toServerView(
        { id: key.serverId, identifier: key.identifier, name: key.name, createdAt: key.serverCreatedAt, intervalSeconds: key.intervalSeconds, graceSeconds: key.graceSeconds },
        state,
        toApiKeyView({ prefix: key.keyPrefix, createdAt: key.keyCreatedAt, lastUsedAt: keyLastUsedAt, revokedAt: null }),
        now,
      );
      for (const event of events) if (event.type === 'STATUS_CHANGED') metrics.statusTransitions.inc({ to: 'ONLINE' });
      announce(this.services.pubsub, { server: view, events });
      outcomes.set(pending, { ok: true, serverId: key.serverId, status: view.status, receivedAt: pending.receivedAt });
    }
    metrics.heartbeatsAccepted.inc(accepted.length);
    for (const pending of batch) {
      const outcome = outcomes.get(pending)!;
      if (!outcome.ok) metrics.heartbeatsRejected.inc({ status: outcome.code === 'CONFLICT' ? '409' : '401' });
      pending.resolve(outcome);
    }
  }
}
