// Alert evaluation, off the ingest commit path. Heartbeats and status changes reach it through the
// overview's in-memory fleet (src/services/overview.ts), which every instance keeps up to date from
// the events it hears: the engine reads the servers' views there rather than holding a second copy
// of the fleet (about 1.1 KB per server, 110 MB at 100,000). A server the overview takes in is
// marked dirty and a short timer evaluates dirty servers against the rules in memory. Only a transition touches the
// database: one transaction writes the new state (conditional on its seq, so that of several
// instances exactly one wins), the history row and the outbox rows. Time-based work (forSeconds
// elapsing, reminders, a silence ending) is found through the index on alert_states.dueAt.
//
// Events are fast but not durable: an instance killed between committing a status change and
// publishing it, or a message Redis dropped, would leave every engine unaware until the overview's
// periodic reload (if any). So each engine also tails what was committed to status_changes and version_changes
// (CommittedTail, every TAIL_MS): a row whose server this engine holds with another status or
// version makes it reload that server from the database into the overview, which evaluates it. Every instance does
// this (as every instance hears every event): the conditional commit keeps it to one notification
// per transition. What runs every second or on every transition reads and writes through
// db.alerts (src/db/alert-store.ts): on SQLite prepared statements, writes queued on the ingest's
// writer thread between heartbeat batches (never a Prisma transaction holding the write lock
// across the event loop while heartbeats wait for it). A restart needs no stored cursor: the start-up resync evaluates every server
// from the database, and OFFLINE / LATE / METRIC / VERSION_CHANGED are decided from that state.
import type { Services } from '../context.ts';
import type { FleetRow } from '../../db/store.ts';
import type { FleetEntry } from '../fleet-index.ts';
import type { OverviewFeed } from '../overview.ts';
import type { AlertStateRow, AlertTransition, TailedStatusChange, TailedVersionChange } from '../../db/alert-store.ts';
import { toServerView, type ServerView } from '../views.ts';
import { inScope } from './common.ts';
import { CommittedTail } from './committed-tail.ts';
import { decide, versionOf, type Decision, type StoredAlertState } from './evaluate.ts';
import { toAlertEventView, type AlertEventView } from './history.ts';
import type { AlertNotification } from './channels.ts';
import { listAlertRules, type AlertRuleView } from './rules.ts';
import { listSilences, silencedUntil, type SilenceView } from './silences.ts';

const FLUSH_MS = 100;
const DUE_POLL_MS = 1_000;
const TAIL_MS = 500;
const BATCH = 100;
/** First observations per bulk insert (8 columns each: well under SQLite's 32,766 variables). */
const BASELINE_BATCH = 500;

const toStored = (row: AlertStateRow): StoredAlertState => ({ ...row, state: row.state as StoredAlertState['state'] });

/**
 * Stored alert states by rule, then server: evaluating a heartbeat looks up one state per rule,
 * and at 333 heartbeats/s x 5 rules a joined string key per lookup was most of the evaluation's
 * CPU (and its garbage).
 */
class StateCache {
  private readonly byRule = new Map<string, Map<string, StoredAlertState>>();
  get(ruleId: string, serverId: string): StoredAlertState | undefined {
    return this.byRule.get(ruleId)?.get(serverId);
  }
  has(ruleId: string, serverId: string): boolean {
    return this.byRule.get(ruleId)?.has(serverId) ?? false;
  }
  set(ruleId: string, serverId: string, state: StoredAlertState): void {
    let ofRule = this.byRule.get(ruleId);
    if (!ofRule) this.byRule.set(ruleId, (ofRule = new Map()));
    ofRule.set(serverId, state);
  }
  deleteServer(serverId: string): void {
    for (const ofRule of this.byRule.values()) ofRule.delete(serverId);
  }
}

/** A server as committed: the stored status (what a status_changes row announced), not the clock's reading. */
const committedView = (row: FleetRow, now: Date): ServerView => ({ ...toServerView(row, row.state, null, now), ...(row.state ? { status: row.state.status } : {}) });

interface Pending {
  rule: AlertRuleView;
  server: ServerView;
  stored: StoredAlertState | null;
  decision: Decision;
}

export interface AlertEngineOptions {
  /** Called after notifications were committed (the local outbox worker sends at once). */
  onNotificationsQueued?: () => void;
}

export class AlertEngine {
  private readonly states = new StateCache();
  private rules: AlertRuleView[] = [];
  private silences: SilenceView[] = [];
  private enabledChannels = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly reboots = new Map<string, Date>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unlisten: (() => void)[] = [];
  private readonly statusTail: CommittedTail<TailedStatusChange>;
  private readonly versionTail: CommittedTail<TailedVersionChange>;
  private started: Promise<void> | null = null;
  private stopped = false;
  /** Transitions this instance committed (for /metrics-like checks and the benchmark). */
  committed = 0;
  /** Ids of alert events this instance published: its own transitions need no re-read when they come back. */
  private readonly ownEvents = new Set<string>();

