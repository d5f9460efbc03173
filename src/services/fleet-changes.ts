// `fleetChanges`: per subscriber, totals plus what changed since the version it holds. A
// subscriber's whole state is that version and its filter: every tick (one timer for all
// subscribers) it reads the change log from its version, so a subscriber that is slow, or whose
// socket is not draining, is simply not served on that tick and catches up later with one
// coalesced event — or with a reset, once its version has left the bounded log.
import type { Services } from './context.ts';
import type { ChangeLog } from './change-log.ts';
import { matcher, viewAt, type FleetEntry, type FleetIndex, type OverviewFilter, type OverviewOrder, type OverviewTotals } from './fleet-index.ts';
import type { ServerView } from './views.ts';

export interface FleetChangesOptions {
  filter: OverviewFilter;
  /** A version from an earlier event or overview query; unknown or too old → the first event is a reset. */
  since?: string | null;
  /** Reset events carry the first `first` rows of the filtered fleet in this order. */
  first?: number | null;
  order?: OverviewOrder | null;
  /** Unsent bytes queued on the subscriber's connection (graphql-ws bufferedAmount, SSE writableLength). */
  backlog?: () => number;
}

export interface FleetChangesEvent {
  version: string;
  /** Drop what you hold: `changed` is then the whole state for your arguments (ids/identifiers, or the first page). */
  reset: boolean;
  generatedAt: Date;
  totals: OverviewTotals;
  changed: ServerView[];
  removed: string[];
}

interface Source {
  readonly index: FleetIndex;
  readonly log: ChangeLog;
  ready(): Promise<void>;
  nowMs(): number;
}

/** Events with more rows than this become a reset (refetch) rather than one huge message. */
const MAX_CHANGED_ROWS = 10_000;
/** While anything changes, a subscriber hears at least this often (its version stays fresh). */
const MAX_SILENCE_MS = 1_000;

const sameTotals = (a: OverviewTotals | null, b: OverviewTotals) =>
  !!a && a.servers === b.servers && a.online === b.online && a.late === b.late && a.offline === b.offline && a.pending === b.pending;

export class FleetChangeHub {
  private readonly waiting = new Set<ChangeStream>();
  /** Every open stream, waiting or not (one whose last event is still being sent is not waiting). */
  private readonly streams = new Set<ChangeStream>();
  private timer: NodeJS.Timeout | null = null;
  private shut = false;

  constructor(
    readonly source: Source,
    readonly services: Services,
    readonly options: { intervalMs: number; maxBacklogBytes: number },
  ) {}

  open(options: FleetChangesOptions): AsyncIterableIterator<FleetChangesEvent> {
    const stream = new ChangeStream(this, options);
    this.streams.add(stream);
    return stream;
  }

  closed(stream: ChangeStream): void {
    this.streams.delete(stream);
    this.unwait(stream);
  }

  /** A stream wants its next event on a coming tick. */
  wait(stream: ChangeStream): void {
    this.waiting.add(stream);
    if (!this.timer && !this.shut) this.schedule();
  }

