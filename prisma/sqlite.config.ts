// Prisma CLI config for the embedded SQLite mode. The wasm ("js") engines are used so that the
// CLI never downloads a native engine. DATABASE_URL defaults to the embedded database file.
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'sqlite/schema.prisma',
  migrations: { path: 'sqlite/migrations' },
  adapter: async () =>
    new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? 'file:./data/harborforge.db' }, { timestampFormat: 'unixepoch-ms' }),
});
