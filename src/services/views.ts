// The shapes that GraphQL, REST and subscription events share. Event payloads carry whole
// snapshots so that 1,000 subscribers cost no database reads.
import type { FleetRow, StateRow, Telemetry } from '../db/store.ts';
import { statusAt, type ServerStatus } from './status.ts';

export interface Agent {
  id: string;
  name: string;
}

export interface ApiKeyView {
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  active: boolean;
}

export interface ServerView {
  id: string;
  identifier: string;
  name: string;
  createdAt: Date;
  intervalSeconds: number;
  graceSeconds: number;
  status: ServerStatus;
  lastSeenAt: Date | null;
  /** When silence makes it LATE / OFFLINE (counted from the later of lastSeenAt and the backend's recovery). */
  lateAt?: Date | null;
  offlineAt?: Date | null;
  heartbeatCount: number;
  openclawVersion: string | null;
  pluginVersion: string | null;
  agents: Agent[];
  cpuPct: number | null;
  memPct: number | null;
  diskPct: number | null;
  swapPct: number | null;
  loadAvg: number[] | null;
  uptimeSeconds: number | null;
  /** The server's newest key (possibly revoked), never the key itself. Absent in public views. */
  apiKey: ApiKeyView | null;
  /** Set where the view was read for an API answer; events leave it out (see ServerTagIndex). */
  tags?: readonly string[];
}

export function parseAgents(json: string | null): Agent[] {
  if (!json) return [];
  try {
    const value = JSON.parse(json);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

export function loadAverage(telemetry: Pick<Telemetry, 'load1' | 'load5' | 'load15'>): number[] | null {
  const values = [telemetry.load1, telemetry.load5, telemetry.load15].filter((v): v is number => v != null);
  return values.length ? values : null;
}

type ServerFacts = Pick<FleetRow, 'id' | 'identifier' | 'name' | 'createdAt' | 'intervalSeconds' | 'graceSeconds'>;

export function toServerView(server: ServerFacts, state: StateRow | null, apiKey: ApiKeyView | null, now: Date): ServerView {
  return {
    id: server.id,
    identifier: server.identifier,
    name: server.name,
    createdAt: server.createdAt,
    intervalSeconds: server.intervalSeconds,
    graceSeconds: server.graceSeconds,
    status: statusAt(state, now),
    lastSeenAt: state?.lastSeenAt ?? null,
    lateAt: state?.lateAt ?? null,
    offlineAt: state?.offlineAt ?? null,
    heartbeatCount: state?.heartbeatCount ?? 0,
    openclawVersion: state?.openclawVersion ?? null,
    pluginVersion: state?.pluginVersion ?? null,
    agents: parseAgents(state?.agents ?? null),
    cpuPct: state?.cpuPct ?? null,
    memPct: state?.memPct ?? null,
    diskPct: state?.diskPct ?? null,
    swapPct: state?.swapPct ?? null,
    loadAvg: state ? loadAverage(state) : null,
    uptimeSeconds: state?.uptimeSeconds ?? null,
    apiKey,
  };
}

export function toApiKeyView(key: { prefix: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null } | null | undefined): ApiKeyView | null {
  if (!key) return null;
  return { prefix: key.prefix, createdAt: key.createdAt, lastUsedAt: key.lastUsedAt, revokedAt: key.revokedAt, active: key.revokedAt == null };
}
