// What the alert engine and the outbox worker read and write while running, as one interface per
// provider. On SQLite every write goes through the ingest's writer thread, queued between heartbeat
// batches as one short synchronous transaction: alerts never hold the write lock across the event
// loop's turns, so a heartbeat never waits long for it (and is never refused because of it). Reads
// use prepared statements on the main connection (WAL: they block nobody). On PostgreSQL the same
// operations go through Prisma, as before.
// Configuration changes (rules, channels, silences) and the API's reads stay with Prisma: they are
// rare, and not on any path that runs every second.

export interface AlertStateRow {
  id: string;
  ruleId: string;
  serverId: string;
  state: string;
  seq: number;
  since: Date;
  value: number | null;
  observed: string | null;
  notified: boolean;
  lastNotifiedAt: Date | null;
  dueAt: Date | null;
}

/** A rule x server pair watched for the first time (state OK, seq 0). */
export interface AlertBaseline {
  ruleId: string;
  serverId: string;
  since: Date;
  observed: string | null;
}

export interface AlertEventRow {
  id: bigint;
  ruleId: string;
  ruleName: string;
  serverId: string;
  serverIdentifier: string;
  type: string;
  at: Date;
  value: number | null;
  message: string;
  silenced: boolean;
}

/** One state change, applied only if the row still has `expectedSeq` (of several instances, one wins). */
export interface AlertTransition {
  stateId: string;
  expectedSeq: number;
  next: Pick<AlertStateRow, 'state' | 'seq' | 'since' | 'value' | 'observed' | 'notified' | 'lastNotifiedAt' | 'dueAt'>;
  event: Omit<AlertEventRow, 'id'> | null;
  outbox: { channelId: string; idempotencyKey: string; payload: string }[];
}

export interface OutboxRow {
  id: bigint;
  channelId: string;
  idempotencyKey: string;
  payload: string;
  status: string;
  dueAt: Date;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface ClaimedChannel {
  channel: { id: string; kind: string; settings: string };
  rows: OutboxRow[];
}

/** What one send did to its channel and its outbox rows. */
export type DeliveryOutcome =
  | { ok: true; ids: bigint[]; nextSendAt: Date }
  | { ok: false; error: string; rows: { id: bigint; attempts: number; final: boolean; dueAt: Date }[] };

export interface TailedStatusChange {
  id: number;
  serverId: string;
  toStatus: string;
}

export interface TailedVersionChange {
  id: number;
  serverId: string;
  openclawVersion: string | null;
  pluginVersion: string | null;
}

export interface AlertStore {
  /** The state rows of these rule x server pairs (those that exist). */
  readStates(pairs: { ruleId: string; serverId: string }[]): Promise<AlertStateRow[]>;
  /** States whose due time has come, earliest first. */
  dueStates(now: Date, limit: number): Promise<{ ruleId: string; serverId: string; seq: number }[]>;
  /** Creates the state rows that do not exist yet (OK, seq 0); returns the rows of every pair as stored now. */
  insertBaselines(rows: AlertBaseline[], now: Date): Promise<AlertStateRow[]>;
  /** Applies the transitions in one transaction: for each, whether it won, and its history row. */
  commitTransitions(transitions: AlertTransition[], now: Date): Promise<{ won: boolean; event: AlertEventRow | null }[]>;
  /** FIRING alerts held back by a silence get a look now (a silence was shortened or deleted). */
  releaseHeldBack(now: Date): Promise<number>;

  /** Status / version change rows with id > after or id in `ids`, ascending (CommittedTail). */
  statusChangesAfter(after: number, ids: number[], limit: number): Promise<TailedStatusChange[]>;
  versionChangesAfter(after: number, ids: number[], limit: number): Promise<TailedVersionChange[]>;
  highestStatusChangeId(): Promise<number>;
  highestVersionChangeId(): Promise<number>;

  /** Enabled channels with PENDING notifications due, not leased, past their digest window. */
  dueChannels(now: Date, limit: number): Promise<string[]>;
  /**
   * Leases the channel until `leaseUntil` if no one holds it, and returns it with its due rows
   * (oldest first, at most `limit`); null when another worker holds it or nothing is due.
   */
  claimChannel(channelId: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedChannel | null>;
  /** Records a send (outbox rows, digest window, the channel's last success or error) and ends the lease. */
  finishDelivery(channelId: string, at: Date, outcome: DeliveryOutcome): Promise<void>;
  /** Ends the lease without recording anything (a send that could not run). */
  releaseChannel(channelId: string): Promise<void>;
}
