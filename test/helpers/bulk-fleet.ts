// Writes a large fleet straight into a stopped server's SQLite file (one transaction of prepared
// statements: ~100,000 servers in about a second), for the web page tests and `npm run bench -- web`.
// Registration speed is not what those measure; the server loads the rows when it starts again.
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface BulkFleetOptions {
  /** Identifiers are `${prefix}-000042`, so they sort in creation order. */
  prefix?: string;
  /** Long enough that no seeded server changes status by silence while a test runs. */
  intervalSeconds?: number;
  now?: number;
  /** Also give every server an API key (returned), for benchmarks that make the fleet report. */
  withKeys?: boolean;
}

export interface BulkMember {
  identifier: string;
  key: string;
}

const AGENTS = JSON.stringify([
  { id: 'alpha', name: 'alpha' },
  { id: 'beta', name: 'Beta' },
]);

/**
 * Inserts `count` servers with a realistic mix: most ONLINE with telemetry, every 20th LATE,
 * every 25th OFFLINE, every 50th never reported (PENDING). Statuses follow from lastSeenAt, as
 * the server derives them.
 */
export function insertBulkFleet(dataDir: string, count: number, options: BulkFleetOptions = {}): BulkMember[] {
  const prefix = options.prefix ?? 'fleet';
  const interval = options.intervalSeconds ?? 3_600;
  const grace = interval * 2;
  const now = options.now ?? Date.now();
  const db = new Database(join(dataDir, 'harborforge.db'));
  db.pragma('busy_timeout = 10000');
  const insertServer = db.prepare(
    'INSERT INTO monitored_servers (id, identifier, name, intervalSeconds, graceSeconds, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertState = db.prepare(
    `INSERT INTO server_states (serverId, status, lastSeenAt, lateAt, offlineAt, heartbeatCount, openclawVersion, pluginVersion, agents,
       cpuPct, memPct, diskPct, swapPct, load1, load5, load15, uptimeSeconds)
     VALUES (?, ?, ?, ?, ?, 1, '2026.9.6', '0.1.0', ?, ?, ?, ?, ?, 0.5, 0.4, 0.3, ?)`,
  );
  const insertKey = db.prepare('INSERT INTO api_keys (id, serverId, hash, prefix, createdAt) VALUES (?, ?, ?, ?, ?)');
  const members: BulkMember[] = [];
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `${prefix}-id-${i}`;
      const identifier = `${prefix}-${String(i).padStart(6, '0')}`;
      insertServer.run(id, identifier, `Host ${i}`, interval, grace, now, now);
      if (options.withKeys) {
        const key = `hfm_${prefix}_${i}_${randomBytes(12).toString('hex')}`;
        insertKey.run(`${id}-key`, id, createHash('sha256').update(key).digest('hex'), key.slice(0, 12), now);
        members.push({ identifier, key });
      }
      if (i % 50 === 49) continue; // PENDING: never reported
      const silentFor = i % 25 === 24 ? interval + grace + 60 : i % 20 === 19 ? interval * 1.5 + 60 : (i % 20) * 1.5;
      const lastSeen = now - silentFor * 1000;
      const status = i % 25 === 24 ? 'OFFLINE' : i % 20 === 19 ? 'LATE' : 'ONLINE';
      insertState.run(id, status, lastSeen, lastSeen + interval * 1500, lastSeen + (interval + grace) * 1000, AGENTS,
        (i * 7) % 100, (i * 13) % 100, (i * 3) % 100, i % 5, 86_400 + i);
    }
  })();
  db.close();
  return members;
}
