// The tiered history on SQLite (see history.ts). Timestamps are Unix milliseconds, so a bucket is
// integer division. Reads run on the main thread's connection; the rollup and the pruning run on
// the writer thread (createSqliteHistoryWriter) in short IMMEDIATE transactions between heartbeat
// batches: on the main thread they busy-waited for the lock with the event loop blocked, and could
// wait out their whole busy timeout behind a Prisma transaction that held the lock across awaits.
import type Database from 'better-sqlite3';
import { METRICS, ROLLUP_COLUMNS, TIERS, mergeRows, rawAggregates, rollupAggregates, type HistoryStore } from './history.ts';
import type { VersionChangeRow } from './store.ts';

const q = (column: string) => `"${column}"`;
const PRUNE_BATCH = 5000;
const SERVERS_PER_PRUNE_TRANSACTION = 200;

const merge = METRICS.flatMap((m) => {
  const c = (suffix: string) => q(m + suffix);
  return [
    `${c('Count')} = ${c('Count')} + excluded.${c('Count')}`,
    `${c('Sum')} = coalesce(${c('Sum')} + excluded.${c('Sum')}, ${c('Sum')}, excluded.${c('Sum')})`,
    // SQLite's two-argument min/max return NULL when either side is NULL.
    `${c('Min')} = coalesce(min(${c('Min')}, excluded.${c('Min')}), ${c('Min')}, excluded.${c('Min')})`,
    `${c('Max')} = coalesce(max(${c('Max')}, excluded.${c('Max')}), ${c('Max')}, excluded.${c('Max')})`,
  ];
}).join(', ');

/** The history's writes, on the writer thread's connection (src/db/sqlite-writer.ts). */
export function createSqliteHistoryWriter(db: Database.Database) {
  const selectCursor = db.prepare(`SELECT lastId FROM history_cursors WHERE name = 'rollup'`).pluck();
  const saveCursor = db.prepare(
    `INSERT INTO history_cursors (name, lastId, updatedAt) VALUES ('rollup', ?, ?) ON CONFLICT (name) DO UPDATE SET lastId = excluded.lastId, updatedAt = excluded.updatedAt`,
  );
  const maxId = db.prepare(`SELECT max(id) FROM heartbeats`).pluck();
  const chunkEnd = db.prepare(`SELECT max(id) AS upTo, count(*) AS rows FROM (SELECT id FROM heartbeats WHERE id > ? ORDER BY id LIMIT ?)`);
  const foldIntoTier = db.prepare(`
    INSERT INTO metric_rollups ("serverId", tier, "bucketStart", ${ROLLUP_COLUMNS.map(q).join(', ')})
    SELECT "serverId", @tier, ("receivedAt" / @width) * @width, ${rawAggregates(q)}
    FROM heartbeats WHERE id > @after AND id <= @upTo
    GROUP BY "serverId", "receivedAt" / @width
    ON CONFLICT ("serverId", tier, "bucketStart") DO UPDATE SET ${merge}`);

  const cursorOf = () => Number(selectCursor.get() ?? 0);

  const rollup = db.transaction((maxRows: number) => {
    let after = cursorOf();
    // heartbeats.id is SQLite's rowid, which reuses the highest ids after they are deleted (a
    // server deleted right after sending the newest heartbeat): never wait for ids above the max.
    const highest = Number(maxId.get() ?? 0);
    if (highest < after) after = highest;
    const { upTo, rows } = chunkEnd.get(after, maxRows) as { upTo: number | null; rows: number };
    if (upTo == null) {
      if (after !== cursorOf()) saveCursor.run(after, Date.now());
      return { rows: 0, more: false };
    }
    // BigInt binds as INTEGER (a JS number binds as REAL): integer division makes the bucket.
    for (const tier of TIERS) foldIntoTier.run({ tier, width: BigInt(tier * 1000), after, upTo });
    saveCursor.run(upTo, Date.now());
    return { rows: Number(rows), more: upTo < highest };
  });

  const pruneRaw = db.prepare(`DELETE FROM heartbeats WHERE id IN (SELECT id FROM heartbeats WHERE "receivedAt" < ? AND id <= ? LIMIT ${PRUNE_BATCH})`);
  const pruneTier = db.prepare(`DELETE FROM metric_rollups WHERE "serverId" = ? AND tier = ? AND "bucketStart" < ?`);
  const pruneTierFor = db.transaction((ids: string[], tier: number, before: number) => ids.reduce((n, id) => n + pruneTier.run(id, tier, before).changes, 0));
  // Never a heartbeat that is not in the tiers yet.
  const pruneRawBatch = db.transaction((before: number) => pruneRaw.run(before, cursorOf()).changes);

  return {
    historyRollupChunk: (maxRows: number): { rows: number; more: boolean } => rollup.immediate(maxRows),
    historyPruneRaw: (before: number): number => pruneRawBatch.immediate(before),
    historyPruneTier: (ids: string[], tier: number, before: number): number => pruneTierFor.immediate(ids, tier, before),
  };
}

