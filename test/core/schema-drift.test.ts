// One source of truth for the models (prisma/models.prisma), one migrations folder per provider.
// These tests fail when the per-provider schemas, the migrations or schema.graphql drift.
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { composeSchema } from '../../scripts/prisma-generate.mjs';
import { printedSchema } from '../../scripts/print-schema.ts';
import { migrateSqlite, readMigrations } from '../../src/db/migrate.ts';
import { openSqlite } from '../../src/db/sqlite-store.ts';
import { openDatabase } from '../../src/db/index.ts';
import { freshPostgresSchema, postgresAvailable } from '../helpers/services.ts';

const root = join(import.meta.dirname, '../..');
const SCALARS = new Set(['String', 'Int', 'BigInt', 'Float', 'Boolean', 'DateTime', 'Json', 'Decimal', 'Bytes']);

/** Table → sorted column names, read from models.prisma (scalar fields; @@map names the table). */
function expectedTables(): Record<string, string[]> {
  const source = readFileSync(join(root, 'prisma/models.prisma'), 'utf8');
  const tables: Record<string, string[]> = {};
  for (const [, model, body] of source.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const table = /@@map\("([^"]+)"\)/.exec(body!)?.[1] ?? model!;
    const columns = [];
    for (const line of body!.split('\n')) {
      const field = /^\s*(\w+)\s+(\w+)(\[\])?\??\s*/.exec(line);
      if (field && SCALARS.has(field[2]!)) columns.push(field[1]!);
    }
    tables[table] = columns.sort();
  }
  return tables;
}

const hasPostgres = await postgresAvailable();

describe('schema drift', () => {
  it('each provider schema is models.prisma behind its header', () => {
    for (const provider of ['sqlite', 'postgres']) {
      const checkedIn = readFileSync(join(root, `prisma/${provider}/schema.prisma`), 'utf8');
      expect(checkedIn, `prisma/${provider}/schema.prisma is stale: run npm run prisma:generate`).toBe(composeSchema(provider));
    }
  });

  it('both migration folders have the same migrations', () => {
    expect(readMigrations('sqlite').map((m) => m.name)).toEqual(readMigrations('postgres').map((m) => m.name));
  });

  it('SQLite migrations produce exactly the tables and columns of the models', () => {
    const db = openSqlite(join(mkdtempSync(join(tmpdir(), 'hf-drift-')), 'drift.db'));
    migrateSqlite(db);
    const actual: Record<string, string[]> = {};
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_prisma_migrations'`).all() as { name: string }[];
    for (const { name } of tables) {
      actual[name] = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).map((c) => c.name).sort();
    }
    db.close();
    expect(actual).toEqual(expectedTables());
  });

  it.skipIf(!hasPostgres)('PostgreSQL migrations produce exactly the tables and columns of the models', async () => {
    const schema = await freshPostgresSchema('drift');
    const db = await openDatabase(schema.url);
    try {
      const client = new pg.Client({ connectionString: schema.url.split('?')[0] });
      await client.connect();
      const schemaName = new URL(schema.url).searchParams.get('schema');
      const { rows } = await client.query(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name != '_prisma_migrations'`,
        [schemaName],
      );
      await client.end();
      const actual: Record<string, string[]> = {};
      for (const row of rows) (actual[row.table_name] ??= []).push(row.column_name);
      for (const columns of Object.values(actual)) columns.sort();
      expect(actual).toEqual(expectedTables());
    } finally {
      await db.close();
      await schema.drop();
    }
  });

  // Five rounds of four instances: each round migrates a whole fresh schema, which takes seconds on a loaded
  // machine; the race shows in any round (the advisory lock is taken or not), so more rounds add time, not coverage.
  it.skipIf(!hasPostgres)('instances opening the same fresh PostgreSQL schema at once all start, and migrate it once', { timeout: 180_000 }, async () => {
    for (let round = 0; round < 5; round++) {
      const schema = await freshPostgresSchema(`race${round}`);
      try {
        const opened = await Promise.all(Array.from({ length: 4 }, () => openDatabase(schema.url)));
        expect(opened.map((db) => db.appliedMigrations.length).sort()).toEqual([0, 0, 0, readMigrations('postgres').length]);
        await Promise.all(opened.map((db) => db.close()));
      } finally {
        await schema.drop();
      }
    }
  });

  it('schema.graphql is up to date (run npm run schema)', () => {
    expect(readFileSync(join(root, 'schema.graphql'), 'utf8')).toBe(printedSchema());
  });
});
