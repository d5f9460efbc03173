// The in-memory fleet as the overview serves it: servers by id, plus an array sorted by
// identifier, so that a page is a binary search and a walk of `first` rows, not a sort of the
// whole fleet. Statuses are derived from the clock at read time from precomputed thresholds.
import type { ServerStatus } from './status.ts';
import type { Agent, ServerView } from './views.ts';

/**
 * One server as the fleet index holds it: the fields of its view, with times as plain numbers (ms
 * since epoch) instead of Date objects and agent lists and version strings shared between servers
 * that report the same ones. At 100,000 servers every byte here is 100 KB: the views with their
 * four Dates each, held as such, were ~1 KB per server (`npm run bench -- heap`). `toView` makes
 * the API's view of one row when a page or a change needs it.
 */
export class FleetEntry {
  readonly id: string;
  readonly identifier: string;
  readonly name: string;
  readonly createdAt: number;
  readonly intervalSeconds: number;
  readonly graceSeconds: number;
  /** The status last announced (the sweeper's); the clock's reading is statusOf(). */
  readonly status: ServerStatus;
  /** ms since epoch; null until the first heartbeat (PENDING). */
  readonly lastSeenAt: number | null;
  /** When silence makes it LATE / OFFLINE, ms since epoch; Infinity while PENDING. */
  readonly lateAt: number;
  readonly offlineAt: number;
  readonly heartbeatCount: number;
  readonly openclawVersion: string | null;
  readonly pluginVersion: string | null;
  readonly agents: readonly Agent[];
  readonly cpuPct: number | null;
  readonly memPct: number | null;
  readonly diskPct: number | null;
  readonly swapPct: number | null;
  readonly loadAvg: readonly number[] | null;
  readonly uptimeSeconds: number | null;
  /** Lower-cased "identifier\nname", for search. */
  readonly text: string;
  /** Version (change-log sequence) of this entry's last visible change. */
  seq: number;
  /** Version at which its status (by the clock), its search text or its tags last changed: it may have left a filtered view. */
  statusSeq: number;
  textSeq: number;
  tagsSeq: number;
  /** The server's tags when this entry was made (from the instance's ServerTagIndex). */
  readonly tags: readonly string[];

  /**
   * `previous`: the server's entry this one replaces. Its strings are kept where they are equal:
   * each event brings its own copies (read from the database, or across a thread or Redis), and
   * the index's map and the change log would otherwise hold the old ones beside the new.
   */
  constructor(view: ServerView, seq: number, tags: readonly string[], previous?: FleetEntry) {
    this.id = previous?.id === view.id ? previous.id : view.id;
    const sameText = previous?.identifier === view.identifier && previous.name === view.name;
    this.identifier = sameText ? previous!.identifier : view.identifier;
    this.name = sameText ? previous!.name : view.name;
    this.createdAt = msOf(view.createdAt)!;
    this.intervalSeconds = view.intervalSeconds;
    this.graceSeconds = view.graceSeconds;
    this.status = view.status;
    const seen = msOf(view.lastSeenAt);
    this.lastSeenAt = seen;
    // The stored thresholds when known: after a backend outage they count from its end, not from lastSeenAt.
    this.lateAt = seen == null ? Infinity : (msOf(view.lateAt) ?? seen + 1.5 * view.intervalSeconds * 1000);
    this.offlineAt = seen == null ? Infinity : (msOf(view.offlineAt) ?? seen + (view.intervalSeconds + view.graceSeconds) * 1000);
    this.heartbeatCount = view.heartbeatCount;
    this.openclawVersion = shared(view.openclawVersion);
    this.pluginVersion = shared(view.pluginVersion);
    this.agents = sharedAgents(view.agents);
    this.cpuPct = view.cpuPct;
    this.memPct = view.memPct;
    this.diskPct = view.diskPct;
    this.swapPct = view.swapPct;
    this.loadAvg = view.loadAvg;
    this.uptimeSeconds = view.uptimeSeconds;
    this.text = sameText ? previous!.text : `${view.identifier}\n${view.name}`.toLowerCase();
    this.seq = seq;
    this.statusSeq = seq;
    this.textSeq = seq;
    this.tagsSeq = seq;
    this.tags = tags;
  }

  /** The view the API shows (public: no key; tags are added where an answer shows them). */
  toView(status: ServerStatus = this.status): ServerView {
    return {
      id: this.id,
      identifier: this.identifier,
      name: this.name,
      createdAt: new Date(this.createdAt),
      intervalSeconds: this.intervalSeconds,
      graceSeconds: this.graceSeconds,
      status,
      lastSeenAt: this.lastSeenAt == null ? null : new Date(this.lastSeenAt),
      lateAt: Number.isFinite(this.lateAt) ? new Date(this.lateAt) : null,
      offlineAt: Number.isFinite(this.offlineAt) ? new Date(this.offlineAt) : null,
      heartbeatCount: this.heartbeatCount,
      openclawVersion: this.openclawVersion,
      pluginVersion: this.pluginVersion,
      agents: this.agents as Agent[],
      cpuPct: this.cpuPct,
      memPct: this.memPct,
      diskPct: this.diskPct,
      swapPct: this.swapPct,
      loadAvg: this.loadAvg as number[] | null,
      uptimeSeconds: this.uptimeSeconds,
      apiKey: null,
    };
  }
}