export type SqliteHistoryWriter = ReturnType<typeof createSqliteHistoryWriter>;

export function createSqliteHistory(db: Database.Database, write: <Op extends keyof SqliteHistoryWriter>(op: Op, args: Parameters<SqliteHistoryWriter[Op]>) => Promise<ReturnType<SqliteHistoryWriter[Op]>>): HistoryStore {
  const selectCursor = db.prepare(`SELECT lastId FROM history_cursors WHERE name = 'rollup'`).pluck();
  const cursorOf = () => Number(selectCursor.get() ?? 0);

  const readRaw = db.prepare(`
    SELECT ("receivedAt" / @width) * @width AS at, ${rawAggregates(q)} FROM heartbeats
    WHERE "serverId" = @serverId AND "receivedAt" >= @from AND "receivedAt" < @to GROUP BY 1`);
  const readTier = db.prepare(`
    SELECT ("bucketStart" / @width) * @width AS at, ${rollupAggregates(q)} FROM metric_rollups
    WHERE "serverId" = @serverId AND tier = @tier AND "bucketStart" >= @from AND "bucketStart" < @to GROUP BY 1`);
  const readTail = db.prepare(`
    SELECT ("receivedAt" / @width) * @width AS at, ${rawAggregates(q)} FROM heartbeats
    WHERE "serverId" = @serverId AND "receivedAt" >= @tailFrom AND "receivedAt" < @to AND id > @after GROUP BY 1`);
  // One read transaction: the cursor, the tier and the tail come from the same snapshot, so a
  // rollup committing in between can neither hide nor double a heartbeat.
  const readTierWithTail = db.transaction((params: Record<string, unknown>) => [
    ...(readTier.all(params) as Record<string, unknown>[]),
    ...(readTail.all({ ...params, after: cursorOf() }) as Record<string, unknown>[]),
  ]);

  const versionChanges = db.prepare(`
    SELECT * FROM (SELECT id, "serverId", at, "openclawVersion", "pluginVersion", agents FROM version_changes
                   WHERE "serverId" = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?)
    ORDER BY at, id`);

  const serverIds = db.prepare(`SELECT id FROM monitored_servers ORDER BY id`).pluck();
  const yieldToIngest = () => new Promise((resolve) => setImmediate(resolve));

  return {
    rollupChunk: (maxRows) => write('historyRollupChunk', [maxRows]),
    async readBuckets({ serverId, from, to, source, resolutionSeconds, tailFrom }) {
      const width = resolutionSeconds * 1000;
      const params = { serverId, width: BigInt(width), from: Math.floor(from.getTime() / width) * width, to: to.getTime() };
      const rows =
        source === 0
          ? (readRaw.all(params) as Record<string, unknown>[])
          : readTierWithTail.deferred({ ...params, tier: source, tailFrom: Math.max(params.from, tailFrom.getTime()) });
      return mergeRows(rows, (row) => Number(row.at));
    },
    async versionChanges(serverId, from, to, limit) {
      return (versionChanges.all(serverId, from.getTime(), to.getTime(), limit) as Record<string, any>[]).map(
        (row): VersionChangeRow => ({ serverId: row.serverId, at: new Date(Number(row.at)), openclawVersion: row.openclawVersion, pluginVersion: row.pluginVersion, agents: row.agents }),
      );
    },
    async prune(source, before) {
      let deleted = 0;
      if (source === 0) {
        // In batches, and never a heartbeat that is not in the tiers yet.
        for (;;) {
          const changes = await write('historyPruneRaw', [before.getTime()]);
          deleted += changes;
          if (changes < PRUNE_BATCH) return deleted;
          await yieldToIngest();
        }
      }
      // By server, through the primary key (serverId, tier, bucketStart): no extra index needed.
      const ids = serverIds.all() as string[];
      for (let i = 0; i < ids.length; i += SERVERS_PER_PRUNE_TRANSACTION) {
        deleted += await write('historyPruneTier', [ids.slice(i, i + SERVERS_PER_PRUNE_TRANSACTION), source, before.getTime()]);
        await yieldToIngest();
      }
      return deleted;
    },
    async rollupCursor() {
      return BigInt(cursorOf());
    },
  };
}
