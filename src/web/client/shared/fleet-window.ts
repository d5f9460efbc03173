// The rows a virtualized table holds of a fleet too large to load: one block of the server-side
// ordered, filtered list (a few hundred rows around the scroll position), the whole fleet's
// totals, and how many servers match the filter (the table's height). Kept current by applying
// `fleetChanges` events for the block's ids. Pure functions, unit-tested without a browser.
//
// Rows change in place (heartbeats, status changes within the filter). When membership may have
// changed somewhere (a server added, deleted, or entering/leaving the filter — visible as a change
// in the totals that count for the filter), rows before the block may have shifted, so the block
// is marked stale and the page refetches it: one small query, not the fleet.
import { matchesSearch, type ServerStatus } from './format.ts';

export interface Totals {
  servers: number;
  online: number;
  late: number;
  offline: number;
  pending: number;
}

export interface WindowRow {
  id: string;
  identifier: string;
  name: string;
  status: ServerStatus;
}

/** The server-side orders (GraphQL OverviewOrder). */
export type WindowOrder = 'IDENTIFIER_ASC' | 'IDENTIFIER_DESC' | 'PROBLEMS_FIRST';

export interface WindowQuery {
  status: ServerStatus | null;
  search: string;
  order: WindowOrder;
}

/** One `overview(first, offset, …)` answer. */
export interface WindowPage<T> {
  offset: number;
  servers: T[];
  matching: number;
  totals: Totals;
  version: string;
}

/** One `fleetChanges` event. */
export interface WindowChanges<T> {
  version: string;
  reset: boolean;
  totals: Totals;
  changed: T[];
  removed: string[];
}

export interface FleetWindow<T> {
  totals: Totals | null;
  /** Servers matching the query in the whole fleet: the table's row count. */
  matching: number;
  /** Position of rows[0] in the ordered, filtered list. */
  offset: number;
  rows: T[];
  /** The newest version applied (from the page or an event). */
  version: string | null;
  /** Positions may have shifted: refetch the block. */
  stale: boolean;
}

export const emptyWindow = <T>(): FleetWindow<T> => ({ totals: null, matching: 0, offset: 0, rows: [], version: null, stale: false });

const STATUS_TOTAL: Record<ServerStatus, keyof Totals> = { ONLINE: 'online', LATE: 'late', OFFLINE: 'offline', PENDING: 'pending' };

/** The count of matching servers when the totals alone tell it (no search), else null. */
export function matchingFromTotals(totals: Totals, query: WindowQuery): number | null {
  if (query.search.trim()) return null;
  return query.status ? totals[STATUS_TOTAL[query.status]] : totals.servers;
}

/**
 * What must stay equal for the block's positions to hold: the number of servers that could be in
 * the list. A change means something was added, deleted or moved in or out of the filter.
 */
function membership(totals: Totals | null, query: WindowQuery): number | string {
  if (!totals) return -1;
  // Problems first: a status change anywhere moves a row between the status sections.
  if (query.order === 'PROBLEMS_FIRST') return `${totals.servers} ${totals.offline} ${totals.late} ${totals.pending}`;
  return query.status ? totals[STATUS_TOTAL[query.status]] * 1_000_003 + totals.servers : totals.servers;
}

export function rowMatches(row: WindowRow, query: WindowQuery): boolean {
  return (!query.status || row.status === query.status) && matchesSearch(row, query.search);
}

/**
 * Versions are "<epoch>.<seq>" (epoch per server instance). Only within one epoch can two be
 * ordered; a version from another epoch (another instance, a restart) is never called older.
 */
export function isOlderVersion(candidate: string, than: string | null): boolean {
  if (!than) return false;
  const a = candidate.lastIndexOf('.');
  const b = than.lastIndexOf('.');
  if (a < 0 || b < 0 || candidate.slice(0, a) !== than.slice(0, b)) return false;
  return Number(candidate.slice(a + 1)) < Number(than.slice(b + 1));
}

/** A fetched block replaces the one held (the latest fetch wins; the caller drops stale answers). */
export function acceptPage<T extends WindowRow>(_current: FleetWindow<T>, page: WindowPage<T>): FleetWindow<T> {
  return { totals: page.totals, matching: page.matching, offset: page.offset, rows: page.servers, version: page.version, stale: false };
}

/** Applies one fleetChanges event for the block's ids. */
export function applyChanges<T extends WindowRow>(current: FleetWindow<T>, event: WindowChanges<T>, query: WindowQuery): FleetWindow<T> {
  if (isOlderVersion(event.version, current.version)) return current;
  const counted = matchingFromTotals(event.totals, query);
  const next: FleetWindow<T> = {
    ...current,
    totals: event.totals,
    version: event.version,
    matching: counted ?? current.matching,
    stale: current.stale || event.reset || membership(current.totals, query) !== membership(event.totals, query),
  };
  if (event.reset) return next; // the block is refetched; its rows stay on screen meanwhile
  if (event.changed.length === 0 && event.removed.length === 0) return next;

  const gone = new Set(event.removed);
  const updates = new Map(event.changed.map((row) => [row.id, row]));
  let rows: T[] = [];
  for (const row of current.rows) {
    const update = updates.get(row.id);
    if (gone.has(row.id) || (update && !rowMatches(update, query))) continue; // left the list
    // Problems first: a row whose status changed belongs elsewhere (even if the totals came out even).
    if (update && query.order === 'PROBLEMS_FIRST' && update.status !== row.status) next.stale = true;
    // Merged, not replaced: a page may hold more fields per row than fleetChanges carries (the admin list).
    rows.push(update ? { ...row, ...update } : row);
  }
  if (rows.length !== current.rows.length) {
    next.stale = true; // the rows after it moved up; refetch to fill the block's end
    if (counted === null) next.matching = Math.max(0, current.matching - (current.rows.length - rows.length));
  } else if (updates.size === 0) {
    rows = current.rows;
  }
  next.rows = rows;
  return next;
}

/** A row changed by this page itself (a mutation's answer): replaced where the block holds it. */
export function patchRow<T extends WindowRow>(current: FleetWindow<T>, row: T): FleetWindow<T> {
  if (!current.rows.some((held) => held.id === row.id)) return current;
  return { ...current, rows: current.rows.map((held) => (held.id === row.id ? row : held)) };
}

/** The row at a position of the whole list, if the block holds it. */
export function rowAt<T>(window: FleetWindow<T>, index: number): T | undefined {
  return window.rows[index - window.offset];
}

/** Whether the block holds every row of [first, last) that exists. */
export function covers<T>(window: FleetWindow<T>, first: number, last: number): boolean {
  const end = Math.min(last, window.matching);
  return first >= window.offset && end <= window.offset + window.rows.length;
}

/**
 * The block to fetch for the visible rows [first, last): the visible rows plus `margin` on each
 * side, so that scrolling a little needs no request.
 */
export function blockFor(first: number, last: number, margin: number): { offset: number; size: number } {
  const offset = Math.max(0, first - margin);
  return { offset, size: last + margin - offset };
}
