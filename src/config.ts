// Configuration comes from the environment only, validated once at start so that a typo fails
// loudly with the variable's name instead of surfacing later as odd behaviour.
import { resolve } from 'node:path';
import { z } from 'zod';
import { booleanFlag, requestLimitsFrom, requestLimitsSchema, type RequestLimitsConfig } from './config-limits.ts';

export const configSchema = z.object({
  ...requestLimitsSchema,
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .refine((url) => /^(postgres(ql)?:\/\/|file:)/.test(url), 'must start with postgres://, postgresql:// or file:')
    .optional(),
  REDIS_URL: z
    .string()
    .refine((url) => /^rediss?:\/\//.test(url), 'must start with redis:// or rediss://')
    .optional(),
  /** Prefix of the Redis channels, so that several deployments can share one Redis. */
  REDIS_PREFIX: z.string().min(1).max(100).default('harborforge:'),
  HARBORFORGE_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The overview is public by default, like the seed's /monitor/public/overview. */
  PUBLIC_OVERVIEW: booleanFlag.default(true),
  /** Tags are internal labels: anonymous overview readers neither see them nor filter by them unless this is true. */
  PUBLIC_OVERVIEW_TAGS: booleanFlag.default(false),
  /** Deprecated alias of HISTORY_RAW_RETENTION_HOURS (× 24), used when that one is not set. */
  HISTORY_RETENTION_DAYS: z.coerce.number().min(0).optional(),
  /** Retention per history tier (0 keeps everything): raw heartbeats, 5-minute, hourly, daily rollups. */
  HISTORY_RAW_RETENTION_HOURS: z.coerce.number().min(0).optional(),
  HISTORY_5M_RETENTION_DAYS: z.coerce.number().min(0).default(30),
  HISTORY_1H_RETENTION_DAYS: z.coerce.number().min(0).default(400),
  HISTORY_1D_RETENTION_DAYS: z.coerce.number().min(0).default(0),
  /** How often new heartbeats are folded into the rollup tiers. */
  HISTORY_ROLLUP_SECONDS: z.coerce.number().min(1).max(3600).default(60),
  /** Per-server gauges on /metrics (opt-in: about a dozen series per server, read from the in-memory fleet). */
  METRICS_PER_SERVER: booleanFlag.default(false),
  /** Heartbeats accepted per API key per minute on each instance (429 beyond); 0 turns the limit off. */
  HEARTBEAT_RATE_LIMIT: z.coerce.number().int().min(0).default(120),
  /** How often silent servers are checked for LATE/OFFLINE transitions. */
  STATUS_SWEEP_MS: z.coerce.number().int().min(50).max(10_000).default(250),
  /** Alert channels: deadline of one send (HTTP request or SMTP step). */
  ALERT_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Telegram Bot API base URL (a proxy or a local Bot API server may stand in). */
  TELEGRAM_API_BASE: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL').default('https://api.telegram.org'),
  /** SMTP server for EMAIL alert channels that do not name their own. */
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  SMTP_FROM: z.string().min(3).optional(),
  /** true: TLS from the start (usually port 465); false: STARTTLS when the server offers it. */
  SMTP_SECURE: booleanFlag.optional(),
  /** fleetChanges: at most one event per subscriber per this many ms. */
  FLEET_CHANGES_INTERVAL_MS: z.coerce.number().int().min(50).max(1_000).default(500),
  /** fleetChanges: changes remembered for resuming from a version (older versions get a reset). */
  FLEET_CHANGE_LOG_SIZE: z.coerce.number().int().min(1_000).max(10_000_000).default(131_072),
  /** A subscription whose connection holds more unsent bytes than this is not sent more until it drains. */
  SUBSCRIBER_MAX_BACKLOG_BYTES: z.coerce.number().int().min(16_384).default(1_048_576),
  /** During a database outage, how often a write is tried to detect its end. */
  DATABASE_PROBE_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Storm control: after a message to a channel, what falls due for it within this window goes out as one digest. */
  ALERT_DIGEST_WINDOW_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
  /** A notification that keeps failing (not permanently) is retried with backoff for this long, then given up. */
  ALERT_RETRY_HOURS: z.coerce.number().min(0).max(168).default(24),
  /** Sent and permanently failed outbox rows are deleted after this many days (0 keeps them); pending ones never are. */
  ALERT_OUTBOX_RETENTION_DAYS: z.coerce.number().min(0).max(36_500).default(7),
  /** Alert history (alert_events) is deleted after this many days (0 keeps it). */
  ALERT_HISTORY_RETENTION_DAYS: z.coerce.number().min(0).max(36_500).default(90),
  /** How often the uptime rollup checks for ended days to fold into per-day uptime rows. */
  UPTIME_ROLLUP_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  provider: 'sqlite' | 'postgres';
  redisUrl?: string;
  redisPrefix: string;
  adminToken?: string;
  logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  publicOverview: boolean;
  publicOverviewTags: boolean;
  history: HistoryConfig;
  metricsPerServer: boolean;
  heartbeatRateLimit: number;
  statusSweepMs: number;
  alertSendTimeoutMs: number;
  telegramApiBase: string;
  smtp: { host?: string; port?: number; user?: string; password?: string; from?: string; secure?: boolean };
  fleetChangesIntervalMs: number;
  fleetChangeLogSize: number;
  subscriberMaxBacklogBytes: number;
  databaseProbeMs: number;
  alertDigestWindowMs: number;
  alertRetryHours: number;
  uptimeRollupMs: number;
}

export interface Config extends RequestLimitsConfig {}

export interface HistoryConfig {
  /** Retention in seconds per source (0 = raw heartbeats, else the tier's bucket width); 0 keeps everything. */
  retentionSeconds: Record<0 | 300 | 3600 | 86400, number>;
  rollupIntervalMs: number;
  /** Alerting's own history, pruned by the same hourly job (0 keeps everything). */
  alertRetentionSeconds: { outbox: number; events: number };
}

export const DEFAULT_HISTORY: HistoryConfig = {
  retentionSeconds: { 0: 48 * 3600, 300: 30 * 86_400, 3600: 400 * 86_400, 86400: 0 },
  rollupIntervalMs: 60_000,
  alertRetentionSeconds: { outbox: 7 * 86_400, events: 90 * 86_400 },
};

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset: `FOO= npm start` should mean "default", not "invalid".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const values = parsed.data;
  const dataDir = resolve(values.DATA_DIR);
  const databaseUrl = values.DATABASE_URL ?? `file:${resolve(dataDir, 'harborforge.db')}`;
  return {
    ...requestLimitsFrom(values),
    port: values.PORT,
    host: values.HOST,
    dataDir,
    databaseUrl,
    provider: databaseUrl.startsWith('file:') ? 'sqlite' : 'postgres',
    redisUrl: values.REDIS_URL,
    redisPrefix: values.REDIS_PREFIX,
    adminToken: values.HARBORFORGE_ADMIN_TOKEN,
    logLevel: values.LOG_LEVEL,
    publicOverview: values.PUBLIC_OVERVIEW,
    publicOverviewTags: values.PUBLIC_OVERVIEW_TAGS,
    history: {
      retentionSeconds: {
        0: (values.HISTORY_RAW_RETENTION_HOURS ?? (values.HISTORY_RETENTION_DAYS != null ? values.HISTORY_RETENTION_DAYS * 24 : 48)) * 3600,
        300: values.HISTORY_5M_RETENTION_DAYS * 86_400,
        3600: values.HISTORY_1H_RETENTION_DAYS * 86_400,
        86400: values.HISTORY_1D_RETENTION_DAYS * 86_400,
      },
      rollupIntervalMs: values.HISTORY_ROLLUP_SECONDS * 1000,
      alertRetentionSeconds: { outbox: values.ALERT_OUTBOX_RETENTION_DAYS * 86_400, events: values.ALERT_HISTORY_RETENTION_DAYS * 86_400 },
    },
    metricsPerServer: values.METRICS_PER_SERVER,
    heartbeatRateLimit: values.HEARTBEAT_RATE_LIMIT,
    statusSweepMs: values.STATUS_SWEEP_MS,
    alertSendTimeoutMs: values.ALERT_SEND_TIMEOUT_MS,
    telegramApiBase: values.TELEGRAM_API_BASE,
    smtp: {
      host: values.SMTP_HOST,
      port: values.SMTP_PORT,
      user: values.SMTP_USER,
      password: values.SMTP_PASSWORD,
      from: values.SMTP_FROM,
      secure: values.SMTP_SECURE,
    },
    fleetChangesIntervalMs: values.FLEET_CHANGES_INTERVAL_MS,
    fleetChangeLogSize: values.FLEET_CHANGE_LOG_SIZE,
    subscriberMaxBacklogBytes: values.SUBSCRIBER_MAX_BACKLOG_BYTES,
    databaseProbeMs: values.DATABASE_PROBE_MS,
    alertDigestWindowMs: values.ALERT_DIGEST_WINDOW_MS,
    alertRetryHours: values.ALERT_RETRY_HOURS,
    uptimeRollupMs: values.UPTIME_ROLLUP_MS,
  };
}