  /**
   * The next tick, on a fixed grid of intervalMs: a setInterval re-arms from when its callback ran,
   * so every late tick pushed the following ones later, and a subscriber's one-second silence
   * after an event stretched by that drift (bench scale under load: 0.99 events/s).
   */
  private schedule(): void {
    const interval = this.options.intervalMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
      if (this.waiting.size > 0 && !this.shut && !this.timer) this.schedule();
    }, interval - (Date.now() % interval));
    this.timer.unref();
  }

  unwait(stream: ChangeStream): void {
    this.waiting.delete(stream);
    if (this.waiting.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Kept for callers that announce a change; ticks pick changes up on their own. */
  wake(): void {}

  /** The most unsent bytes any subscriber's connection holds. */
  largestBacklogBytes(): number {
    let largest = 0;
    for (const stream of this.streams) largest = Math.max(largest, stream.backlogBytes());
    return largest;
  }

  private tick(): void {
    const now = this.source.nowMs();
    const seq = this.source.log.seq;
    const totals = this.source.index.totals(now, seq);
    for (const stream of [...this.waiting]) {
      try {
        stream.poll(now, seq, totals);
      } catch (error) {
        this.services.logger.error({ err: error }, 'fleetChanges event failed');
        stream.fail(error);
      }
    }
  }

  close(): void {
    this.shut = true;
    for (const stream of [...this.streams]) void stream.return();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

class ChangeStream implements AsyncIterableIterator<FleetChangesEvent> {
  private since: number | null = null;
  private started = false;
  private done = false;
  /** When this subscriber is next owed an event even if nothing of its own changed. */
  private keepAliveAt = 0;
  private lastSentSeq = -1;
  private lastTotals: OverviewTotals | null = null;
  private waiter: { resolve: (r: IteratorResult<FleetChangesEvent>) => void; reject: (e: unknown) => void } | null = null;
  private readonly match: ReturnType<typeof matcher>;
  /** ids/identifiers narrowing: changes outside it are not this subscriber's business at all. */
  private readonly inScope: (entry: FleetEntry) => boolean;

  constructor(
    private readonly hub: FleetChangeHub,
    private readonly options: FleetChangesOptions,
  ) {
    const { ids, identifiers } = options.filter;
    this.match = matcher(options.filter);
    this.inScope = (entry) => (!ids || ids.has(entry.id)) && (!identifiers || identifiers.has(entry.identifier));
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<FleetChangesEvent>> {
    if (this.done) return { done: true, value: undefined };
    const { source } = this.hub;
    if (!this.started) {
      this.started = true;
      await source.ready();
      const now = source.nowMs();
      const seq = source.log.seq;
      const totals = source.index.totals(now, seq);
      this.since = source.log.parse(this.options.since);
      const first = this.build(now, seq, totals, true);
      return { done: false, value: first! };
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.hub.wait(this);
    });
  }

  backlogBytes(): number {
    return this.options.backlog?.() ?? 0;
  }

  poll(now: number, seq: number, totals: OverviewTotals): void {
    if (!this.waiter) return this.hub.unwait(this);
    const backlog = this.options.backlog?.() ?? 0;
    if (backlog > this.hub.options.maxBacklogBytes) {
      this.hub.services.metrics.fleetChangesDeferred.inc();
      return;
    }
    const event = this.build(now, seq, totals, false);
    if (!event) return;
    const { resolve } = this.waiter;
    this.waiter = null;
    this.hub.unwait(this);
    resolve({ done: false, value: event });
  }

  fail(error: unknown): void {
    const waiter = this.waiter;
    this.waiter = null;
    this.hub.closed(this);
    this.done = true;
    waiter?.reject(error);
  }

  /** The event for this tick, or null when there is nothing worth sending yet. */
  private build(now: number, seq: number, totals: OverviewTotals, first: boolean): FleetChangesEvent | null {
    const { log } = this.hub.source;
    const since = this.since;
    if (since === null || !log.covers(since)) return this.emit(now, seq, totals, true, this.snapshot(now, seq), []);
    if (!first && seq === since && sameTotals(this.lastTotals, totals)) return null;
    const { index } = this.hub.source;
    const changed: ServerView[] = [];
    const removed: string[] = [];
    const gone = new Set<string>();
    let overflow = false;
    log.forEachSince(since, (id, at) => {
      if (overflow) return;
      const entry = index.byId.get(id);
      if (!entry) {
        if (gone.has(id) || (this.options.filter.ids && !this.options.filter.ids.has(id))) return;
        gone.add(id);
        removed.push(id);
        return;
      }
      if (entry.seq !== at || !this.inScope(entry)) return; // a later record of the same server covers it
      if (!this.match || this.match(entry, now)) {
        changed.push(viewAt(entry, now));
        overflow = changed.length > MAX_CHANGED_ROWS;
      } else if (entry.statusSeq > since || entry.textSeq > since || entry.tagsSeq > since) {
        removed.push(id); // it may have been in this view before
      }
    });
    if (overflow) return this.emit(now, seq, totals, true, this.snapshot(now, seq), []);
    const relevant = changed.length > 0 || removed.length > 0 || !sameTotals(this.lastTotals, totals);
    if (!first && !relevant) {
      // Nothing for this subscriber; still tell it the version now and then while the fleet changes.
      // (Ticks come every intervalMs: waiting for the tick at or past 1 s would average less than one a second.)
      if (now + this.hub.options.intervalMs / 2 < this.keepAliveAt || seq === this.lastSentSeq) {
        this.since = seq;
        return null;
      }
      return this.emit(now, seq, totals, false, changed, removed, true);
    }
    return this.emit(now, seq, totals, false, changed, removed);
  }

  /** What a reset replaces the subscriber's state with. */
  private snapshot(now: number, seq: number): ServerView[] {
    const { index } = this.hub.source;
    const { ids, identifiers } = this.options.filter;
    if (ids || identifiers) {
      const entries = ids ? [...ids].map((id) => index.byId.get(id)) : [...identifiers!].map((identifier) => index.findByIdentifier(identifier));
      return entries.filter((entry): entry is FleetEntry => !!entry && this.inScope(entry) && (!this.match || this.match(entry, now))).map((entry) => viewAt(entry, now));
    }
    return this.options.first ? index.page({ first: this.options.first, order: this.options.order }, this.options.filter, now, seq).servers : [];
  }

  private emit(now: number, seq: number, totals: OverviewTotals, reset: boolean, changed: ServerView[], removed: string[], keepAlive = false): FleetChangesEvent {
    this.since = seq;
    // A keep-alive's successor is due a second after this one was due, not after it went out:
    // timers run late on a busy machine, and counting from `now` made the cadence ~0.95 a second
    // at 100,000 servers (bench/scale.ts). Never more than one tick early, so no burst after a stall.
    this.keepAliveAt = keepAlive ? Math.max(this.keepAliveAt + MAX_SILENCE_MS, now + MAX_SILENCE_MS - this.hub.options.intervalMs) : now + MAX_SILENCE_MS;
    this.lastSentSeq = seq;
    this.lastTotals = totals;
    this.hub.services.metrics.fleetChangesEvents.inc({ kind: reset ? 'reset' : 'delta' });
    return { version: this.hub.source.log.version(seq), reset, generatedAt: new Date(now), totals, changed, removed };
  }

  async return(): Promise<IteratorResult<FleetChangesEvent>> {
    this.done = true;
    this.hub.closed(this);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve({ done: true, value: undefined });
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<FleetChangesEvent>> {
    await this.return();
    throw error;
  }
}
