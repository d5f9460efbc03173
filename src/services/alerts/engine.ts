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
// per transition. A restart needs no stored cursor: the start-up resync evaluates every server
// from the database, and OFFLINE / LATE / METRIC / VERSION_CHANGED are decided from that state.
import type { Services } from '../context.ts';
import type { FleetRow } from '../../db/store.ts';
import type { FleetEntry } from '../fleet-index.ts';
import type { OverviewFeed } from '../overview.ts';
import { toServerView, type ServerView } from '../views.ts';
import { inScope } from './common.ts';
import { CommittedTail, type TailRow } from './committed-tail.ts';
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

type StateRow = Awaited<ReturnType<Services['db']['prisma']['alertState']['findUniqueOrThrow']>>;
const toStored = (row: StateRow): StoredAlertState => ({ ...row, state: row.state as StoredAlertState['state'] });
const keyOf = (ruleId: string, serverId: string) => `${ruleId}\u0000${serverId}`;

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
  private readonly states = new Map<string, StoredAlertState>();
  private rules: AlertRuleView[] = [];
  private silences: SilenceView[] = [];
  private enabledChannels = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly reboots = new Map<string, Date>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unlisten: (() => void)[] = [];
  private readonly statusTail: CommittedTail<TailRow & { toStatus: string }>;
  private readonly versionTail: CommittedTail<TailRow & { openclawVersion: string | null; pluginVersion: string | null }>;
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
    const { prisma } = services.db;
    this.statusTail = new CommittedTail(
      (after, ids, limit) =>
        prisma.statusChange.findMany({
          where: { OR: [{ id: { gt: after } }, ...(ids.length ? [{ id: { in: ids } }] : [])] },
          select: { id: true, serverId: true, toStatus: true },
          orderBy: { id: 'asc' },
          take: limit,
        }),
      async () => (await prisma.statusChange.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0,
    );
    this.versionTail = new CommittedTail(
      async (after, ids, limit) =>
        (
          await prisma.versionChange.findMany({
            where: { OR: [{ id: { gt: BigInt(after) } }, ...(ids.length ? [{ id: { in: ids.map(BigInt) } }] : [])] },
            select: { id: true, serverId: true, openclawVersion: true, pluginVersion: true },
            orderBy: { id: 'asc' },
            take: limit,
          })
        ).map((row) => ({ ...row, id: Number(row.id) })),
      async () => Number((await prisma.versionChange.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0),
    );
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
          for (const key of [...this.states.keys()]) if (key.endsWith(`\u0000${event.serverId}`)) this.states.delete(key);
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
    for (const row of rows) this.states.set(keyOf(row.ruleId, row.serverId), toStored(row));
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
        await this.services.db.prisma.alertState.updateMany({ where: { state: 'FIRING', notified: false }, data: { dueAt: this.services.now() } });
        await this.pollDue();
      }
    } catch (error) {
      this.report(error, `reloading alert ${part}`);
    }
  }

  private async refreshState(ruleId: string, serverId: string): Promise<void> {
    try {
      const row = await this.services.db.prisma.alertState.findUnique({ where: { ruleId_serverId: { ruleId, serverId } } });
      if (row) this.states.set(keyOf(ruleId, serverId), toStored(row));
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
    const due = await this.services.db.prisma.alertState.findMany({
      where: { dueAt: { lte: this.services.now() } },
      select: { id: true, ruleId: true, serverId: true, dueAt: true, seq: true },
      orderBy: { dueAt: 'asc' },
      take: 1000,
    });
    for (const row of due) {
      const cached = this.states.get(keyOf(row.ruleId, row.serverId));
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
      const server = this.held(serverId);
      if (!server) continue;
      const rebootedAt = this.reboots.get(serverId) ?? null;
      this.reboots.delete(serverId);
      const tagged = this.hasAnyTag(serverId);
      let silenced: Date | null | undefined;
      for (const rule of this.rules) {
        const stored = this.states.get(keyOf(rule.id, serverId)) ?? null;
        const applies = rule.enabled && inScope(rule, serverId, tagged);
        if (!applies && (!stored || stored.state === 'OK')) continue;
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
    const { prisma } = this.services.db;
    const rowOf = (p: Pending) => ({ ruleId: p.rule.id, serverId: p.server.id, state: 'OK', seq: 0, since: p.decision.since, observed: p.decision.observed, updatedAt: now });
    let missing = batch;
    for (let attempt = 1; missing.length; attempt++) {
      try {
        await prisma.alertState.createMany({
          data: missing.map(rowOf),
          ...(this.services.db.provider === 'postgres' ? { skipDuplicates: true } : {}),
        } as Parameters<typeof prisma.alertState.createMany>[0]);
        break;
      } catch (error) {
        // SQLite has no skipDuplicates: some rows exist already (another writer, or an earlier
        // attempt cut short). Read what exists and insert the rest, in bulk still.
        if ((error as { code?: string }).code !== 'P2002' || attempt >= 3) throw error;
        await this.readStates(missing);
        missing = missing.filter((p) => !this.states.has(keyOf(p.rule.id, p.server.id)));
      }
    }
    await this.readStates(batch);
  }

  /** Reads the state rows of these rule x server pairs into the cache (one query per rule). */
  private async readStates(batch: Pending[]): Promise<void> {
    const byRule = new Map<string, string[]>();
    for (const p of batch) byRule.set(p.rule.id, [...(byRule.get(p.rule.id) ?? []), p.server.id]);
    for (const [ruleId, serverIds] of byRule) {
      const rows = await this.services.db.prisma.alertState.findMany({ where: { ruleId, serverId: { in: serverIds } } });
      for (const row of rows) this.states.set(keyOf(row.ruleId, row.serverId), toStored(row));
    }
  }

  /** Creates the state rows that do not exist yet (OK, seq 0), so that every transition is a conditional update. */
  private async ensureRows(batch: Pending[], now: Date): Promise<void> {
    const { prisma } = this.services.db;
    const missing = batch.filter((p) => !p.stored);
    if (!missing.length) return;
    await prisma.alertState.createMany({
      data: missing.map((p) => ({ ruleId: p.rule.id, serverId: p.server.id, state: 'OK', seq: 0, since: now, updatedAt: now })),
      ...(this.services.db.provider === 'postgres' ? { skipDuplicates: true } : {}),
    } as Parameters<typeof prisma.alertState.createMany>[0]).catch(async (error) => {
      // SQLite has no skipDuplicates: another writer created some rows first; create the rest one by one.
      if ((error as { code?: string }).code !== 'P2002') throw error;
      for (const p of missing) await prisma.alertState.create({ data: { ruleId: p.rule.id, serverId: p.server.id, state: 'OK', seq: 0, since: now, updatedAt: now } }).catch(() => undefined);
    });
    await this.readStates(missing);
    // The decision was made from "no row" (OK, seq 0): if another instance created the row and moved
    // it on meanwhile, the conditional update on seq 0 fails, as it must.
    for (const p of missing) {
      const row = this.states.get(keyOf(p.rule.id, p.server.id));
      p.stored = row ? { ...row, seq: 0 } : null;
    }
  }

  private async commit(all: Pending[], now: Date): Promise<void> {
    await this.ensureRows(all, now);
    const batch = all.filter((p) => p.stored);
    const { prisma } = this.services.db;
    const won: { p: Pending; seq: number; event: AlertEventView | null }[] = [];
    const lost: Pending[] = [];
    let queued = 0;
    await prisma.$transaction(async (tx) => {
      const events: { wonIndex: number; data: Parameters<typeof tx.alertEvent.create>[0]['data'] }[] = [];
      const outbox: { channelId: string; idempotencyKey: string; payload: string; status: string; dueAt: Date; createdAt: Date }[] = [];
      for (const p of batch) {
        const stored = p.stored!;
        const d = p.decision;
        const seq = stored.seq + 1;
        const updated = await tx.alertState.updateMany({
          where: { id: stored.id, seq: stored.seq },
          data: { state: d.state, seq, since: d.since, value: d.value, observed: d.observed, notified: d.notified, lastNotifiedAt: d.lastNotifiedAt, dueAt: d.dueAt, updatedAt: now },
        });
        if (updated.count !== 1) {
          lost.push(p);
          continue;
        }
        if (d.event) {
          events.push({ wonIndex: won.length, data: { ruleId: p.rule.id, ruleName: p.rule.name, serverId: p.server.id, serverIdentifier: p.server.identifier, type: d.event, at: now, value: d.value, message: d.message, silenced: d.silenced } });
        }
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
            if (this.enabledChannels.has(channelId)) outbox.push({ channelId, idempotencyKey: notification.idempotencyKey, payload, status: 'PENDING', dueAt: now, createdAt: now });
          }
        }
        won.push({ p, seq, event: null });
      }
      // History and outbox rows of the whole batch in one statement each (ids in insertion order).
      if (events.length) {
        const rows = await tx.alertEvent.createManyAndReturn({ data: events.map((e) => e.data) });
        rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        events.forEach((e, i) => (won[e.wonIndex]!.event = toAlertEventView(rows[i]!)));
      }
      if (outbox.length) {
        await tx.alertOutbox.createMany({ data: outbox });
        queued += outbox.length;
      }
    });
    for (const { p, seq } of won) {
      const d = p.decision;
      this.states.set(keyOf(p.rule.id, p.server.id), { ...p.stored!, seq, state: d.state, since: d.since, value: d.value, observed: d.observed, notified: d.notified, lastNotifiedAt: d.lastNotifiedAt, dueAt: d.dueAt });
    }
    this.committed += won.length;
    // Bounded: with Redis down, published events may never come back.
    if (this.ownEvents.size > 10_000) this.ownEvents.clear();
    for (const { event } of won) {
      if (!event) continue;
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
