// The in-memory fleet as the overview serves it: servers by id, plus an array sorted by
// identifier, so that a page is a binary search and a walk of `first` rows, not a sort of the
// whole fleet. Statuses are derived from the clock at read time from precomputed thresholds.
import type { ServerStatus } from './status.ts';
import type { ServerView } from './views.ts';

export interface FleetEntry {
  view: ServerView;
  /** ms since epoch; Infinity while PENDING. */
  lateAt: number;
  offlineAt: number;
  /** Lower-cased "identifier\nname", for search. */
  text: string;
  /** Version (change-log sequence) of this entry's last visible change. */
  seq: number;
  /** Version at which its status (by the clock), its search text or its tags last changed: it may have left a filtered view. */
  statusSeq: number;
  textSeq: number;
  tagsSeq: number;
  /** The server's tags when this entry was made (from the instance's ServerTagIndex). */
  tags: readonly string[];
}

export interface OverviewTotals {
  servers: number;
  online: number;
  late: number;
  offline: number;
  pending: number;
}

/**
 * What a page or a change stream is narrowed to. Every field is optional and they combine with
 * AND; a new filter (e.g. tags) is one field here plus one line in `matcher`.
 */
export interface OverviewFilter {
  status?: readonly ServerStatus[] | null;
  search?: string | null;
  /** Only these server ids (e.g. the rows on screen). */
  ids?: ReadonlySet<string> | null;
  /** Only these identifiers. */
  identifiers?: ReadonlySet<string> | null;
  /** Only servers carrying every one of these tags (like `servers(tags:)`). */
  tags?: readonly string[] | null;
}

export type OverviewOrder = 'IDENTIFIER_ASC' | 'IDENTIFIER_DESC' | 'PROBLEMS_FIRST';

/** PROBLEMS_FIRST lists the statuses in this order, each by identifier. */
export const PROBLEMS_FIRST: readonly ServerStatus[] = ['OFFLINE', 'LATE', 'PENDING', 'ONLINE'];

const TOTAL_OF: Record<ServerStatus, keyof OverviewTotals> = { OFFLINE: 'offline', LATE: 'late', PENDING: 'pending', ONLINE: 'online' };

/**
 * A PROBLEMS_FIRST cursor is "<STATUS>:<identifier>" of the last row: a position in the order
 * that holds whatever that server's status is by the next request. Statuses have no ':', so the
 * first one splits it (identifiers may contain ':'). Null when it is not such a cursor.
 */
export function parseStatusCursor(cursor: string): { rank: number; identifier: string } | null {
  const colon = cursor.indexOf(':');
  const rank = colon > 0 ? PROBLEMS_FIRST.indexOf(cursor.slice(0, colon) as ServerStatus) : -1;
  return rank < 0 ? null : { rank, identifier: cursor.slice(colon + 1) };
}

export interface PageArgs {
  first?: number | null;
  /** Cursor: the identifier of the last row of the previous page (PROBLEMS_FIRST: see parseStatusCursor). */
  after?: string | null;
  /** Rows (matching the filter) to skip, for jumping into a virtualized list. */
  offset?: number | null;
  order?: OverviewOrder | null;
}