  /** Servers this engine reloaded because a committed row disagreed with what it held (no event had told it). */
  reloadedFromTail = 0;

  constructor(
    private readonly services: Services,
    /** The fleet's views: the engine evaluates what the overview holds. */
    private readonly overview: OverviewFeed,
    private readonly options: AlertEngineOptions = {},
  ) {
    const { alerts } = services.db;
    this.statusTail = new CommittedTail((after, ids, limit) => alerts.statusChangesAfter(after, ids, limit), () => alerts.highestStatusChangeId());
    this.versionTail = new CommittedTail((after, ids, limit) => alerts.versionChangesAfter(after, ids, limit), () => alerts.highestVersionChangeId());
  }

  start(): Promise<void> {
    this.started ??= this.init();
    return this.started;
  }

  private async init(): Promise<void> {
    const { pubsub } = this.services;
    this.unlisten.push(
      this.overview.onEntry((serverId, entry, previous) => {
        if (!entry) return;
        this.noticeReboot(entry, previous);
        this.markDirty(serverId);
      }),
      pubsub.listen('fleet:event', (event) => {
        if (event.type === 'SERVER_DELETED') {
          this.states.deleteServer(event.serverId);
        } else if (event.type === 'REBOOTED') {
          this.reboots.set(event.serverId, new Date(event.at));
          this.markDirty(event.serverId);
        } else if (event.type === 'SERVER_UPDATED') {
          this.markDirty(event.serverId);
        }
      }),
      pubsub.listen('alert:config', (part) => void this.reloadConfig(part)),
      pubsub.listen('alert:event', (event) => {
        // Another instance's transition: take its state. This instance's own is already in memory.
        if (!this.ownEvents.delete(event.id)) void this.refreshState(event.ruleId, event.serverId);
      }),
    );
    await Promise.all([this.reloadConfig('rules', false), this.reloadConfig('silences', false), this.reloadConfig('channels', false), this.services.tags.ready()]);
    const rows = await this.services.db.prisma.alertState.findMany();
    for (const row of rows) this.states.set(row.ruleId, row.serverId, toStored(row));
    // Cursors first, then the fleet: a row committed in between is seen by one or the other.
    await Promise.all([this.statusTail.start(), this.versionTail.start()]);
    await this.overview.ready();
    for (const entry of this.overview.index.entries()) this.dirty.add(entry.id);
    this.scheduleFlush();
    const every = (ms: number, run: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => {
        if (this.stopped || !this.services.availability.up) return;
        run().catch((error) => this.report(error, what));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(DUE_POLL_MS, () => this.pollDue(), 'alert due-time poll');
    let tailing = false;
    every(TAIL_MS, async () => {
      if (tailing) return; // one poll at a time: the tails' cursors are not shared between calls
      tailing = true;
      try {
        await this.followCommitted();
      } finally {
        tailing = false;
      }
    }, 'alert tail of committed status and version changes');
  }

  /**
   * Uptime going backwards between two heartbeats the overview took in is a reboot, even when the
   * REBOOTED event itself was lost: it is recorded with the heartbeat's time, as the event is.
   */
  private noticeReboot(entry: FleetEntry, previous: FleetEntry | undefined): void {
    if (!previous || entry.heartbeatCount <= previous.heartbeatCount || entry.uptimeSeconds == null || previous.uptimeSeconds == null) return;
    if (entry.uptimeSeconds < previous.uptimeSeconds && entry.lastSeenAt != null) this.reboots.set(entry.id, new Date(entry.lastSeenAt));
  }

  /** The server as the overview holds it, with the status last announced (not the clock's reading). */
  private held(serverId: string): ServerView | undefined {
    return this.overview.index.byId.get(serverId)?.toView();
  }

  /** Rows committed since the last look whose server this engine holds otherwise: reload and evaluate those servers. */
  private async followCommitted(): Promise<void> {
    const nowMs = this.services.now().getTime();
    const [statuses, versions] = await Promise.all([this.statusTail.poll(nowMs), this.versionTail.poll(nowMs)]);
    const stale = new Set<string>();
    // The last row per server is what it was left at.
    const lastStatus = new Map(statuses.map((row) => [row.serverId, row.toStatus]));
    for (const [serverId, status] of lastStatus) if (this.overview.index.byId.get(serverId)?.status !== status) stale.add(serverId);
    const lastVersion = new Map(versions.map((row) => [row.serverId, versionOf(row)]));
    for (const [serverId, version] of lastVersion) {
      const held = this.overview.index.byId.get(serverId);
      if (!held || versionOf(held) !== version) stale.add(serverId);
    }
    if (!stale.size) return;
    const rows = await this.services.db.store.loadFleet({ serverIds: [...stale] });
    const now = this.services.now();
    // The overview takes them in (so its pages and fleetChanges are corrected too) and tells this engine.
    for (const row of rows) this.overview.take(committedView(row, now));
    this.reloadedFromTail += rows.length;
  }

  private report(error: unknown, what: string): void {
    if (!this.services.availability.reportFailure(error)) this.services.logger.error({ err: error }, `${what} failed`);
  }

  private async reloadConfig(part: 'rules' | 'silences' | 'channels', evaluate = true): Promise<void> {
    try {
      if (part === 'rules') this.rules = await listAlertRules(this.services);
      else if (part === 'silences') this.silences = await listSilences(this.services);
      else {
        const rows = await this.services.db.prisma.alertChannel.findMany({ where: { enabled: true }, select: { id: true } });
        this.enabledChannels = new Set(rows.map((row) => row.id));
      }
      if (!evaluate) return;
      if (part === 'rules') {
        for (const entry of this.overview.index.entries()) this.dirty.add(entry.id);
        this.scheduleFlush();
      } else if (part === 'silences') {
        // Alerts held back by a silence that was shortened or deleted get a look at once.
        await this.services.db.alerts.releaseHeldBack(this.services.now());
        await this.pollDue();
      }
    } catch (error) {
      this.report(error, `reloading alert ${part}`);
    }
  }

  private async refreshState(ruleId: string, serverId: string): Promise<void> {
    try {
      const [row] = await this.services.db.alerts.readStates([{ ruleId, serverId }]);
      if (row) this.states.set(ruleId, serverId, toStored(row));
    } catch (error) {
      this.report(error, 'refreshing an alert state');
    }
  }

  private markDirty(serverId: string): void {
    this.dirty.add(serverId);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (this.flushing) return this.scheduleFlush();
      this.flushing = this.flush()
        .catch((error) => this.report(error, 'alert evaluation'))
        .finally(() => {
          this.flushing = null;
        });
    }, FLUSH_MS);
    this.flushTimer.unref();
  }

