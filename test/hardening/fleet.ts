// A fleet of a few thousand servers with telemetry, written straight into the SQLite file (how
// they got there is not what these tests are about), then the server restarted so that it loads them.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { StartOptions } from '../../src/server.ts';

export function insertFleet(dataDir: string, count: number, stem = 'fleet'): void {
  const db = new Database(join(dataDir, 'harborforge.db'));
  db.pragma('busy_timeout = 10000');
  const server = db.prepare(`INSERT INTO monitored_servers (id, identifier, name, intervalSeconds, graceSeconds, createdAt, updatedAt) VALUES (?, ?, ?, 30, 60, ?, ?)`);
  const state = db.prepare(
    `INSERT INTO server_states (serverId, status, lastSeenAt, lateAt, offlineAt, heartbeatCount, openclawVersion, pluginVersion, agents, cpuPct, memPct, diskPct, swapPct, load1, load5, load15, uptimeSeconds)
     VALUES (?, 'ONLINE', ?, ?, ?, 1, '2026.9.6', '0.1.0', ?, 12.5, 41.2, 63, 0, 0.42, 0.35, 0.3, 86400)`,
  );
  const agents = JSON.stringify([{ id: 'alpha', name: 'alpha' }, { id: 'beta', name: 'Beta' }]);
  db.transaction(() => {
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const id = `${stem}-id-${i}`;
      const identifier = `${stem}-${String(i).padStart(5, '0')}`;
      server.run(id, identifier, `Server ${identifier}`, now, now);
      state.run(id, now, now + 45_000, now + 90_000, agents);
    }
  })();
  db.close();
}

/** A test server (SQLite) that holds `count` servers from its start. */
export async function startWithFleet(count: number, options: StartOptions = {}): Promise<TestServer> {
  const first = await startTestServer(options);
  await first.close();
  insertFleet(first.dataDir, count);
  const server = await startTestServer({ ...options, dataDir: first.dataDir });
  const stop = server.stop;
  return Object.assign(server, { stop: async () => (await stop(), await first.stop()) });
}
