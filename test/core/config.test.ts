import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults: SQLite in ./data on 127.0.0.1:4000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', provider: 'sqlite', logLevel: 'info', publicOverview: true });
    expect(config.databaseUrl).toMatch(/^file:.*\/data\/harborforge\.db$/);
  });

  it('selects PostgreSQL from DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).provider).toBe('postgres');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ HARBORFORGE_ADMIN_TOKEN: 'short' }, 'HARBORFORGE_ADMIN_TOKEN'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ PUBLIC_OVERVIEW: 'maybe' }, 'PUBLIC_OVERVIEW'],
    [{ TELEGRAM_API_BASE: 'api.telegram.org' }, 'TELEGRAM_API_BASE'],
    [{ SMTP_PORT: '0' }, 'SMTP_PORT'],
    [{ METRICS_PER_SERVER: 'on' }, 'METRICS_PER_SERVER'],
  ])('names the bad variable: %o', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}:`));
  });

  it('per-server Prometheus gauges are opt-in', () => {
    expect(loadConfig({}).metricsPerServer).toBe(false);
    expect(loadConfig({ METRICS_PER_SERVER: 'true' }).metricsPerServer).toBe(true);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(4000);
  });
});
