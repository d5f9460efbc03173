// The SQL that the hot paths need (heartbeat ingest, the fleet overview, the status sweep),
// written once per provider with prepared statements / set-based queries. Everything else goes
// through Prisma. DESIGN.md measured Prisma at ~2k single writes/s; the ingest target is ~12k/s.
// This module owns the row types it reads and writes and imports nothing from src/services/:
// services depend on the store, never the other way round (test/core/import-cycles.test.ts).

/** An active (not revoked) API key with the facts about its server that ingest needs. */
export interface ActiveKey {
  keyId: string;
  keyHash: string;
  keyPrefix: string;
  keyCreatedAt: Date;
  keyLastUsedAt: Date | null;
  serverId: string;
  identifier: string;
  name: string;
  serverCreatedAt: Date;
  intervalSeconds: number;
  graceSeconds: number;
}

export interface Telemetry {
  openclawVersion: string | null;
  pluginVersion: string | null;
  /** JSON array of { id, name } */
  agents: string | null;
  cpuPct: number | null;
  memPct: number | null;
  diskPct: number | null;
  swapPct: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  uptimeSeconds: number | null;
}

export type StoredStatus = 'ONLINE' | 'LATE' | 'OFFLINE';
/** PENDING is never stored: it is the status of a server without a state row. */
export type ServerStatus = 'PENDING' | StoredStatus;

/** The heartbeat as received: agents normalised to {id, name} (stored as JSON), load average split in three. */
export interface HeartbeatRecord extends Omit<Telemetry, 'agents'> {
  identifier: string;
  agents: { id: string; name: string }[] | null;
}

export const FLEET_EVENT_TYPES = [
  'SERVER_ADDED',
  'SERVER_UPDATED',
  'SERVER_DELETED',
  'STATUS_CHANGED',
  'API_KEY_GENERATED',
  'API_KEY_REVOKED',
  'REBOOTED',
] as const;
export type FleetEventType = (typeof FLEET_EVENT_TYPES)[number];

export interface FleetEvent {
  type: FleetEventType;
  serverId: string;
  identifier: string;
  at: Date;
  status?: ServerStatus | null;
  previousStatus?: ServerStatus | null;
}

export interface StateRow extends Telemetry {
  serverId: string;
  status: StoredStatus;
  lastSeenAt: Date;
  lateAt: Date;
  offlineAt: Date;
  heartbeatCount: number;
}

/** A metric column of the history (raw heartbeats and every rollup tier). */
export const METRICS = ['cpuPct', 'memPct', 'diskPct', 'swapPct', 'load1', 'load5', 'load15'] as const;
export type Metric = (typeof METRICS)[number];

/** A raw history row: the metrics only. Versions and agents are written when they change (VersionChangeRow). */
export interface HeartbeatRow extends Pick<Telemetry, Metric | 'uptimeSeconds'> {
  serverId: string;
  receivedAt: Date;
}

export interface VersionChangeRow extends Pick<Telemetry, 'openclawVersion' | 'pluginVersion' | 'agents'> {
  serverId: string;
  at: Date;
}

/** A server joined with its latest state (null before its first heartbeat) and current key. */
export interface FleetRow {
  id: string;
  identifier: string;
  name: string;
  createdAt: Date;
  intervalSeconds: number;
  graceSeconds: number;
  state: StateRow | null;
}

export interface SilenceTransition {
  serverId: string;
  from: StoredStatus;
  to: StoredStatus;
  /** The threshold that was crossed (lateAt or offlineAt), recorded as the transition's time. */
  at: Date;
}

/** Why a status changed (status_changes.cause). */
export type StatusChangeCause = 'HEARTBEAT' | 'SILENCE' | 'REGISTERED' | 'THRESHOLDS_CHANGED' | 'UPGRADE';

/** One row of status_changes (interface B): written in the transaction that changes the status. */
export interface StatusChangeRow {
  serverId: string;
  fromStatus: StoredStatus | 'PENDING' | null;
  toStatus: StoredStatus | 'PENDING';
  at: Date;
  cause: StatusChangeCause;
}

export interface BatchItem {
  keyHash: string;
  record: HeartbeatRecord;
  receivedAt: Date;
}

export type ItemOutcome =
  | { ok: true; key: ActiveKey; state: StateRow; events: FleetEvent[]; keyTouched: boolean }
  | { ok: false; code: 'UNAUTHENTICATED' | 'CONFLICT'; message: string };

/** Runs inside one transaction: everything it writes commits together or not at all. */
export interface IngestTransaction {
  findActiveKeys(hashes: string[]): Promise<Map<string, ActiveKey>>;
  findStates(serverIds: string[]): Promise<Map<string, StateRow>>;
  writeStates(rows: StateRow[]): Promise<void>;
  insertHeartbeats(rows: HeartbeatRow[]): Promise<void>;
  /** Called only when the batch changed some status (the hot path writes nothing otherwise). */
  insertStatusChanges(rows: StatusChangeRow[]): Promise<void>;
  insertVersionChanges(rows: VersionChangeRow[]): Promise<void>;
  touchKeys(keyIds: string[], at: Date): Promise<void>;
}

export interface FleetStore {
  /** Commits a batch of heartbeats in one transaction; one outcome per item, in order. */
  commitHeartbeats(batch: BatchItem[]): Promise<ItemOutcome[]>;
  /** SQLite only: ends the writer thread as a crash would (tests of recovery). */
  crashWriterForTest?(): Promise<number>;
  /**
   * The fleet's servers with their states, by identifier. `afterIdentifier` + `limit` read it in
   * pages (keyset), so that a whole-fleet reload never holds two copies of a large fleet at once.
   */
  loadFleet(filter?: { serverIds?: string[]; afterIdentifier?: string; limit?: number }): Promise<FleetRow[]>;
  /** Moves silent servers to LATE / OFFLINE, each transition exactly once across instances. */
  applySilence(now: Date): Promise<SilenceTransition[]>;
  /**
   * The backend could not accept heartbeats until `since` (a restart or a database outage), so
   * silence counts from then at the earliest: LATE/OFFLINE thresholds of ONLINE and LATE servers
   * move to at least since + 1.5 x interval / since + interval + grace. Returns the rows moved.
   */
  rebaseSilence(since: Date): Promise<number>;
  /** Upserts this instance's liveness mark: a small write, so it also probes a database outage. */
  markAlive(instanceId: string, startedAt: Date, at: Date): Promise<void>;
  /** The newest liveness mark of any other instance (null on a database no instance used yet). */
  lastAliveElsewhere(instanceId: string): Promise<Date | null>;
  /** Deletes the marks of instances silent since before `before`. */
  forgetInstances(before: Date): Promise<number>;
  /**
   * Records a closed backend_downtime period unless one of the same cause already overlaps it
   * (every instance sees the same outage). Raw SQL: it runs at start, before Prisma is warm.
   */
  recordDowntime(period: { startedAt: Date; endedAt: Date; cause: 'RESTART' | 'DATABASE' }): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
