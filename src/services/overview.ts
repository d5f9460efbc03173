// The fleet overview, kept in memory and up to date from the same events subscribers get (from
// every instance when pub/sub goes through Redis), so neither a query nor a push reads the
// database. It is reloaded from the database at start and once a minute, so that an event lost
// on the way (a Redis reconnect) cannot leave it wrong for long; the reload records what it
// corrected in the change log, so `fleetChanges` subscribers see the correction too.
//
// Two ways to follow it: `overviewUpdated` (the whole fleet, coalesced: fine for small fleets)
// and `fleetChanges` (src/services/fleet-changes.ts: totals + what changed, from a version).
import type { FleetRow } from '../db/store.ts';
import type { Services } from './context.ts';
import { ChangeLog } from './change-log.ts';
import { FleetChangeHub, type FleetChangesOptions, type FleetChangesEvent } from './fleet-changes.ts';
import { FleetIndex, entryOf, parseStatusCursor, statusOf, type FleetEntry, type OverviewFilter, type OverviewTotals, type Page, type PageArgs } from './fleet-index.ts';
import type { Session } from './admin-tokens.ts';
import { ServiceError } from './errors.ts';
import { tagSchema } from './server-tags.ts';
import { latestOnly } from './latest-only.ts';
import { toServerView, type ServerView } from './views.ts';

export type { OverviewFilter, OverviewTotals } from './fleet-index.ts';

export interface Overview {
  generatedAt: Date;
  /** The change-log version this overview reflects: resume `fleetChanges(since:)` from it. */
  version: string;
  totals: OverviewTotals;
  /** The page's views (made on first read from `page`). */
  readonly servers: ServerView[];
  page: Page;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Rows matching the filter on all pages (computed only when asked for). */
  matching: () => number;
}

export interface OverviewArgs extends PageArgs {
  filter?: OverviewFilter;
}

export interface OverviewFeedOptions {
  /** overviewUpdated: at most one push per window. */
  coalesceMs?: number;
  /** fleetChanges: at most one event per window per subscriber. */
  changesIntervalMs?: number;
  /** Versions of the change log kept for resuming. */
  changeLogSize?: number;
  /** A subscriber whose socket holds more unsent bytes than this gets no event until it drains. */
  maxBacklogBytes?: number;
  /**
   * Periodic whole-fleet reload, a safety net for events another instance committed but never
   * published (it died in between); null: none, for a single process whose events cannot be lost.
   */
  resyncMs?: number | null;
}

export const MAX_PAGE_SIZE = 10_000;
const MAX_TAG_FILTER = 50;

/**
 * Tags are labels admins choose for alert scoping (teams, customers, environments): an anonymous
 * reader of the public overview neither sees them nor filters by them (a filter would reveal them
 * one guess at a time) unless PUBLIC_OVERVIEW_TAGS=true. Any token may.
 */
export function overviewTagsVisible(session: Session, publicOverviewTags: boolean | undefined): boolean {
  return session.kind === 'admin' || publicOverviewTags === true;
}

/** The overview's `tags` filter (every tag must be carried, like `servers(tags:)`), validated and authorized. */
export function overviewTagFilter(tags: readonly string[] | null | undefined, visible: boolean): string[] | null {
  if (!tags?.length) return null;
  if (!visible) throw new ServiceError('UNAUTHENTICATED', 'tags: filtering the overview by tag needs a token (the public overview does not show tags unless PUBLIC_OVERVIEW_TAGS=true)');
  if (tags.length > MAX_TAG_FILTER) throw new ServiceError('BAD_USER_INPUT', `tags: at most ${MAX_TAG_FILTER}`);
  for (const tag of tags) {
    const parsed = tagSchema.safeParse(tag);
    if (!parsed.success) throw new ServiceError('BAD_USER_INPUT', `tags: "${tag.slice(0, 80)}": ${parsed.error.issues[0]!.message}`);
  }
  return [...new Set(tags.map((tag) => tag.trim()))];
}
/** Servers read per page by a reload; the event loop gets a turn between pages. */
const RELOAD_PAGE = 2_000;
/** Updates for a deleted server that were published before its deletion are ignored this long. */
const TOMBSTONE_MS = 60_000;

/** Fields a client can see change; a reload that finds them equal records nothing. */
const sameVisible = (a: FleetEntry, b: FleetEntry) =>
  a.lastSeenAt === b.lastSeenAt &&
  a.heartbeatCount === b.heartbeatCount &&
  a.status === b.status &&
  a.name === b.name &&
  a.identifier === b.identifier &&
  a.intervalSeconds === b.intervalSeconds &&
  a.graceSeconds === b.graceSeconds &&
  a.lateAt === b.lateAt &&
  a.offlineAt === b.offlineAt;

const sameTags = (a: readonly string[], b: readonly string[]) => a === b || (a.length === b.length && a.every((tag, i) => tag === b[i]));

