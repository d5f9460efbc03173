// Applies prisma/<provider>/migrations at start-up. The bookkeeping table is Prisma's own
// `_prisma_migrations` (same columns, same sha256 checksum), so `prisma migrate status/deploy`
// agree with what the server did. We run the SQL ourselves because the CLI's wasm schema engine
// adds seconds to every start and, with driver adapters, trips over upstream bugs (DESIGN.md).
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { PROJECT_ROOT } from '../paths.ts';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

const prismaDir = join(PROJECT_ROOT, 'prisma');

export function readMigrations(provider: 'sqlite' | 'postgres'): Migration[] {
  const dir = join(prismaDir, provider, 'migrations');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export class MigrationError extends Error {}

function checkApplied(applied: Map<string, string>, migrations: Migration[]): Migration[] {
  for (const [name, checksum] of applied) {
    const known = migrations.find((m) => m.name === name);
    if (!known) throw new MigrationError(`database has migration ${name}, which this build does not know: is it newer than this server?`);
    if (known.checksum !== checksum) throw new MigrationError(`migration ${name} was changed after it was applied (checksum mismatch)`);
  }
  return migrations.filter((m) => !applied.has(m.name));
}

export function migrateSqlite(db: BetterSqlite3.Database, migrations = readMigrations('sqlite')): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
  // IMMEDIATE takes the write lock up front, so two processes starting at once apply each migration once.
  const run = db.transaction(() => {
    const rows = db
      .prepare(`SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)
      .all() as { migration_name: string; checksum: string }[];
    const pending = checkApplied(new Map(rows.map((r) => [r.migration_name, r.checksum])), migrations);
    const record = db.prepare(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)`,
    );
    for (const migration of pending) {
      const startedAt = new Date().toISOString();
      db.exec(migration.sql);
      record.run(randomUUID(), migration.checksum, new Date().toISOString(), migration.name, startedAt);
    }
    return pending.map((m) => m.name);
  });
  return run.immediate();
}

export async function migratePostgres(pool: pg.Pool, migrations = readMigrations('postgres')): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One instance migrates at a time; the others wait here and then find nothing pending.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':harborforge-migrations'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const pending = checkApplied(new Map(rows.map((r) => [r.migration_name, r.checksum])), migrations);
    for (const migration of pending) {
      const startedAt = new Date();
      await client.query(migration.sql);
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, $4, 1)`,
        [randomUUID(), migration.checksum, migration.name, startedAt],
      );
    }
    await client.query('COMMIT');
    return pending.map((m) => m.name);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
