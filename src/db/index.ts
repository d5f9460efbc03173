// One Prisma client and one hot-path store per process, for whichever provider DATABASE_URL names.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PrismaClient as SqlitePrismaClient } from '../generated/sqlite/client.ts';
import type { FleetStore } from './store.ts';
import type { HistoryStore } from './history.ts';
import type { AlertStore } from './alert-store.ts';
import type { Logger } from '../logger.ts';
// Each provider's client, adapter and driver are imported only when that provider is used: the
// embedded mode never loads PostgreSQL's (each generated client carries its own query compiler).

/**
 * Both generated clients come from the same models file, so their model APIs are the same; the
 * SQLite client's types stand for both (test/schema-drift.test.ts keeps the two in step).
 */
export type Prisma = SqlitePrismaClient;

export interface Database {
  provider: 'sqlite' | 'postgres';
  prisma: Prisma;
  store: FleetStore;
  /** The tiered metric history and version changes (src/db/history.ts). */
  history: HistoryStore;
  /** What the alert engine and the outbox worker read and write while running (src/db/alert-store.ts). */
  alerts: AlertStore;
  appliedMigrations: string[];
  close(): Promise<void>;
}

const TIMESTAMP_OID = 1114;

type SqliteAdapterFactory = InstanceType<typeof import('@prisma/adapter-better-sqlite3').PrismaBetterSQLite3>;
type SqliteAdapter = Awaited<ReturnType<SqliteAdapterFactory['connect']>>;
const WRITE_STATEMENT = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;

/**
 * Prisma's writes on SQLite (the API's: servers, keys, rules...) pause the writer thread while
 * they run, so that they never race it for the one write lock. Racing it, a transaction that read
 * before it wrote failed with SQLITE_BUSY whenever a heartbeat batch committed in between (its
 * snapshot was stale), and waiting for the lock blocked the event loop; either opened an "outage"
 * that refused every heartbeat. Reads take no turn (WAL: they block no one).
 */
function takingTurnsWithWriter(factory: SqliteAdapterFactory, hold: () => Promise<() => void>): SqliteAdapterFactory {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter: SqliteAdapter = await connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const release = await hold();
      try {
        const tx = await startTransaction(isolationLevel);
        const [commit, rollback] = [tx.commit.bind(tx), tx.rollback.bind(tx)];
        tx.commit = () => commit().finally(release);
        tx.rollback = () => rollback().finally(release);
        return tx;
      } catch (error) {
        release();
        throw error;
      }
    };
    for (const method of ['queryRaw', 'executeRaw'] as const) {
      const run = (adapter[method] as (query: { sql: string }) => Promise<unknown>).bind(adapter);
      (adapter as unknown as Record<string, unknown>)[method] = async (query: { sql: string }) => {
        if (!WRITE_STATEMENT.test(query.sql)) return run(query);
        const release = await hold();
        try {
          return await run(query);
        } finally {
          release();
        }
      };
    }
    return adapter;
  };
  return factory;
}

/** `postgres://…?schema=name` selects a schema, as it does for Prisma's own URLs. */
export function parsePostgresUrl(url: string): { connectionString: string; schema?: string } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

export async function openDatabase(databaseUrl: string, logger?: Pick<Logger, 'error'>): Promise<Database> {
  if (databaseUrl.startsWith('file:')) {
    const file = databaseUrl.slice('file:'.length);
    mkdirSync(dirname(file), { recursive: true });
    const [{ PrismaBetterSQLite3 }, { PrismaClient: SqlitePrismaClient }, { migrateSqlite }, { createSqliteStore, openSqlite }, { createSqliteHistory }] = await Promise.all([
      import('@prisma/adapter-better-sqlite3'),
      import('../generated/sqlite/client.ts'),
      import('./migrate.ts'),
      import('./sqlite-store.ts'),
      import('./sqlite-history.ts'),
    ]);
    const raw = openSqlite(file);
    const appliedMigrations = migrateSqlite(raw);
    const { store, alerts, write, holdWriter } = createSqliteStore(raw, file);
    const prisma = new SqlitePrismaClient({
      adapter: takingTurnsWithWriter(new PrismaBetterSQLite3({ url: file, timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' }), holdWriter),
    });
    const history = createSqliteHistory(raw, (op, args) => write(op, args));
    return database('sqlite', prisma, store, alerts, history, appliedMigrations);
  }

  const [{ default: pg }, { PrismaPg }, { PrismaClient: PostgresPrismaClient }, { migratePostgres }, { createPostgresStore }, { createPostgresHistory }, { createPrismaAlertStore }] = await Promise.all([
    import('pg'),
    import('@prisma/adapter-pg'),
    import('../generated/postgres/client.ts'),
    import('./migrate.ts'),
    import('./postgres-store.ts'),
    import('./postgres-history.ts'),
    import('./prisma-alert-store.ts'),
  ]);
  // `timestamp without time zone` columns hold UTC (as Prisma writes them): read them as UTC and
  // send Dates as UTC, whatever the machine's time zone.
  pg.defaults.parseInputDatesAsUTC = true;
  const pgTypes = {
    getTypeParser: ((oid: number, format?: any) =>
      oid === TIMESTAMP_OID ? (value: string) => new Date(value.replace(' ', 'T') + 'Z') : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const { connectionString, schema } = parsePostgresUrl(databaseUrl);
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    // A database that cannot be reached must fail a query in bounded time (answered 503), not
    // leave it waiting for the operating system's TCP timeout.
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    types: pgTypes,
    ...(schema ? { options: `-c search_path="${schema.replace(/"/g, '')}"` } : {}),
  });
  // An idle client's connection dropping (a PostgreSQL restart) must not crash the process: the
  // pool replaces the client, and queries in flight fail and are answered as errors.
  pool.on('error', (error) => (logger ? logger.error({ err: error }, 'PostgreSQL pool error') : console.error(`PostgreSQL pool: ${error.message}`)));
  if (schema) {
    // CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent twin (instances starting
    // together): the loser gets a unique violation on pg_namespace, which means "it exists".
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '')}"`).catch((error: { code?: string }) => {
      if (error.code !== '23505' && error.code !== '42P06') throw error;
    });
  }
  const appliedMigrations = await migratePostgres(pool);
  const prisma = new PostgresPrismaClient({ adapter: new PrismaPg(pool, schema ? { schema } : undefined) }) as unknown as Prisma;
  return database('postgres', prisma, createPostgresStore(pool), createPrismaAlertStore(prisma), createPostgresHistory(pool), appliedMigrations);
}

function database(provider: Database['provider'], prisma: Prisma, store: FleetStore, alerts: AlertStore, history: HistoryStore, appliedMigrations: string[]): Database {
  return {
    provider,
    prisma,
    store,
    alerts,
    history,
    appliedMigrations,
    async close() {
      await prisma.$disconnect();
      await store.close();
    },
  };
}
