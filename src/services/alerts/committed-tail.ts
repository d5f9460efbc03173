// Reads the rows committed to an append-only table (status_changes, version_changes) after a
// cursor, so that the alert engine learns of a transition even when the event announcing it never
// came: the instance that committed it died between its commit and its publish (kill -9), or
// Redis dropped the message. On PostgreSQL ids come from a sequence and become visible out of
// order (a transaction that took id 10 may commit after one that took id 11): ids skipped over
// are remembered as gaps and asked for again until they appear or GAP_TTL_MS passes (a rolled
// back transaction leaves a gap for good).
const GAP_TTL_MS = 30_000;
const MAX_GAPS = 10_000;
const MAX_ROWS = 5_000;

export interface TailRow {
  id: number;
  serverId: string;
}

export class CommittedTail<Row extends TailRow> {
  private cursor = 0;
  /** id -> when it was first skipped over. */
  private readonly gaps = new Map<number, number>();

  constructor(
    /** Rows with id > after or id in `ids`, ascending, at most `limit`. */
    private readonly read: (after: number, ids: number[], limit: number) => Promise<Row[]>,
    private readonly highest: () => Promise<number>,
  ) {}

  /** Starts after the newest row now: what came before is the caller's starting state. */
  async start(): Promise<void> {
    this.cursor = await this.highest();
  }

  /** The rows committed since the last call (and late arrivals below the cursor). */
  async poll(nowMs: number): Promise<Row[]> {
    for (const [id, since] of this.gaps) if (nowMs - since > GAP_TTL_MS) this.gaps.delete(id);
    const rows = await this.read(this.cursor, [...this.gaps.keys()], MAX_ROWS);
    for (const row of rows) {
      if (this.gaps.delete(row.id)) continue;
      if (row.id <= this.cursor) continue;
      for (let id = this.cursor + 1; id < row.id && this.gaps.size < MAX_GAPS; id++) this.gaps.set(id, nowMs);
      this.cursor = row.id;
    }
    return rows;
  }
}
