// A bounded log of which servers changed, by version: a ring buffer of ids indexed by a sequence
// number. Subscribers hold only the version they last saw; "what changed since v" is a walk of
// the ring from v, so a slow or stalled subscriber costs nothing until it reads, and one that
// fell further behind than the ring holds gets a reset instead of a buffer that grows.
//
// Versions are "<epoch>.<seq>": the epoch is random per process, so a version from another
// instance (or from before a restart) is recognised as unknown and answered with a reset.
import { randomBytes } from 'node:crypto';

export class ChangeLog {
  readonly epoch = randomBytes(6).toString('base64url');
  private current = 0;
  private readonly ring: (string | undefined)[];

  constructor(readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  get seq(): number {
    return this.current;
  }

  /** Records that `id` changed (or was removed); returns the new sequence number. */
  record(id: string): number {
    this.current++;
    this.ring[this.current % this.capacity] = id;
    return this.current;
  }

  version(seq = this.current): string {
    return `${this.epoch}.${seq}`;
  }

  /** The sequence number of a version from this process, or null (another instance, garbage, future). */
  parse(version: string | null | undefined): number | null {
    if (!version) return null;
    const dot = version.lastIndexOf('.');
    if (dot < 0 || version.slice(0, dot) !== this.epoch) return null;
    const seq = Number(version.slice(dot + 1));
    return Number.isSafeInteger(seq) && seq >= 0 && seq <= this.current ? seq : null;
  }

  /** Whether the changes after `since` are all still in the ring. */
  covers(since: number): boolean {
    return this.current - since <= this.capacity;
  }

  /** Calls `visit(id, seq)` for every change after `since`, oldest first (ids may repeat). */
  forEachSince(since: number, visit: (id: string, seq: number) => void): void {
    for (let seq = since + 1; seq <= this.current; seq++) visit(this.ring[seq % this.capacity]!, seq);
  }
}
