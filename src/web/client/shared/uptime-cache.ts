// 30-day uptime figures for the rows a fleet table holds (status page, admin list). A figure moves
// slowly (a minute of downtime is 0.002 % of 30 days), so each is fetched once and refreshed after
// a few minutes, never per heartbeat; only the ids of the loaded block are asked for, in batches
// the `uptimes` query accepts. The cache is bounded, whatever the user scrolls through.
// Pure logic (unit-tested without a browser); src/web/client/shared/useUptimes.ts drives it.

/** `uptimes` takes at most this many ids per request (src/services/uptime.ts). */
export const UPTIME_BATCH = 200;
export const UPTIME_RANGE_MS = 30 * 86_400_000;

interface Held {
  /** null: no counted time (PENDING, or not a known server). */
  ratio: number | null;
  fetchedAt: number;
}

export class UptimeCache {
  private readonly held = new Map<string, Held>();

  constructor(
    readonly ttlMs = 5 * 60_000,
    readonly maxEntries = 2_000,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** The figure, null when there is none to show, undefined while not fetched. */
  ratioOf(id: string): number | null | undefined {
    return this.held.get(id)?.ratio;
  }

  /** Ids among `ids` never fetched or fetched more than ttl ago, in batches of UPTIME_BATCH. */
  due(ids: readonly string[], now: number): string[][] {
    const due = [...new Set(ids)].filter((id) => {
      const held = this.held.get(id);
      return !held || now - held.fetchedAt >= this.ttlMs;
    });
    const batches: string[][] = [];
    for (let i = 0; i < due.length; i += UPTIME_BATCH) batches.push(due.slice(i, i + UPTIME_BATCH));
    return batches;
  }

  /**
   * Stores one answer. Ids asked for but absent from it (deleted meanwhile) hold null, so they are
   * not asked again before the ttl. The oldest entries beyond maxEntries are dropped.
   */
  store(asked: readonly string[], answer: readonly { serverId: string; ratio: number | null }[], now: number): void {
    const ratios = new Map(answer.map((row) => [row.serverId, row.ratio]));
    for (const id of asked) {
      this.held.delete(id); // re-inserted last: the Map's order is the fetch order
      this.held.set(id, { ratio: ratios.get(id) ?? null, fetchedAt: now });
    }
    for (const id of this.held.keys()) {
      if (this.held.size <= this.maxEntries) break;
      this.held.delete(id);
    }
  }
}

/** "99.95 %"; two decimals, since the interesting figures are all above 99 %. */
export function formatUptimeRatio(ratio: number | null | undefined): string {
  if (ratio == null) return '—';
  const pct = ratio * 100;
  return `${pct >= 99.995 ? '100' : pct.toFixed(2)} %`;
}

/** A class for the figure's colour: fine, worth a look, bad (the server page's uptime bar uses the same steps). */
export function uptimeClass(ratio: number | null | undefined): string {
  if (ratio == null) return 'muted';
  return ratio >= 0.999 ? 'uptime-good' : ratio >= 0.95 ? 'uptime-fair' : 'uptime-poor';
}