/**
 * Told of every server the overview takes in (`entry`, with the `previous` one when it replaced
 * one) or drops (`entry` undefined), synchronously: the alert engine evaluates from the overview's
 * views instead of keeping a second copy of the fleet.
 */
export type FleetEntryListener = (serverId: string, entry: FleetEntry | undefined, previous: FleetEntry | undefined) => void;

export class OverviewFeed {
  readonly index = new FleetIndex();
  private readonly entryListeners = new Set<FleetEntryListener>();
  readonly log: ChangeLog;
  readonly hub: FleetChangeHub;
  private readonly tombstones = new Map<string, number>();
  private loading: Promise<void>;
  private pushTimer: NodeJS.Timeout | null = null;
  private readonly resyncTimer: NodeJS.Timeout | null;
  private readonly listeners = new Set<(overview: Overview) => void>();
  private readonly stopListening: () => void;
  private readonly coalesceMs: number;

  constructor(
    private readonly services: Services,
    options: OverviewFeedOptions = {},
  ) {
    this.coalesceMs = options.coalesceMs ?? 250;
    this.log = new ChangeLog(options.changeLogSize ?? 131_072);
    this.hub = new FleetChangeHub(this, services, { intervalMs: options.changesIntervalMs ?? 500, maxBacklogBytes: options.maxBacklogBytes ?? 1 << 20 });
    const unlistenUpdates = services.pubsub.listen('server:updated', (view) => this.apply(view));
    const unlistenEvents = services.pubsub.listen('fleet:event', (event) => {
      if (event.type !== 'SERVER_DELETED') return;
      this.tombstones.set(event.serverId, Date.now());
      this.remove(event.serverId);
    });
    // Tags reach the tag index after the server's view (another instance's change is re-read on
    // its event): re-announce the row then, so that tag-filtered pages and fleetChanges see it.
    const unlistenTags = services.tags.onChange((serverId) => this.touch(serverId));
    this.stopListening = () => {
      unlistenUpdates();
      unlistenEvents();
      unlistenTags();
    };
    this.loading = this.reload();
    const resyncMs = options.resyncMs === undefined ? 60_000 : options.resyncMs;
    this.resyncTimer = resyncMs === null ? null : setInterval(() => void this.reload().catch((error) => services.logger.error({ err: error }, 'overview resync failed')), resyncMs);
    this.resyncTimer?.unref();
  }

  /** Reloads from the database now (after a pub/sub reconnect or a database outage: events may have been missed). */
  resync(): void {
    this.loading = this.reload().catch((error) => this.services.logger.error({ err: error }, 'overview resync failed'));
  }

  /** Resolves once the fleet is loaded. */
  ready(): Promise<void> {
    return this.loading;
  }

  nowMs(): number {
    return this.services.now().getTime();
  }