export interface Page {
  servers: ServerView[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export function statusOf(entry: FleetEntry, now: number): ServerStatus {
  if (entry.view.lastSeenAt == null) return 'PENDING';
  if (now >= entry.offlineAt) return 'OFFLINE';
  if (now >= entry.lateAt) return 'LATE';
  return 'ONLINE';
}

/** The view with its status as of `now` (the stored view's status may lag the clock by a sweep). */
export function viewAt(entry: FleetEntry, now: number): ServerView {
  const status = statusOf(entry, now);
  return status === entry.view.status ? entry.view : { ...entry.view, status };
}

const NO_TAGS: readonly string[] = Object.freeze([]);

export function entryOf(view: ServerView, seq: number, tags: readonly string[] = NO_TAGS): FleetEntry {
  const seen = view.lastSeenAt?.getTime();
  // The stored thresholds when known: after a backend outage they count from its end, not from lastSeenAt.
  return {
    view,
    lateAt: seen == null ? Infinity : (view.lateAt?.getTime() ?? seen + 1.5 * view.intervalSeconds * 1000),
    offlineAt: seen == null ? Infinity : (view.offlineAt?.getTime() ?? seen + (view.intervalSeconds + view.graceSeconds) * 1000),
    text: `${view.identifier}\n${view.name}`.toLowerCase(),
    seq,
    statusSeq: seq,
    textSeq: seq,
    tagsSeq: seq,
    tags,
  };
}

export function isEmptyFilter(filter: OverviewFilter): boolean {
  return !filter.status?.length && !filter.search?.trim() && !filter.ids && !filter.identifiers && !filter.tags?.length;
}

/** A predicate for `filter` (null: everything matches). */
export function matcher(filter: OverviewFilter): ((entry: FleetEntry, now: number) => boolean) | null {
  const tests: ((entry: FleetEntry, now: number) => boolean)[] = [];
  if (filter.ids) tests.push((e) => filter.ids!.has(e.view.id));
  if (filter.identifiers) tests.push((e) => filter.identifiers!.has(e.view.identifier));
  const search = filter.search?.trim().toLowerCase();
  if (search) tests.push((e) => e.text.includes(search));
  const tags = filter.tags;
  if (tags?.length) tests.push((e) => tags.every((tag) => e.tags.includes(tag)));
  if (filter.status?.length) {
    const statuses = new Set(filter.status);
    tests.push((e, now) => statuses.has(statusOf(e, now)));
  }
  if (tests.length === 0) return null;
  if (tests.length === 1) return tests[0]!;
  return (entry, now) => tests.every((test) => test(entry, now));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class FleetIndex {
  readonly byId = new Map<string, FleetEntry>();
  /** Entries sorted by identifier. Membership changes are rare next to heartbeats. */
  private readonly sorted: FleetEntry[] = [];
  private totalsCache: { at: number; seq: number; totals: OverviewTotals } | null = null;
  /**
   * Each sorted entry's thresholds in flat arrays (NaN: PENDING), for `totals`: at 100,000 servers
   * the scan through the entries' objects took ~17 ms per overview query on a loaded machine
   * (bench/scale.ts CPU profile: 10 % of the main thread); plain numbers in a row take a fraction
   * of a millisecond. Rebuilt after a membership change (rare), kept in step by `set`.
   */
  private lateAts = new Float64Array(0);
  private offlineAts = new Float64Array(0);
  private thresholdsStale = true;

  get size(): number {
    return this.byId.size;
  }

  /** First index whose identifier is > identifier (or >= with `inclusive`). */
  private lowerBound(identifier: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compare(this.sorted[mid]!.view.identifier, identifier);
      if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(entry: FleetEntry): void {
    const previous = this.byId.get(entry.view.id);
    this.byId.set(entry.view.id, entry);
    if (previous && previous.view.identifier === entry.view.identifier) {
      const at = this.indexOf(previous);
      this.sorted[at] = entry;
      if (!this.thresholdsStale) this.putThresholds(at, entry);
      return;
    }
    if (previous) this.sorted.splice(this.indexOf(previous), 1);
    this.sorted.splice(this.lowerBound(entry.view.identifier, true), 0, entry);
    this.thresholdsStale = true;
  }

  private putThresholds(at: number, entry: FleetEntry): void {
    // A threshold that is not a number never passes (as a comparison with NaN); NaN marks PENDING here.
    const pending = entry.view.lastSeenAt == null;
    this.lateAts[at] = pending ? NaN : Number.isNaN(entry.lateAt) ? Infinity : entry.lateAt;
    this.offlineAts[at] = pending ? NaN : Number.isNaN(entry.offlineAt) ? Infinity : entry.offlineAt;
  }

  /** The entry with this identifier (binary search). */
  findByIdentifier(identifier: string): FleetEntry | undefined {
    const entry = this.sorted[this.lowerBound(identifier, true)];
    return entry?.view.identifier === identifier ? entry : undefined;
  }

  delete(id: string): boolean {
    const previous = this.byId.get(id);
    if (!previous) return false;
    this.byId.delete(id);
    this.sorted.splice(this.indexOf(previous), 1);
    this.thresholdsStale = true;
    return true;
  }

  private indexOf(entry: FleetEntry): number {
    const at = this.lowerBound(entry.view.identifier, true);
    if (this.sorted[at] === entry) return at;
    // Identifiers are unique; a stale object for the same identifier sits at the same place.
    if (this.sorted[at]?.view.id === entry.view.id) return at;
    const found = this.sorted.indexOf(entry);
    if (found < 0) throw new Error(`fleet index out of order at ${entry.view.identifier}`);
    return found;
  }

  /** Whole-fleet totals as of `now` (one scan of plain numbers; callers on one tick share it). */
  totals(now: number, seq: number): OverviewTotals {
    const cached = this.totalsCache;
    if (cached && cached.seq === seq && cached.at === now) return cached.totals;
    const n = this.sorted.length;
    if (this.thresholdsStale) {
      if (this.lateAts.length !== n) {
        this.lateAts = new Float64Array(n);
        this.offlineAts = new Float64Array(n);
      }
      for (let i = 0; i < n; i++) this.putThresholds(i, this.sorted[i]!);
      this.thresholdsStale = false;
    }
    const { lateAts, offlineAts } = this;
    let pending = 0;
    let offline = 0;
    let late = 0;
    for (let i = 0; i < n; i++) {
      const lateAt = lateAts[i]!;
      if (lateAt !== lateAt) pending++; // NaN
      else if (now >= offlineAts[i]!) offline++;
      else if (now >= lateAt) late++;
    }
    const totals = { servers: n, online: n - pending - offline - late, late, offline, pending };
    this.totalsCache = { at: now, seq, totals };
    return totals;
  }

  /** Rows matching `filter` (all pages). A status-only filter is answered from the totals. */
  count(filter: OverviewFilter, now: number, seq: number): number {
    const onlyStatus = !filter.search?.trim() && !filter.ids && !filter.identifiers && !filter.tags?.length;
    if (isEmptyFilter(filter)) return this.sorted.length;
    if (onlyStatus) {
      const totals = this.totals(now, seq);
      return [...new Set(filter.status)].reduce((sum, status) => sum + totals[status.toLowerCase() as keyof OverviewTotals], 0);
    }
    const match = matcher(filter)!;
    let n = 0;
    for (const entry of this.sorted) if (match(entry, now)) n++;
    return n;
  }

  /**
   * One page: binary search to the cursor, then a walk that stops after `first` matches (one
   * more to know whether there is a next page). Without `first`, the whole (filtered) fleet.
   */
  page(args: PageArgs, filter: OverviewFilter, now: number, seq: number): Page {
    if (args.order === 'PROBLEMS_FIRST') return this.pageProblemsFirst(args, filter, now, seq);
    const descending = args.order === 'IDENTIFIER_DESC';
    const match = matcher(filter);
    const limit = args.first ?? Infinity;
    let skip = Math.max(0, args.offset ?? 0);
    const n = this.sorted.length;
    let i: number;
    if (args.after != null) i = descending ? this.lowerBound(args.after, true) - 1 : this.lowerBound(args.after, false);
    else i = descending ? n - 1 : 0;
    // Without a filter an offset is a jump, not a walk.
    if (!match && skip) {
      i = descending ? i - skip : i + skip;
      skip = 0;
    }
    const step = descending ? -1 : 1;
    const servers: ServerView[] = [];
    let hasNextPage = false;
    for (; i >= 0 && i < n; i += step) {
      const entry = this.sorted[i]!;
      if (match && !match(entry, now)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      if (servers.length >= limit) {
        hasNextPage = true;
        break;
      }
      servers.push(viewAt(entry, now));
    }
    return { servers, hasNextPage, endCursor: servers.length ? servers[servers.length - 1]!.identifier : null };
  }

  /**
   * PROBLEMS_FIRST without sorting the fleet: the identifier-sorted array is walked once per
   * status in priority order, picking that status's rows. The totals (one scan, shared with the
   * query) bound each walk: a status with no rows is not walked, a walk from the start ends at its
   * status's last row, and without a search an offset jumps over whole statuses by their counts.
   */
  private pageProblemsFirst(args: PageArgs, filter: OverviewFilter, now: number, seq: number): Page {
    const totals = this.totals(now, seq);
    const wanted = filter.status?.length ? new Set(filter.status) : null;
    const rest = matcher({ ...filter, status: null });
    const cursor = args.after != null ? parseStatusCursor(args.after) : null;
    const limit = args.first ?? Infinity;
    let skip = Math.max(0, args.offset ?? 0);
    const servers: ServerView[] = [];
    let lastStatus: ServerStatus | null = null;
    const done = (hasNextPage: boolean): Page => ({
      servers,
      hasNextPage,
      endCursor: lastStatus ? `${lastStatus}:${servers[servers.length - 1]!.identifier}` : null,
    });
    const n = this.sorted.length;
    for (let rank = cursor?.rank ?? 0; rank < PROBLEMS_FIRST.length; rank++) {
      const status = PROBLEMS_FIRST[rank]!;
      const count = totals[TOTAL_OF[status]];
      if ((wanted && !wanted.has(status)) || count === 0) continue;
      const resuming = cursor?.rank === rank;
      if (!resuming && !rest) {
        // Every row of this status matches: its count says all that the walk would.
        if (skip >= count) {
          skip -= count;
          continue;
        }
        if (servers.length >= limit) return done(true);
      }
      let seen = 0;
      for (let i = resuming ? this.lowerBound(cursor.identifier, false) : 0; i < n && (resuming || seen < count); i++) {
        const entry = this.sorted[i]!;
        if (statusOf(entry, now) !== status) continue;
        seen++;
        if (rest && !rest(entry, now)) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        if (servers.length >= limit) return done(true);
        servers.push(viewAt(entry, now));
        lastStatus = status;
      }
    }
    return done(false);
  }

  clear(): void {
    this.byId.clear();
    this.sorted.length = 0;
    this.totalsCache = null;
    this.thresholdsStale = true;
  }

  entries(): IterableIterator<FleetEntry> {
    return this.byId.values();
  }
}
