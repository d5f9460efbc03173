// Heartbeat ingest with group commit: heartbeats that arrive while a batch is being committed
// wait for the next one, so one fsync acknowledges many. A heartbeat's promise resolves only
// after its transaction committed.
import { createHash } from 'node:crypto';
import type { Services } from './context.ts';
import { announce } from './events.ts';
import type { BatchItem, HeartbeatRecord, ServerStatus } from '../db/store.ts';
import { toApiKeyView, toServerView } from './views.ts';

export type HeartbeatOutcome =
  | { ok: true; serverId: string; status: ServerStatus; receivedAt: Date }
  | { ok: false; code: 'UNAUTHENTICATED' | 'CONFLICT'; message: string };

interface Pending extends BatchItem {
  resolve: (outcome: HeartbeatOutcome) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 2000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class HeartbeatIngestor {
  private queue: Pending[] = [];
  private running = false;

  constructor(private readonly services: Services) {}

  /** Resolves once the heartbeat is committed (or refused). `keyHash` is hashSecret(X-API-Key). */
  recordHeartbeat(keyHash: string, record: HeartbeatRecord): Promise<HeartbeatOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ keyHash, record, receivedAt: this.services.now(), resolve, reject });
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
          this.services.availability.assertUp();
          await this.commit(batch);
        } catch (error) {
          // An outage is answered 503 (retry later); anything else is a bug.
          const unavailable = this.services.availability.reportFailure(error);
          if (!unavailable) this.services.logger.error({ err: error, batch: batch.length }, 'heartbeat batch failed to commit');
          for (const pending of batch) pending.reject(unavailable ?? error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const { db, metrics, pubsub } = this.services;
    const started = performance.now();
    const outcomes = await db.store.commitHeartbeats(batch.map(({ keyHash, record, receivedAt }) => ({ keyHash, record, receivedAt })));
    metrics.ingestCommitSeconds.observe((performance.now() - started) / 1000);

    const now = this.services.now();
    let accepted = 0;
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (!outcome.ok) {
        metrics.heartbeatsRejected.inc({ status: outcome.code === 'CONFLICT' ? '409' : '401' });
        pending.resolve(outcome);
        return;
      }
      accepted++;
      const { key, state, events } = outcome;
      const server = toServerView(
        { id: key.serverId, identifier: key.identifier, name: key.name, createdAt: key.serverCreatedAt, intervalSeconds: key.intervalSeconds, graceSeconds: key.graceSeconds },
        state,
        toApiKeyView({ prefix: key.keyPrefix, createdAt: key.keyCreatedAt, lastUsedAt: outcome.keyTouched ? pending.receivedAt : key.keyLastUsedAt, revokedAt: null }),
        now,
      );
      for (const event of events) if (event.type === 'STATUS_CHANGED') metrics.statusTransitions.inc({ to: 'ONLINE' });
      announce(pubsub, { server, events });
      pending.resolve({ ok: true, serverId: key.serverId, status: server.status, receivedAt: pending.receivedAt });
    });
    metrics.heartbeatsAccepted.inc(accepted);
    metrics.ingestBatchSize.observe(batch.length);
  }
}