  /** States whose due time has come: their servers are evaluated now. */
  private async pollDue(): Promise<void> {
    const due = await this.services.db.alerts.dueStates(this.services.now(), 1000);
    for (const row of due) {
      const cached = this.states.get(row.ruleId, row.serverId);
      if (!cached || cached.seq !== row.seq) await this.refreshState(row.ruleId, row.serverId);
      this.dirty.add(row.serverId);
    }
    if (due.length) this.scheduleFlush();
  }

  private hasAnyTag(serverId: string) {
    return (tags: readonly string[]) => this.services.tags.hasAny(serverId, tags);
  }

  /** Evaluates the dirty servers and commits what changed, in batches. */
  private async flush(): Promise<void> {
    if (!this.services.availability.up) return this.scheduleFlush();
    const now = this.services.now();
    const ids = [...this.dirty];
    this.dirty.clear();
    const pending: Pending[] = [];
    for (const serverId of ids) {
      if (!this.overview.index.byId.has(serverId)) continue;
      const rebootedAt = this.reboots.get(serverId) ?? null;
      this.reboots.delete(serverId);
      const tagged = this.hasAnyTag(serverId);
      // Made only for a rule that looks at it (none without rules: every heartbeat marks its server dirty).
      let server: ServerView | undefined;
      let silenced: Date | null | undefined;
      for (const rule of this.rules) {
        const stored = this.states.get(rule.id, serverId) ?? null;
        const applies = rule.enabled && inScope(rule, serverId, tagged);
        if (!applies && (!stored || stored.state === 'OK')) continue;
        server ??= this.held(serverId)!;
        silenced ??= silencedUntil(this.silences, serverId, tagged, now);
        const decision = decide(rule, server, stored, { now, silencedUntil: silenced, applies, rebootedAt });
        if (decision) pending.push({ rule, server, stored, decision });
      }
    }
    // A first observation (VERSION_CHANGED / REBOOTED watching starts) is no transition: no history,
    // no notification, nothing to claim. Written in bulk, they do not cost a transaction each.
    const baselines = pending.filter((p) => !p.stored && !p.decision.event && !p.decision.notify);
    const transitions = pending.filter((p) => p.stored || p.decision.event || p.decision.notify);
    // Between batches the event loop (and on SQLite the ingest writer, waiting for the write lock) gets a turn.
    const yieldTurn = () => new Promise((resolve) => setImmediate(resolve));
    for (let start = 0; start < baselines.length; start += BASELINE_BATCH) {
      await this.writeBaselines(baselines.slice(start, start + BASELINE_BATCH), now);
      await yieldTurn();
    }
    for (let start = 0; start < transitions.length; start += BATCH) {
      await this.commit(transitions.slice(start, start + BATCH), now);
      await yieldTurn();
    }
  }

