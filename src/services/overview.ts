// The fleet overview: computed from one query, cached until something changes, and pushed to
// subscribers at most once per coalescing window however many heartbeats arrive.
import { Repeater } from 'graphql-yoga';
import type { Services } from './context.ts';
import { toServerView, type ServerView } from './views.ts';

export interface Overview {
  generatedAt: Date;
  totals: { servers: number; online: number; late: number; offline: number; pending: number };
  servers: ServerView[];
}

export async function computeOverview(services: Services): Promise<Overview> {
  const rows = await services.db.store.loadFleet();
  const now = services.now();
  const totals = { servers: rows.length, online: 0, late: 0, offline: 0, pending: 0 };
  const servers = rows.map((row) => {
    const view = toServerView(row, row.state, null, now);
    totals[view.status.toLowerCase() as 'online' | 'late' | 'offline' | 'pending'] += 1;
    return view;
  });
  return { generatedAt: now, totals, servers };
}

export class OverviewFeed {
  private cached: Overview | null = null;
  private dirty = true;
  private computing: Promise<Overview> | null = null;
  private pushTimer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(overview: Overview) => void>();
  private readonly stopListening: () => void;

  constructor(
    private readonly services: Services,
    /** Subscribers get at most one overview per window. */
    private readonly coalesceMs = 250,
  ) {
    // Both topics carry changes from every instance when pub/sub goes through Redis.
    const controller = new AbortController();
    const watch = async (iterable: AsyncIterable<unknown>) => {
      for await (const _ of iterable) this.invalidate();
    };
    const fleet = services.pubsub.subscribe('fleet:event');
    const servers = services.pubsub.subscribe('server:updated');
    void watch(fleet).catch(() => {});
    void watch(servers).catch(() => {});
    this.stopListening = () => {
      controller.abort();
      void fleet.return?.();
      void servers.return?.();
    };
  }

  /** The current overview; recomputed only when something changed since the last one. */
  current(): Promise<Overview> {
    if (!this.dirty && this.cached) return Promise.resolve(this.cached);
    if (!this.computing) {
      this.dirty = false;
      this.computing = computeOverview(this.services)
        .then((overview) => {
          this.cached = overview;
          return overview;
        })
        .finally(() => {
          this.computing = null;
        });
    }
    return this.computing;
  }

  invalidate(): void {
    this.dirty = true;
    if (this.listeners.size === 0 || this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      this.current().then(
        (overview) => {
          for (const listener of this.listeners) listener(overview);
        },
        (error) => this.services.logger.error({ err: error }, 'overview recomputation failed'),
      );
    }, this.coalesceMs);
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
    this.listeners.clear();
    this.stopListening();
  }
}