  private async reload(): Promise<void> {
    // Entries carry their tags: read them once the tag index has loaded.
    await this.services.tags.ready();
    const startedAt = this.log.seq;
    const seen = new Set<string>();
    // Page by page (keyset on identifier): a 100,000-server fleet read at once held a second copy
    // of the fleet and blocked the event loop for seconds. A server renamed across the cursor meanwhile
    // is protected by its event (seq > startedAt), like any change made during the reload.
    for (let after: string | undefined, rows: FleetRow[]; ; after = rows.at(-1)!.identifier) {
      rows = await this.services.db.store.loadFleet({ afterIdentifier: after, limit: RELOAD_PAGE });
      const now = this.services.now();
      for (const row of rows) {
        seen.add(row.id);
        const view = toServerView(row, row.state, null, now);
        const known = this.index.byId.get(row.id);
        // Something newer arrived while the database was read: keep it.
        if (known && (known.seq > startedAt || known.heartbeatCount > view.heartbeatCount)) continue;
        if (this.tombstones.has(row.id)) continue;
        const tags = this.services.tags.get(row.id);
        const entry = entryOf(view, 0, tags, known);
        if (known && sameVisible(known, entry) && sameTags(known.tags, tags)) continue;
        this.put(entry);
      }
      if (rows.length < RELOAD_PAGE) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (const entry of [...this.index.entries()]) {
      if (!seen.has(entry.id) && entry.seq <= startedAt) this.remove(entry.id);
    }
    this.changed(true);
  }

  private set(view: ServerView): void {
    this.put(entryOf(view, 0, this.services.tags.get(view.id), this.index.byId.get(view.id)));
  }

  /** Takes `entry` in as the server's newest state: a new version in the change log. */
  private put(entry: FleetEntry): void {
    const nowMs = this.nowMs();
    const previous = this.index.byId.get(entry.id);
    const seq = this.log.record(entry.id);
    entry.seq = seq;
    // A new server cannot have left anyone's filtered view: one that does not match a subscriber's
    // filter is not announced to it as removed (0: no change of status, text or tags since it came).
    entry.statusSeq = entry.textSeq = entry.tagsSeq = 0;
    if (previous) {
      // Either kind of status change may take it out of a status-filtered view: the announced one
      // (the sweeper's) and the one the clock already showed to queries.
      const sameStatus = previous.status === entry.status && statusOf(previous, nowMs) === statusOf(entry, nowMs);
      entry.statusSeq = sameStatus ? previous.statusSeq : seq;
      entry.textSeq = previous.text === entry.text ? previous.textSeq : seq;
      entry.tagsSeq = sameTags(previous.tags, entry.tags) ? previous.tagsSeq : seq;
    }
    this.index.set(entry);
    this.hub.wake();
    for (const listener of this.entryListeners) listener(entry.id, entry, previous);
  }

  /** Calls `listener` for every server taken in or dropped from now on; returns the way to stop. */
  onEntry(listener: FleetEntryListener): () => void {
    this.entryListeners.add(listener);
    return () => this.entryListeners.delete(listener);
  }

  /** Announces a server's row again without a new view (its `firingAlerts` or its tags changed). */
  touch(id: string): void {
    const entry = this.index.byId.get(id);
    if (!entry) return;
    this.set(entry.toView());
    this.changed(false);
  }

  private remove(id: string): void {
    const previous = this.index.byId.get(id);
    if (!previous) return;
    this.log.record(id);
    this.index.delete(id);
    this.hub.wake();
    for (const listener of this.entryListeners) listener(id, undefined, previous);
    this.changed(true);
  }

  /**
   * Takes a server's view as committed, read from the database because something said the one held
   * is out of date (the alert engine's tail of committed status and version changes: an instance
   * died between its commit and its event). Ignored when an event already brought a newer one.
   */
  take(view: ServerView): void {
    this.apply(view);
  }

  private apply(view: ServerView): void {
    const tombstone = this.tombstones.get(view.id);
    if (tombstone !== undefined) {
      if (Date.now() - tombstone < TOMBSTONE_MS) return;
      this.tombstones.delete(view.id);
    }
    const known = this.index.byId.get(view.id);
    // A view older than the one held (a delayed event, or a database read that an event overtook).
    if (known && view.heartbeatCount < known.heartbeatCount) return;
    // Views that crossed Redis carry dates as strings: the entry reads either. The key is never kept.
    this.set(view);
    this.changed(!known);
  }

  private changed(_membership: boolean): void {
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

  /**
   * A page of the overview (or, without arguments, the whole fleet): statuses derived from the
   * clock at this moment; totals always for the whole fleet.
   */
  async query(args: OverviewArgs = {}): Promise<Overview> {
    if (args.first != null && (!Number.isInteger(args.first) || args.first < 0 || args.first > MAX_PAGE_SIZE)) {
      throw new ServiceError('BAD_USER_INPUT', `first: must be a whole number from 0 to ${MAX_PAGE_SIZE}`);
    }
    if (args.offset != null && (!Number.isInteger(args.offset) || args.offset < 0)) throw new ServiceError('BAD_USER_INPUT', 'offset: must be a whole number >= 0');
    if (args.order === 'PROBLEMS_FIRST' && args.after != null && !parseStatusCursor(args.after)) {
      throw new ServiceError('BAD_USER_INPUT', 'after: not a PROBLEMS_FIRST cursor (pass pageInfo.endCursor of a page in that order)');
    }
    await this.loading;
    const now = this.services.now();
    const nowMs = now.getTime();
    const seq = this.log.seq;
    const filter = args.filter ?? {};
    const page = this.index.page(args, filter, nowMs, seq);
    return {
      generatedAt: now,
      version: this.log.version(seq),
      totals: this.index.totals(nowMs, seq),
      get servers() {
        return page.servers;
      },
      page,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      matching: () => this.index.count(filter, nowMs, seq),
    };
  }

  /** The whole fleet now (overviewUpdated, and the unpaged query). */
  current(): Promise<Overview> {
    return this.query();
  }

  /** overviewUpdated: first the current state, then every coalesced change; a slow reader gets only the latest. */
  subscribe(): AsyncIterable<Overview> {
    return latestOnly<Overview>((push) => {
      this.listeners.add(push);
      void this.current().then(push, (error) => this.services.logger.error({ err: error }, 'overview push failed'));
      return () => this.listeners.delete(push);
    });
  }

  /** fleetChanges: totals and what changed, from a version (see src/services/fleet-changes.ts). */
  changes(options: FleetChangesOptions): AsyncIterableIterator<FleetChangesEvent> {
    return this.hub.open(options);
  }

  close(): void {
    if (this.pushTimer) clearTimeout(this.pushTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.listeners.clear();
    this.hub.close();
    this.stopListening();
  }
}
