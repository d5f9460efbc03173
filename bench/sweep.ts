// `npm run bench -- sweep`: what a mass silence transition costs (every server of the fleet due at
// once, as after an outage without interface A's rebase): the sweep's UPDATE, loading the moved
// servers one query each (before) or set-based (now), and the recovery's rebase UPDATE.
// SQLite in a temporary directory; BENCH_SWEEP_SERVERS sets the fleet size (default 10,000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/index.ts';
import { openSqlite } from '../src/db/sqlite-store.ts';
import type { Services } from '../src/services/context.ts';
import { getServer, getServers } from '../src/services/servers.ts';

const count = Number(process.env.BENCH_SWEEP_SERVERS ?? 10_000);

async function timed<T>(what: string, run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  const ms = performance.now() - started;
  console.log(`${what}: ${ms.toFixed(0)} ms`);
  return { ms, value };
}

export async function benchSweep(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hf-bench-sweep-'));
  const file = join(dir, 'sweep.db');
  const db = await openDatabase(`file:${file}`);
  try {
    const raw = openSqlite(file);
    const seen = Date.now() - 3_600_000;
    const server = raw.prepare(`INSERT INTO monitored_servers (id, identifier, name, intervalSeconds, graceSeconds, createdAt, updatedAt) VALUES (?, ?, ?, 30, 60, ?, ?)`);
    const state = raw.prepare(`INSERT INTO server_states (serverId, status, lastSeenAt, lateAt, offlineAt, heartbeatCount) VALUES (?, 'ONLINE', ?, ?, ?, 1)`);
    const key = raw.prepare(`INSERT INTO api_keys (id, serverId, hash, prefix, createdAt) VALUES (?, ?, ?, 'hf_bench', ?)`);
    raw.transaction(() => {
      for (let i = 0; i < count; i++) {
        const id = `s${String(i).padStart(7, '0')}`;
        server.run(id, `bench-${i}`, `Bench ${i}`, seen, seen);
        state.run(id, seen, seen + 45_000, seen + 90_000);
        key.run(`k${i}`, id, `hash-${i}`, seen);
      }
    })();
    raw.close();
    const services = { db, now: () => new Date(), tags: { get: () => [] } } as unknown as Services;
    console.log(`fleet: ${count} servers, all past their OFFLINE threshold`);

    // The recovery's rebase (interface A), measured on a copy of the situation: then undone.
    const rebase = await timed('rebaseSilence (one UPDATE over the fleet)', () => db.store.rebaseSilence(new Date()));
    console.log(`  rows moved: ${rebase.value}`);
    const undo = openSqlite(file);
    undo.prepare(`UPDATE server_states SET lateAt = lastSeenAt + 45000, offlineAt = lastSeenAt + 90000`).run();
    undo.close();

    const sweep = await timed('applySilence (conditional UPDATE)', () => db.store.applySilence(new Date()));
    const ids = sweep.value.map((t) => t.serverId);
    console.log(`  transitions: ${ids.length}`);
    await getServer(services, ids[0]!); // warm Prisma up before either measurement
    const setBased = await timed('load moved servers, set-based (getServers)', () => getServers(services, ids));
    const oneByOne = await timed('load moved servers, one query each (getServer, before)', async () => {
      for (const id of ids) await getServer(services, id);
    });
    console.log(`loaded ${setBased.value.size}; one-by-one / set-based = ${(oneByOne.ms / setBased.ms).toFixed(1)}x`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
