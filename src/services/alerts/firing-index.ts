// How many alerts are FIRING per server, in memory, so that the overview's rows (and the status
// page's firing mark) carry the count without a query per row. It follows the alert transitions
// every instance hears (`alert:event`), re-counting only the servers they name, batched; rule
// changes (a deleted rule takes its alerts along) and a minute's resync cover the rest.
import type { Database } from '../../db/index.ts';
import type { Logger } from '../../logger.ts';
import type { PubSub } from '../events.ts';

const BATCH_MS = 100;
const RESYNC_MS = 60_000;
/** Server ids per re-count query. */
const CHUNK = 500;

export class FiringIndex {
  private counts = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly listeners = new Set<(serverId: string) => void>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly resyncTimer: NodeJS.Timeout;
  private readonly unlisten: (() => void)[];
  private loading: Promise<void>;

  constructor(
    private readonly db: Database,
    pubsub: PubSub,
    private readonly logger: Logger,
  ) {
    this.unlisten = [
      // Only these move an alert into or out of FIRING: PENDING, CANCELLED and REMINDER (most of the
      // transitions under a hovering metric) leave the count as it is, and cost no re-count query.
      pubsub.listen('alert:event', (event) => {
        if (event.type === 'FIRING' || event.type === 'RESOLVED') this.mark(event.serverId);
      }),
      pubsub.listen('alert:config', (part) => {
        if (part === 'rules') this.resync();
      }),
      pubsub.listen('fleet:event', (event) => {
        if (event.type === 'SERVER_DELETED') this.set(event.serverId, 0);
      }),
    ];
    this.loading = this.reload();
    this.resyncTimer = setInterval(() => this.resync(), RESYNC_MS);
    this.resyncTimer.unref();
  }

  ready(): Promise<void> {
    return this.loading;
  }

  /** FIRING alerts of the server now (0 when none). */
  count(serverId: string): number {
    return this.counts.get(serverId) ?? 0;
  }

  /** Called with a server's id whenever its count changes. */
  onChange(listener: (serverId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  resync(): void {
    this.loading = this.reload();
  }

  close(): void {
    for (const unlisten of this.unlisten) unlisten();
    clearInterval(this.resyncTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.listeners.clear();
  }

  private set(serverId: string, count: number): void {
    if (this.count(serverId) === count) return;
    if (count > 0) this.counts.set(serverId, count);
    else this.counts.delete(serverId);
    for (const listener of this.listeners) listener(serverId);
  }

  private async reload(): Promise<void> {
    try {
      const rows = await this.db.prisma.alertState.groupBy({ by: ['serverId'], where: { state: 'FIRING' }, _count: { _all: true } });
      const fresh = new Map(rows.map((row: { serverId: string; _count: { _all: number } }) => [row.serverId, row._count._all] as const));
      for (const serverId of this.counts.keys()) if (!fresh.has(serverId)) this.set(serverId, 0);
      for (const [serverId, count] of fresh) this.set(serverId, count);
    } catch (error) {
      this.logger.warn({ err: error }, 'loading firing alert counts failed');
    }
  }

  private mark(serverId: string): void {
    this.dirty.add(serverId);
    this.flushTimer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  private async flush(): Promise<void> {
    this.flushTimer = null;
    const ids = [...this.dirty];
    this.dirty.clear();
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      try {
        const rows = await this.db.prisma.alertState.groupBy({ by: ['serverId'], where: { state: 'FIRING', serverId: { in: chunk } }, _count: { _all: true } });
        const found = new Map(rows.map((row: { serverId: string; _count: { _all: number } }) => [row.serverId, row._count._all] as const));
        for (const serverId of chunk) this.set(serverId, found.get(serverId) ?? 0);
      } catch (error) {
        // The minute's resync corrects it.
        this.logger.warn({ err: error }, 'counting firing alerts failed');
      }
    }
  }
}
