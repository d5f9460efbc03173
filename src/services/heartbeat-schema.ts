// The heartbeat-v2 body, exactly the seed's snake_case fields. This one schema is used by the
// REST endpoint and by the plugin's tests (the sidecar's body must pass the backend's own rules).
import { z } from 'zod';
import type { HeartbeatRecord } from '../db/store.ts';

const percent = z.number().min(0).max(100).nullish();

const agent = z.union([
  z.string().trim().min(1).max(200),
  z.object({ id: z.string().trim().min(1).max(200), name: z.string().max(200).nullish() }),
]);

export const MAX_HEARTBEAT_BYTES = 64 * 1024;

export const heartbeatBodySchema = z.object({
  identifier: z.string().trim().min(1).max(200),
  openclaw_version: z.string().max(100).nullish(),
  plugin_version: z.string().max(100).nullish(),
  agents: z.array(agent).max(500).nullish(),
  cpu_pct: percent,
  mem_pct: percent,
  disk_pct: percent,
  swap_pct: percent,
  load_avg: z.union([z.number().min(0), z.array(z.number().min(0).nullable()).max(3)]).nullish(),
  uptime_seconds: z.number().min(0).nullish(),
});
// Unknown fields are ignored (zod's default strips them): newer sidecars may send more.

export type HeartbeatBody = z.infer<typeof heartbeatBodySchema>;

export type { HeartbeatRecord } from '../db/store.ts';

export function toHeartbeatRecord(body: HeartbeatBody): HeartbeatRecord {
  const load = body.load_avg == null ? [] : Array.isArray(body.load_avg) ? body.load_avg : [body.load_avg];
  return {
    identifier: body.identifier,
    openclawVersion: body.openclaw_version ?? null,
    pluginVersion: body.plugin_version ?? null,
    agents:
      body.agents?.map((a) => (typeof a === 'string' ? { id: a, name: a } : { id: a.id, name: a.name ?? a.id })) ?? null,
    cpuPct: body.cpu_pct ?? null,
    memPct: body.mem_pct ?? null,
    diskPct: body.disk_pct ?? null,
    swapPct: body.swap_pct ?? null,
    load1: load[0] ?? null,
    load5: load[1] ?? null,
    load15: load[2] ?? null,
    uptimeSeconds: body.uptime_seconds ?? null,
  };
}

/** "cpu_pct: Too big: expected number to be <=100" — every problem, each naming its field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`).join('; ');
}
