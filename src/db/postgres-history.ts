// The tiered history on PostgreSQL (see history.ts). Several instances may run the rollup: an
// advisory lock lets one fold a chunk at a time (the others skip), and the cursor row is updated
// in the same transaction as the tiers.
//
// heartbeats.id comes from a sequence, so ids become visible out of order: a batch that took id
// 10 may commit after one that took id 11. Each ingest transaction holds a shared advisory lock
// (INGEST_LOCK, see postgres-store.ts); the rollup briefly takes it exclusively to read the highest
// id, which then has no uncommitted id below it, and folds only up to that horizon.
import type pg from 'pg';
import { METRICS, ROLLUP_COLUMNS, TIERS, mergeRows, rawAggregates, rollupAggregates, type HistoryStore } from './history.ts';
import type { VersionChangeRow } from './store.ts';

export const INGEST_LOCK = `hashtext(current_schema() || ':harborforge-ingest')`;
const ROLLUP_LOCK = `hashtext(current_schema() || ':harborforge-rollup')`;
const q = (column: string) => `"${column}"`;
const PRUNE_BATCH = 5000;
const SERVERS_PER_PRUNE = 200;

const merge = METRICS.flatMap((m) => {
  const c = (suffix: string) => q(m + suffix);
  return [
    `${c('Count')} = r.${c('Count')} + EXCLUDED.${c('Count')}`,
    `${c('Sum')} = coalesce(r.${c('Sum')} + EXCLUDED.${c('Sum')}, r.${c('Sum')}, EXCLUDED.${c('Sum')})`,
    `${c('Min')} = LEAST(r.${c('Min')}, EXCLUDED.${c('Min')})`,
    `${c('Max')} = GREATEST(r.${c('Max')}, EXCLUDED.${c('Max')})`,
  ];
}).join(', ');

/** Seconds since the epoch of a `timestamp` column (UTC), floored to `width` seconds. */
const bucket = (column: string, width: string) => `floor(extract(epoch FROM ${q(column)}) / ${width}) * ${width}`;
const toTimestamp = (seconds: string) => `(to_timestamp(${seconds}) AT TIME ZONE 'UTC')`;

