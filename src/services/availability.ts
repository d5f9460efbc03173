// Whether this backend can accept heartbeats, and since when (DESIGN.md: "the backend's own
// downtime is not the fleet's"). Two kinds of downtime are detected and recorded in
// backend_downtime (interface A):
// - RESTART: every instance marks itself alive every few seconds; an instance that starts and
//   finds no mark fresher than a few periods knows the whole backend was down since the newest one.
// - DATABASE: the first database failure that means "unreachable / cannot commit" opens an outage;
//   a write probe every second closes it.
// Either way, before anything else (the silence sweep) runs, the silence thresholds of the fleet
// move so that silence counts from the recovery: no wave of false LATE/OFFLINE transitions.
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/index.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import type { Logger } from '../logger.ts';
import { ServiceError } from './errors.ts';

export interface AvailabilityOptions {
  /** How often this instance marks itself alive. */
  livenessMs?: number;
  /** How often the database is probed during an outage (DATABASE_PROBE_MS). */
  probeMs?: number;
}

/** Instance rows silent for longer than this are deleted at start. */
const FORGET_INSTANCES_MS = 86_400_000;

export class Availability {
  readonly instanceId = randomUUID();
  readonly startedAt: Date;
  /** When this backend last became able to accept heartbeats: start, or the end of an outage. */
  availableSince: Date;
  private downSince: Date | null = null;
  private readonly livenessMs: number;
  private readonly probeMs: number;
  private livenessTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;
  private readonly recoveredListeners = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly now: () => Date,
    options: AvailabilityOptions = {},
  ) {
    this.livenessMs = options.livenessMs ?? 5_000;
    this.probeMs = options.probeMs ?? 1_000;
    this.startedAt = now();
    this.availableSince = this.startedAt;
  }

  /** True unless a database outage is open on this instance. */
  get up(): boolean {
    return this.downSince === null;
  }

  /**
   * Runs once at start, before the status sweep: when no other instance was alive recently, the
   * backend was down since the newest liveness mark, so record that and count silence from now.
   */
  async start(): Promise<void> {
    const { store } = this.db;
    const lastAlive = await store.lastAliveElsewhere(this.instanceId);
    const now = this.now();
    if (lastAlive && now.getTime() - lastAlive.getTime() > 3 * this.livenessMs) {
      const moved = await store.rebaseSilence(now);
      await store.recordDowntime({ startedAt: lastAlive, endedAt: now, cause: 'RESTART' });
      this.logger.info({ downSince: lastAlive, servers: moved }, 'backend was down: silence counts from this start');
    }
    this.availableSince = now;
    await store.markAlive(this.instanceId, this.startedAt, now);
    await store.forgetInstances(new Date(now.getTime() - FORGET_INSTANCES_MS));
    this.livenessTimer = setInterval(() => void this.touch(), this.livenessMs);
    this.livenessTimer.unref();
  }

  private async touch(): Promise<void> {
    if (!this.up) return;
    try {
      await this.db.store.markAlive(this.instanceId, this.startedAt, this.now());
    } catch (error) {
      this.reportFailure(error);
    }
  }

  /**
   * Call with any failure of a database operation. Returns a SERVICE_UNAVAILABLE ServiceError
   * when the failure means the database is unreachable or cannot commit (an outage opens then),
   * or null for anything else.
   */
  reportFailure(error: unknown): ServiceError | null {
    if (error instanceof ServiceError) return error.code === 'SERVICE_UNAVAILABLE' ? error : null;
    if (!isDatabaseUnavailable(error)) return null;
    if (this.downSince === null && !this.stopped) {
      this.downSince = this.now();
      this.logger.error({ err: error }, 'database unavailable: answering 503 until it recovers');
      this.probeTimer = setInterval(() => void this.probe(), this.probeMs);
      this.probeTimer.unref();
    }
    return unavailableError();
  }

  /** Throws SERVICE_UNAVAILABLE while an outage is open: no point sending work to a dead database. */
  assertUp(): void {
    if (!this.up) throw unavailableError();
  }

  onRecovered(listener: () => void): () => void {
    this.recoveredListeners.add(listener);
    return () => this.recoveredListeners.delete(listener);
  }

  private probe(): Promise<void> {
    this.probing ??= this.recover()
      .catch((error) => this.logger.debug({ err: error }, 'database still unavailable'))
      .finally(() => (this.probing = null));
    return this.probing;
  }

  /** A write succeeds again: move the silence thresholds, record the outage, then reopen. */
  private async recover(): Promise<void> {
    const downSince = this.downSince;
    if (!downSince) return;
    const { store } = this.db;
    await store.markAlive(this.instanceId, this.startedAt, this.now());
    // The outage ends when that write succeeded, not when the probe began: on SQLite it waits on
    // the writer thread for up to the busy timeout while the lock is still held elsewhere.
    const now = this.now();
    const moved = await store.rebaseSilence(now);
    await store.recordDowntime({ startedAt: downSince, endedAt: now, cause: 'DATABASE' });
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.downSince = null;
    this.availableSince = now;
    this.logger.info({ downSince, servers: moved }, 'database available again: silence counts from now');
    for (const listener of this.recoveredListeners) listener();
  }

  /** Waits for a probe in flight (tests, shutdown). */
  async settled(): Promise<void> {
    await this.probing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    await this.probing;
    // The last mark: a restart's downtime then starts when this instance really stopped.
    if (this.up) await this.db.store.markAlive(this.instanceId, this.startedAt, this.now()).catch(() => {});
  }
}

export function unavailableError(): ServiceError {
  return new ServiceError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry later.');
}
