// PostgreSQL and Redis for the tests that are about them. On a developer's machine without the
// services those tests skip with a clear message; under CI=true a missing service is a failure.
import pg from 'pg';
import { Redis } from 'ioredis';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const inCI = process.env.CI === 'true';

async function reachable(probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch {
    return false;
  }
}

export async function postgresAvailable(): Promise<boolean> {
  const ok = await reachable(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.end();
  });
  if (!ok && inCI) throw new Error(`CI=true but PostgreSQL is unreachable at ${POSTGRES_URL}`);
  if (!ok) console.warn(`SKIPPED: PostgreSQL tests — no PostgreSQL at ${POSTGRES_URL} (set TEST_DATABASE_URL)`);
  return ok;
}

export async function redisAvailable(): Promise<boolean> {
  const ok = await reachable(async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await redis.connect();
    await redis.ping();
    redis.disconnect();
  });
  if (!ok && inCI) throw new Error(`CI=true but Redis is unreachable at ${REDIS_URL}`);
  if (!ok) console.warn(`SKIPPED: Redis tests — no Redis at ${REDIS_URL} (set TEST_REDIS_URL)`);
  return ok;
}

/** A database URL with a fresh schema of its own, dropped by the returned cleanup. */
export async function freshPostgresSchema(stem: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `hf_${stem}_${process.pid}_${Date.now().toString(36)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
