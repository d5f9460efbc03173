// The fleet overview, kept in memory and up to date from the same events subscribers get (from
// every instance when pub/sub goes through Redis), so neither a query nor a push reads the
// database. It is reloaded from the database at start and once a minute, so that an event lost
// on the way (a Redis reconnect) cannot leave it wrong for long. Pushes to subscribers are
// coalesced: at most one per window, however many heartbeats arrive.
import { Repeater } from 'graphql-yoga';
import type { Services } from './context.ts';
import { statusAt, thresholds } from './status.ts';
import { toServerView, type ServerView } from './views.ts';

export interface Overview {
  generatedAt: Date;
  totals: { servers: number; online: number; late: number; offline: number; pending: number };
  servers: ServerView[];
}

const RESYNC_MS = 60_000;
/** Updates for a deleted server that were published before its deletion are ignored this long. */
const TOMBSTONE_MS = 60_000;

const asDate = (value: Date | string | null) => (value == null ? null : value instanceof Date ? value : new Date(value));

export class OverviewFeed {
  private readonly servers = new Map<string, ServerView>();
  private readonly tombstones = new Map<string, number>();
  private sorted: ServerView[] | null = null;
  private loading: Promise<void>;
  private pushTimer: NodeJS.Timeout | null = null;
  private readonly resyncTimer: NodeJS.Timeout;
  private readonly listeners = new Set<(overview: Overview) => void>();
  private readonly stopListening: () => void;

  constructor(
    private readonly services: Services,
    /** Subscribers get at most one overview per window. */
    private readonly coalesceMs = 250,
  ) {
    const unlistenUpdates = services.pubsub.listen('server:updated', (view) => this.apply(view));
    const unlistenEvents = services.pubsub.listen('fleet:event', (event) => {
      if (event.type !== 'SERVER_DELETED') return;
      this.servers.delete(event.serverId);
      this.tombstones.set(event.serverId, Date.now());
      this.changed(true);
    });
    this.stopListening = () => {
      unlistenUpdates();
      unlistenEvents();
    };
    this.loading = this.reload();
    this.resyncTimer = setInterval(() => void this.reload().catch((error) => services.logger.error({ err: error }, 'overview resync failed')), RESYNC_MS);
    this.resyncTimer.unref();
  }

  private async reload(): Promise<void> {
    const rows = await this.services.db.store.loadFleet();
    const now = this.services.now();
    this.servers.clear();
    for (const row of rows) this.servers.set(row.id, toServerView(row, row.state, null, now));
    this.changed(true);
  }

  private apply(view: ServerView): void {
    const tombstone = this.tombstones.get(view.id);
    if (tombstone !== undefined) {
      if (Date.now() - tombstone < TOMBSTONE_MS) return;
      this.tombstones.delete(view.id);
    }
    const isNew = !this.servers.has(view.id);
    // Views that crossed Redis carry dates as strings; the public overview never shows keys.
    this.servers.set(view.id, { ...view, createdAt: asDate(view.createdAt)!, lastSeenAt: asDate(view.lastSeenAt), apiKey: null });
    this.changed(isNew);
  }

  private changed(membership: boolean): void {
    if (membership) this.sorted = null;
    if (this.listeners.size === 0 || this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      this.current().then(
        (overview) => {
          for (const listener of this.listeners) listener(overview);
        },
        (error) => this.services.logger.error({ err: error }, 'overview push failed'),
      );
    }, this.coalesceMs);
  }

  /** The overview now: statuses are derived from the clock at this moment. */
  async current(): Promise<Overview> {
    await this.loading;
    this.sorted ??= [...this.servers.values()].sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
    const now = this.services.now();
    const totals = { servers: 0, online: 0, late: 0, offline: 0, pending: 0 };
    const servers = this.sorted.map((known) => {
      const view = this.servers.get(known.id) ?? known;
      const state = view.lastSeenAt ? thresholds(view.lastSeenAt, view.intervalSeconds, view.graceSeconds) : null;
      const status = statusAt(state, now);
      totals.servers += 1;
      totals[status.toLowerCase() as 'online' | 'late' | 'offline' | 'pending'] += 1;
      return status === view.status ? view : { ...view, status };
    });
    return { generatedAt: now, totals, servers };
  }

  /** First the current state, then every coalesced change. */
  subscribe(): AsyncIterable<Overview> {
    return new Repeater<Overview>(async (push, stop) => {
      const listener = (overview: Overview) => void push(overview);
      this.listeners.add(listener);
      stop.then(() => this.listeners.delete(listener));
      await push(await this.current());
      await stop;
    });
  }

  close(): void {
    if (this.pushTimer) clearTimeout(this.pushTimer);
    clearInterval(this.resyncTimer);
    this.listeners.clear();
    this.stopListening();
  }
}