  /** Creates state rows that only record what was observed (state OK, seq 0), and caches them. */
  private async writeBaselines(batch: Pending[], now: Date): Promise<void> {
    const rows = await this.services.db.alerts.insertBaselines(
      batch.map((p) => ({ ruleId: p.rule.id, serverId: p.server.id, since: p.decision.since, observed: p.decision.observed })),
      now,
    );
    // A row that existed already (another instance's, or an earlier attempt's) is cached as it is.
    for (const row of rows) this.states.set(row.ruleId, row.serverId, toStored(row));
  }

  /** Creates the state rows that do not exist yet (OK, seq 0), so that every transition is a conditional update. */
  private async ensureRows(batch: Pending[], now: Date): Promise<void> {
    const missing = batch.filter((p) => !p.stored);
    if (!missing.length) return;
    const rows = await this.services.db.alerts.insertBaselines(
      missing.map((p) => ({ ruleId: p.rule.id, serverId: p.server.id, since: now, observed: null })),
      now,
    );
    for (const row of rows) this.states.set(row.ruleId, row.serverId, toStored(row));
    // The decision was made from "no row" (OK, seq 0): if another instance created the row and moved
    // it on meanwhile, the conditional update on seq 0 fails, as it must.
    for (const p of missing) {
      const row = this.states.get(p.rule.id, p.server.id);
      p.stored = row ? { ...row, seq: 0 } : null;
    }
  }

  private async commit(all: Pending[], now: Date): Promise<void> {
    await this.ensureRows(all, now);
    const batch = all.filter((p) => p.stored);
    const transitions: AlertTransition[] = batch.map((p) => {
      const stored = p.stored!;
      const d = p.decision;
      const seq = stored.seq + 1;
      const next = { state: d.state, seq, since: d.since, value: d.value, observed: d.observed, notified: d.notified, lastNotifiedAt: d.lastNotifiedAt, dueAt: d.dueAt };
      const event = d.event
        ? { ruleId: p.rule.id, ruleName: p.rule.name, serverId: p.server.id, serverIdentifier: p.server.identifier, type: d.event, at: now, value: d.value, message: d.message, silenced: d.silenced }
        : null;
      const outbox: AlertTransition['outbox'] = [];
      if (d.notify) {
        const notification: AlertNotification = {
          event: d.notify.event,
          ...(d.notify.reminder ? { reminder: true } : {}),
          idempotencyKey: `${stored.id}:${seq}`,
          at: now,
          rule: { id: p.rule.id, name: p.rule.name, kind: p.rule.kind, metric: p.rule.metric, operator: p.rule.operator, threshold: p.rule.threshold },
          server: { id: p.server.id, identifier: p.server.identifier, name: p.server.name },
          value: d.value,
          message: d.message,
        };
        const payload = JSON.stringify(notification);
        for (const channelId of p.rule.channelIds) {
          if (this.enabledChannels.has(channelId)) outbox.push({ channelId, idempotencyKey: notification.idempotencyKey, payload });
        }
      }
      return { stateId: stored.id, expectedSeq: stored.seq, next, event, outbox };
    });
    const outcomes = await this.services.db.alerts.commitTransitions(transitions, now);
    const events: AlertEventView[] = [];
    const lost: Pending[] = [];
    let queued = 0;
    outcomes.forEach((outcome, i) => {
      const p = batch[i]!;
      if (!outcome.won) {
        lost.push(p);
        return;
      }
      this.states.set(p.rule.id, p.server.id, { ...p.stored!, ...transitions[i]!.next, state: p.decision.state });
      if (outcome.event) events.push(toAlertEventView(outcome.event));
      queued += transitions[i]!.outbox.length;
      this.committed++;
    });
    // Bounded: with Redis down, published events may never come back.
    if (this.ownEvents.size > 10_000) this.ownEvents.clear();
    for (const event of events) {
      this.ownEvents.add(event.id);
      this.services.pubsub.publish('alert:event', event);
    }
    // Another instance committed first: take its state; the next event or due time re-evaluates.
    for (const p of lost) await this.refreshState(p.rule.id, p.server.id);
    if (queued) this.options.onNotificationsQueued?.();
  }

  /** Waits until nothing is queued or being evaluated (tests, shutdown). */
  async idle(): Promise<void> {
    await this.started;
    while (this.flushing || this.flushTimer) {
      await this.flushing;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const unlisten of this.unlisten) unlisten();
    await this.started?.catch(() => undefined);
    await this.flushing;
  }
}
