// FleetIndex.totals counts from flat threshold arrays kept in step with the entries: after any mix
// of heartbeats (same identifier), renames, additions and deletions, at any clock, it must equal a
// count over the entries themselves.
import { describe, expect, it } from 'vitest';
import { entryOf, FleetIndex, statusOf, type FleetEntry } from '../../src/services/fleet-index.ts';
import type { ServerView } from '../../src/services/views.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function view(id: number, identifier: string, lastSeenAt: number | null): ServerView {
  return {
    id: `id-${id}`,
    identifier,
    name: `Server ${id}`,
    createdAt: new Date(T0),
    intervalSeconds: 30,
    graceSeconds: 60,
    status: 'ONLINE',
    lastSeenAt: lastSeenAt == null ? null : new Date(lastSeenAt),
    heartbeatCount: lastSeenAt == null ? 0 : 1,
    openclawVersion: null,
    pluginVersion: null,
    agents: [],
    cpuPct: null,
    memPct: null,
    diskPct: null,
    swapPct: null,
    loadAvg: null,
    uptimeSeconds: null,
    apiKey: null,
  };
}

function counted(entries: Iterable<FleetEntry>, now: number) {
  const totals = { servers: 0, online: 0, late: 0, offline: 0, pending: 0 };
  for (const entry of entries) {
    totals.servers++;
    totals[statusOf(entry, now).toLowerCase() as 'online' | 'late' | 'offline' | 'pending']++;
  }
  return totals;
}

describe('FleetIndex.totals', () => {
  it('equals a count over the entries after heartbeats, renames, additions and deletions, at any clock', () => {
    const index = new FleetIndex();
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const live = new Set<number>();
    let seq = 0;
    let next = 0;
    const seen = () => (random() < 0.1 ? null : T0 - Math.floor(random() * 200_000));
    for (let i = 0; i < 500; i++) {
      index.set(entryOf(view(next, `srv-${String(next).padStart(4, '0')}`, seen()), ++seq));
      live.add(next++);
    }
    const kinds = { heartbeat: 0, rename: 0, add: 0, delete: 0 };
    for (let round = 0; round < 300; round++) {
      const roll = random();
      const ids = [...live];
      const id = ids[Math.floor(random() * ids.length)]!;
      const current = index.byId.get(`id-${id}`)!;
      if (roll < 0.7) {
        kinds.heartbeat++;
        index.set(entryOf(view(id, current.identifier, seen()), ++seq));
      } else if (roll < 0.8) {
        kinds.rename++;
        index.set(entryOf(view(id, `zz-renamed-${round}`, seen()), ++seq));
      } else if (roll < 0.9) {
        kinds.add++;
        index.set(entryOf(view(next, `srv-new-${round}`, seen()), ++seq));
        live.add(next++);
      } else {
        kinds.delete++;
        index.delete(`id-${id}`);
        live.delete(id);
      }
      // Asked at several clocks per round, as queries and ticks do (same seq, different now).
      for (const now of [T0 - 100_000, T0, T0 + 20_000 + round, T0 + 400_000]) {
        expect(index.totals(now, seq), `round ${round} at ${now - T0} ms`).toEqual(counted(index.entries(), now));
      }
    }
    expect(Object.values(kinds).every((n) => n > 0)).toBe(true);
    // Every status occurs at T0, so a wrong threshold array cannot pass by counting everything one way.
    const atT0 = index.totals(T0, seq);
    expect(atT0.online > 0 && atT0.late > 0 && atT0.offline > 0 && atT0.pending > 0).toBe(true);
    index.clear();
    expect(index.totals(T0, ++seq)).toEqual({ servers: 0, online: 0, late: 0, offline: 0, pending: 0 });
  });
});
