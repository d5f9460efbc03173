// Per-client request limits (rate-limiter-flexible). Anonymous traffic (GraphQL, the public
// overview, web pages) is counted per client address; failed admin authentications per client
// address; heartbeats per API key (never per address: a fleet may sit behind one NAT). With
// REDIS_URL the counters live in Redis, so that a limit means the same with one instance or ten;
// if Redis cannot answer, each instance falls back to counting in memory until it can.
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from './config.ts';

export type RateLimitConfig = Pick<Config, 'heartbeatRateLimit' | 'rateLimitAnonymous' | 'rateLimitAuthFailures' | 'trustProxy'> & { redisPrefix?: string };

export interface RateLimits {
  /** Requests a minute per client address without credentials. */
  anonymous?: RateLimiterAbstract;
  /** Failed admin authentications per client address in AUTH_FAILURE_WINDOW_SECONDS. */
  authFailures?: RateLimiterAbstract;
  /** Heartbeats a minute per API key. */
  heartbeat?: RateLimiterAbstract;
}

export const AUTH_FAILURE_WINDOW_SECONDS = 600;

/**
 * rate-limiter-flexible's in-memory counters, kept without a timer per key. Its own storage sets a
 * setTimeout for every key to delete it when its window ends: with heartbeats counted per API key
 * that is one Timeout (with its closure and context) per server, ~400 B of heap each, 40 MB at
 * 100,000 servers (`npm run bench -- heap`). Here an expired counter is replaced when its key comes
 * back, and a sweep at most once a minute, run by a write, drops the ones that did not.
 */
class ExpiringCounters {
  /** The library's dump() reads this map (key -> { value, expiresAt }). */
  readonly _storage = new Map<string, { value: number; expiresAt: number | null }>();
  private sweepAt = 0;

  private sweep(now: number): void {
    if (now < this.sweepAt) return;
    this.sweepAt = now + 60_000;
    for (const [key, record] of this._storage) if (record.expiresAt !== null && record.expiresAt <= now) this._storage.delete(key);
  }

  incrby(key: string, value: number, durationSec: number): RateLimiterRes {
    const now = Date.now();
    const record = this._storage.get(key);
    if (record && (record.expiresAt === null || record.expiresAt > now)) {
      record.value += value;
      return new RateLimiterRes(0, record.expiresAt === null ? -1 : record.expiresAt - now, record.value, false);
    }
    return this.set(key, value, durationSec);
  }

  set(key: string, value: number, durationSec: number): RateLimiterRes {
    const now = Date.now();
    this.sweep(now);
    const durationMs = durationSec * 1000;
    this._storage.set(key, { value: Math.trunc(value), expiresAt: durationMs > 0 ? now + durationMs : null });
    return new RateLimiterRes(0, durationMs > 0 ? durationMs : -1, Math.trunc(value), true);
  }

  get(key: string): RateLimiterRes | null {
    const record = this._storage.get(key);
    if (!record) return null;
    const now = Date.now();
    if (record.expiresAt !== null && record.expiresAt <= now) {
      this._storage.delete(key);
      return null;
    }
    return new RateLimiterRes(0, record.expiresAt === null ? -1 : record.expiresAt - now, record.value, false);
  }

  delete(key: string): boolean {
    return this._storage.delete(key);
  }

  _restoreRecord(key: string, value: number, expiresAt: number | null): void {
    if (expiresAt !== null && (!Number.isFinite(expiresAt) || expiresAt <= Date.now())) return;
    this._storage.set(key, { value: Math.trunc(value), expiresAt });
  }
}

/** RateLimiterMemory counting in ExpiringCounters (pinned library version: it keeps them in `_memoryStorage`). */
export function memoryLimiter(options: { points: number; duration: number; keyPrefix: string }): RateLimiterMemory {
  const limiter = new RateLimiterMemory(options);
  (limiter as unknown as { _memoryStorage: ExpiringCounters })._memoryStorage = new ExpiringCounters();
  return limiter;
}

function limiter(name: string, points: number, duration: number, redis: Redis | undefined, prefix: string): RateLimiterAbstract | undefined {
  if (points <= 0) return undefined;
  const memory = memoryLimiter({ points, duration, keyPrefix: name });
  if (!redis) return memory;
  return new RateLimiterRedis({ storeClient: redis, points, duration, keyPrefix: `${prefix}rl:${name}`, insuranceLimiter: memory });
}

export function createRateLimits(config: RateLimitConfig, redis?: Redis): RateLimits {
  const prefix = config.redisPrefix ?? 'harborforge:';
  return {
    anonymous: limiter('anonymous', config.rateLimitAnonymous, 60, redis, prefix),
    authFailures: limiter('auth-failures', config.rateLimitAuthFailures, AUTH_FAILURE_WINDOW_SECONDS, redis, prefix),
    heartbeat: limiter('heartbeat', config.heartbeatRateLimit, 60, redis, prefix),
  };
}

/** Seconds until `key` may try again, or null when it is within its limit (this call counts). */
export async function consume(limiter: RateLimiterAbstract | undefined, key: string): Promise<number | null> {
  if (!limiter) return null;
  try {
    await limiter.consume(key);
    return null;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw rejection;
  }
}

/** Seconds until `key` may try again when it has used up its limit already (this call does not count). */
export async function blockedFor(limiter: RateLimiterAbstract | undefined, key: string): Promise<number | null> {
  if (!limiter) return null;
  const state = await limiter.get(key);
  return state && state.consumedPoints >= limiter.points ? Math.max(1, Math.ceil(state.msBeforeNext / 1000)) : null;
}

/** The client's address: the socket's peer, or with TRUST_PROXY the first X-Forwarded-For entry. */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'> | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req?.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req?.socket?.remoteAddress ?? 'unknown';
}

/**
 * The Redis connection the counters use: its own, without an offline queue, so that while Redis
 * is unreachable a check fails at once (and the in-memory insurance counts) instead of waiting.
 */
export async function openRateLimitStore(redisUrl: string): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {}); // reconnects by itself; meanwhile the insurance limiter counts
  await redis.connect();
  return redis;
}