export function createPostgresHistory(pool: pg.Pool): HistoryStore {
  /**
   * The highest heartbeat id with no uncommitted id below it, in one statement: its snapshot is
   * taken when it starts, and the exclusive lock it then waits for is granted only once every
   * ingest transaction that was running (and so may hold an id below the snapshot's max) has
   * ended. The lock is the statement's own (xact) and ends with it: ingest waits microseconds.
   */
  async function horizon(): Promise<number> {
    const { rows } = await pool.query(`SELECT (SELECT coalesce(max(id), 0) FROM heartbeats)::float8 AS max, pg_advisory_xact_lock(${INGEST_LOCK})::text AS locked`);
    return rows[0].max;
  }

  async function cursorOf(client: pg.Pool | pg.PoolClient): Promise<number> {
    const { rows } = await client.query(`SELECT "lastId"::float8 AS id FROM history_cursors WHERE name = 'rollup'`);
    return rows[0]?.id ?? 0;
  }

  // Every tier from one pass over the chunk, and the cursor moved in the same statement.
  const fold = `
    WITH folded AS (
      INSERT INTO metric_rollups AS r ("serverId", tier, "bucketStart", ${ROLLUP_COLUMNS.map(q).join(', ')})
      SELECT "serverId", t.tier, ${toTimestamp(bucket('receivedAt', 't.tier'))}, ${rawAggregates(q)}
      FROM heartbeats CROSS JOIN (VALUES ${TIERS.map((tier) => `(${tier})`).join(', ')}) AS t(tier)
      WHERE id > $1 AND id <= $2
      GROUP BY "serverId", t.tier, ${bucket('receivedAt', 't.tier')}
      ON CONFLICT ("serverId", tier, "bucketStart") DO UPDATE SET ${merge}
    )
    INSERT INTO history_cursors (name, "lastId", "updatedAt") VALUES ('rollup', $2, now() AT TIME ZONE 'UTC')
    ON CONFLICT (name) DO UPDATE SET "lastId" = EXCLUDED."lastId", "updatedAt" = EXCLUDED."updatedAt"`;

  return {
    // Five round trips a chunk (it was thirteen, with a pooled connection held across four of
    // them for a session lock): on a loaded machine each round trip is what a chunk costs.
    async rollupChunk(maxRows) {
      const highest = await horizon();
      const client = await pool.connect();
      try {
        const [, locked] = (await client.query(`BEGIN; SELECT pg_try_advisory_xact_lock(${ROLLUP_LOCK}) AS ok`)) as unknown as pg.QueryResult[];
        if (!locked!.rows[0].ok) {
          await client.query('ROLLBACK');
          return { rows: 0, more: false, busy: true };
        }
        const { rows: chunk } = await client.query(
          `WITH cursor AS (SELECT coalesce((SELECT "lastId" FROM history_cursors WHERE name = 'rollup' FOR UPDATE), 0) AS after)
           SELECT (SELECT after FROM cursor)::float8 AS after, max(id)::float8 AS "upTo", count(*)::int AS rows
           FROM (SELECT id FROM heartbeats WHERE id > (SELECT after FROM cursor) AND id <= $1 ORDER BY id LIMIT $2) c`,
          [highest, maxRows],
        );
        const { after, upTo, rows } = chunk[0];
        if (upTo == null) {
          await client.query('ROLLBACK');
          return { rows: 0, more: false };
        }
        await client.query(fold, [after, upTo]);
        await client.query('COMMIT');
        return { rows, more: upTo < highest };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async readBuckets({ serverId, from, to, source, resolutionSeconds, tailFrom }) {
      const width = resolutionSeconds;
      const fromAligned = new Date(Math.floor(from.getTime() / (width * 1000)) * width * 1000);
      const raw = (extra: string) =>
        `SELECT ${bucket('receivedAt', '$2::float8')} AS at, ${rawAggregates(q)} FROM heartbeats
         WHERE "serverId" = $1 AND "receivedAt" >= $3 AND "receivedAt" < $4 ${extra} GROUP BY 1`;
      // One statement, one snapshot: the cursor, the tier and the tail agree.
      const { rows } =
        source === 0
          ? await pool.query(raw(''), [serverId, width, fromAligned, to])
          : await pool.query(
              `SELECT ${bucket('bucketStart', '$2::float8')} AS at, ${rollupAggregates(q)} FROM metric_rollups
               WHERE "serverId" = $1 AND tier = $5 AND "bucketStart" >= $3 AND "bucketStart" < $4 GROUP BY 1
               UNION ALL
               ${raw(`AND "receivedAt" >= $6 AND id > coalesce((SELECT "lastId" FROM history_cursors WHERE name = 'rollup'), 0)`)}`,
              [serverId, width, fromAligned, to, source, new Date(Math.max(fromAligned.getTime(), tailFrom.getTime()))],
            );
      return mergeRows(rows, (row) => Number(row.at) * 1000);
    },
    async versionChanges(serverId, from, to, limit) {
      const { rows } = await pool.query(
        `SELECT * FROM (SELECT id, "serverId", at, "openclawVersion", "pluginVersion", agents FROM version_changes
                        WHERE "serverId" = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, id DESC LIMIT $4) v
         ORDER BY at, id`,
        [serverId, from, to, limit],
      );
      return rows.map((row): VersionChangeRow => ({ serverId: row.serverId, at: row.at, openclawVersion: row.openclawVersion, pluginVersion: row.pluginVersion, agents: row.agents }));
    },
    async prune(source, before) {
      let deleted = 0;
      if (source === 0) {
        // In batches, and never a heartbeat that is not in the tiers yet.
        for (;;) {
          const result = await pool.query(
            `DELETE FROM heartbeats WHERE id IN (SELECT id FROM heartbeats WHERE "receivedAt" < $1
               AND id <= coalesce((SELECT "lastId" FROM history_cursors WHERE name = 'rollup'), 0) LIMIT ${PRUNE_BATCH})`,
            [before],
          );
          deleted += result.rowCount ?? 0;
          if ((result.rowCount ?? 0) < PRUNE_BATCH) return deleted;
        }
      }
      // By server, through the primary key (serverId, tier, bucketStart): no extra index needed.
      const { rows } = await pool.query(`SELECT id FROM monitored_servers ORDER BY id`);
      for (let i = 0; i < rows.length; i += SERVERS_PER_PRUNE) {
        const ids = rows.slice(i, i + SERVERS_PER_PRUNE).map((row) => row.id);
        const result = await pool.query(`DELETE FROM metric_rollups WHERE "serverId" = ANY($1::text[]) AND tier = $2 AND "bucketStart" < $3`, [ids, source, before]);
        deleted += result.rowCount ?? 0;
      }
      return deleted;
    },
    async rollupCursor() {
      return BigInt(await cursorOf(pool));
    },
  };
}
