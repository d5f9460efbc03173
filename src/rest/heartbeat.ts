// POST /monitor/server/heartbeat-v2, byte-compatible with the seed's sidecar. The protocol checks
// live here once; src/app.ts calls it from a bare node:http fast path and from the fetch router.
import { describeIssues, heartbeatBodySchema, MAX_HEARTBEAT_BYTES, toHeartbeatRecord } from '../services/heartbeat-schema.ts';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { hashSecret, type HeartbeatIngestor } from '../services/heartbeats.ts';
import type { Metrics } from '../metrics.ts';

export interface HeartbeatDeps {
  ingestor: HeartbeatIngestor;
  metrics: Metrics;
  /** Heartbeats per key per minute, on this instance; absent when HEARTBEAT_RATE_LIMIT=0. */
  limiter?: RateLimiterAbstract;
}

export const HEARTBEAT_PATH = '/monitor/server/heartbeat-v2';

export interface HeartbeatRequest {
  apiKey: string | null;
  contentType: string | null;
  /** null when the body was larger than MAX_HEARTBEAT_BYTES (reading stopped there). */
  body: Buffer | null;
}

export interface JsonReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const refuse = (metrics: Metrics, status: number, error: string, message: string): JsonReply => {
  metrics.heartbeatsRejected.inc({ status: String(status) });
  return { status, body: { error, message } };
};

export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

export async function handleHeartbeat({ ingestor, metrics, limiter }: HeartbeatDeps, request: HeartbeatRequest): Promise<JsonReply> {
  if (!request.apiKey) return refuse(metrics, 401, 'UNAUTHENTICATED', 'X-API-Key header is required');
  const keyHash = hashSecret(request.apiKey);
  if (limiter) {
    // Counted per key (unknown keys too) before any parsing, so a runaway or hostile sender costs little.
    const limited = await limiter.consume(keyHash).then(
      () => null,
      (rejection: { msBeforeNext?: number }) => Math.max(1, Math.ceil((rejection.msBeforeNext ?? 1000) / 1000)),
    );
    if (limited !== null) {
      const reply = refuse(metrics, 429, 'TOO_MANY_REQUESTS', `more than ${limiter.points} heartbeats a minute with this key; retry in ${limited} s`);
      return { ...reply, headers: { 'retry-after': String(limited) } };
    }
  }
  if (request.body === null) return refuse(metrics, 413, 'PAYLOAD_TOO_LARGE', `body is larger than ${MAX_HEARTBEAT_BYTES} bytes`);
  if (!isJsonContentType(request.contentType)) {
    return refuse(metrics, 415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json (got ${request.contentType ?? 'none'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(request.body.toString('utf8'));
  } catch {
    return refuse(metrics, 400, 'BAD_USER_INPUT', 'body: not valid JSON');
  }
  const parsed = heartbeatBodySchema.safeParse(json);
  if (!parsed.success) return refuse(metrics, 400, 'BAD_USER_INPUT', describeIssues(parsed.error));
  const outcome = await ingestor.recordHeartbeat(keyHash, toHeartbeatRecord(parsed.data));
  if (!outcome.ok) return { status: outcome.code === 'CONFLICT' ? 409 : 401, body: { error: outcome.code, message: outcome.message } };
  return { status: 200, body: { ok: true, server_id: outcome.serverId, status: outcome.status, received_at: outcome.receivedAt.toISOString() } };
}