/** A time from a view: a Date in this process, an ISO string when the view crossed Redis. */
function msOf(value: Date | string | null | undefined): number | null {
  if (value == null) return null;
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}

/**
 * Strings and agent lists that many servers report alike (versions, the same agents) are kept once.
 * Bounded: past the limit a new value is simply kept per server, so a fleet of unique values
 * cannot grow the pool without end.
 */
const POOL_LIMIT = 10_000;
const strings = new Map<string, string>();
const agentLists = new Map<string, readonly Agent[]>();
const NO_AGENTS: readonly Agent[] = Object.freeze([]);

function shared(value: string | null): string | null {
  if (value == null) return null;
  const known = strings.get(value);
  if (known !== undefined) return known;
  if (strings.size < POOL_LIMIT) strings.set(value, value);
  return value;
}

function sharedAgents(agents: readonly Agent[] | null | undefined): readonly Agent[] {
  if (!agents?.length) return NO_AGENTS;
  const key = agents.map((agent) => `${agent.id}\u0000${agent.name}`).join('\u0001');
  const known = agentLists.get(key);
  if (known) return known;
  const frozen = Object.freeze(agents.map((agent) => Object.freeze({ id: agent.id, name: agent.name })));
  if (agentLists.size < POOL_LIMIT) agentLists.set(key, frozen);
  return frozen;
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

/** A page's entries; their views (statuses as of `now`) are made when asked for, so that a writer of the rows' JSON (overview-json.ts) need not. */
export class Page {
  private views: ServerView[] | null = null;

  constructor(
    readonly entries: readonly FleetEntry[],
    readonly now: number,
    readonly hasNextPage: boolean,
    readonly endCursor: string | null,
  ) {}

  get servers(): ServerView[] {
    return (this.views ??= this.entries.map((entry) => viewAt(entry, this.now)));
  }
}

export function statusOf(entry: FleetEntry, now: number): ServerStatus {
  if (entry.lastSeenAt == null) return 'PENDING';
  if (now >= entry.offlineAt) return 'OFFLINE';
  if (now >= entry.lateAt) return 'LATE';
  return 'ONLINE';
}

/** The view with its status as of `now` (the announced status may lag the clock by a sweep). */
export function viewAt(entry: FleetEntry, now: number): ServerView {
  return entry.toView(statusOf(entry, now));
}

const NO_TAGS: readonly string[] = Object.freeze([]);

export function entryOf(view: ServerView, seq: number, tags: readonly string[] = NO_TAGS, previous?: FleetEntry): FleetEntry {
  return new FleetEntry(view, seq, tags, previous);
}

export function isEmptyFilter(filter: OverviewFilter): boolean {
  return !filter.status?.length && !filter.search?.trim() && !filter.ids && !filter.identifiers && !filter.tags?.length;
}

/** A predicate for `filter` (null: everything matches). */
export function matcher(filter: OverviewFilter): ((entry: FleetEntry, now: number) => boolean) | null {
  const tests: ((entry: FleetEntry, now: number) => boolean)[] = [];
  if (filter.ids) tests.push((e) => filter.ids!.has(e.id));
  if (filter.identifiers) tests.push((e) => filter.identifiers!.has(e.identifier));
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
      const c = compare(this.sorted[mid]!.identifier, identifier);
      if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(entry: FleetEntry): void {
    const previous = this.byId.get(entry.id);
    this.byId.set(entry.id, entry);
    if (previous && previous.identifier === entry.identifier) {
      const at = this.indexOf(previous);
      this.sorted[at] = entry;
      if (!this.thresholdsStale) this.putThresholds(at, entry);
      return;
    }
    if (previous) this.sorted.splice(this.indexOf(previous), 1);
    this.sorted.splice(this.lowerBound(entry.identifier, true), 0, entry);
    this.thresholdsStale = true;
  }

  private putThresholds(at: number, entry: FleetEntry): void {
    // A threshold that is not a number never passes (as a comparison with NaN); NaN marks PENDING here.
    const pending = entry.lastSeenAt == null;
    this.lateAts[at] = pending ? NaN : Number.isNaN(entry.lateAt) ? Infinity : entry.lateAt;
    this.offlineAts[at] = pending ? NaN : Number.isNaN(entry.offlineAt) ? Infinity : entry.offlineAt;
  }

  /** The entry with this identifier (binary search). */
  findByIdentifier(identifier: string): FleetEntry | undefined {
    const entry = this.sorted[this.lowerBound(identifier, true)];
    return entry?.identifier === identifier ? entry : undefined;
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
    const at = this.lowerBound(entry.identifier, true);
    if (this.sorted[at] === entry) return at;
    // Identifiers are unique; a stale object for the same identifier sits at the same place.
    if (this.sorted[at]?.id === entry.id) return at;
    const found = this.sorted.indexOf(entry);
    if (found < 0) throw new Error(`fleet index out of order at ${entry.identifier}`);
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
    const servers: FleetEntry[] = [];
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
      servers.push(entry);
    }
    return new Page(servers, now, hasNextPage, servers.length ? servers[servers.length - 1]!.identifier : null);
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
    const servers: FleetEntry[] = [];
    let lastStatus: ServerStatus | null = null;
    const done = (hasNextPage: boolean): Page => new Page(servers, now, hasNextPage, lastStatus ? `${lastStatus}:${servers[servers.length - 1]!.identifier}` : null);
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
        servers.push(entry);
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
