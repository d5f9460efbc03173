// Uptime from status transitions, to the millisecond: ONLINE and LATE count as up, OFFLINE as
// down; PENDING and the time before a server's first row (its registration) are not counted, and
// neither is time when the backend itself could not accept heartbeats (backend_downtime).
// Pure functions: the callers load the rows (src/db/uptime-store.ts).

export interface StatusPoint {
  toStatus: string;
  /** Unix ms. */
  at: number;
}

/** [start, end) in Unix ms. */
export interface Span {
  start: number;
  end: number;
}

export interface Tally {
  upMs: number;
  downMs: number;
  /** Up or down time that fell in backend downtime and so was counted as neither. */
  excludedMs: number;
}

const UP = new Set(['ONLINE', 'LATE']);

export const emptyTally = (): Tally => ({ upMs: 0, downMs: 0, excludedMs: 0 });

export function addTally(into: Tally, more: Tally): Tally {
  into.upMs += more.upMs;
  into.downMs += more.downMs;
  into.excludedMs += more.excludedMs;
  return into;
}

export function ratioOf(tally: Pick<Tally, 'upMs' | 'downMs'>): number | null {
  const counted = tally.upMs + tally.downMs;
  return counted > 0 ? tally.upMs / counted : null;
}

/** Sorted, non-overlapping spans (backend downtime may come as overlapping rows). */
export function mergeSpans(spans: Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

function covered(start: number, end: number, merged: Span[]): number {
  let total = 0;
  for (const span of merged) {
    if (span.start >= end) break;
    const overlap = Math.min(end, span.end) - Math.max(start, span.start);
    if (overlap > 0) total += overlap;
  }
  return total;
}

/**
 * Tallies consecutive buckets [edges[0], edges[1]), [edges[1], edges[2]), … of one server.
 * `initial` is its status just before edges[0] (null: not registered yet); `changes` are its
 * transitions with edges[0] <= at < edges[last], in order. Returns the status at the end too.
 */
export function tallyBuckets(initial: string | null, changes: StatusPoint[], edges: number[], downtime: Span[] = []): { buckets: Tally[]; endStatus: string | null } {
  const merged = mergeSpans(downtime);
  const buckets = edges.slice(1).map(emptyTally);
  let bucket = 0;
  const count = (status: string | null, start: number, end: number) => {
    if (status == null || end <= start) return;
    const up = UP.has(status);
    if (!up && status !== 'OFFLINE') return;
    while (bucket < buckets.length && edges[bucket + 1]! <= start) bucket++;
    for (let i = bucket; i < buckets.length && edges[i]! < end; i++) {
      const a = Math.max(start, edges[i]!);
      const b = Math.min(end, edges[i + 1]!);
      if (b <= a) continue;
      const excluded = covered(a, b, merged);
      const target = buckets[i]!;
      if (up) target.upMs += b - a - excluded;
      else target.downMs += b - a - excluded;
      target.excludedMs += excluded;
    }
  };
  let status = initial;
  let cursor = edges[0]!;
  const end = edges.at(-1)!;
  for (const change of changes) {
    const at = Math.min(Math.max(change.at, cursor), end);
    count(status, cursor, at);
    status = change.toStatus;
    cursor = at;
  }
  count(status, cursor, end);
  return { buckets, endStatus: status };
}

export const DAY_MS = 86_400_000;
export const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
