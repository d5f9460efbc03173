// The alert state machine as a pure function: given a rule, the server as last seen, the stored
// state and the silences in force, what (if anything) must change. The engine (engine.ts) commits
// what this decides; keeping it pure keeps every rule of the issue testable in one place.
import type { AlertStateRow } from '../../db/alert-store.ts';
import type { ServerView } from '../views.ts';
import type { AlertEventType, AlertMetric, AlertStateName } from './common.ts';
import type { AlertRuleView } from './rules.ts';

/** An alert_states row as decisions read it (its rule and server are the caller's). */
export type StoredAlertState = Omit<AlertStateRow, 'ruleId' | 'serverId' | 'state'> & { state: AlertStateName };

/** A change to commit. `notify` puts a notification in the outbox for each of the rule's channels. */
export interface Decision {
  state: AlertStateName;
  since: Date;
  value: number | null;
  observed: string | null;
  notified: boolean;
  lastNotifiedAt: Date | null;
  dueAt: Date | null;
  /** The history row to write (null: only the state row changes, e.g. a new due time). */
  event: AlertEventType | null;
  notify: { event: 'FIRING' | 'RESOLVED'; reminder: boolean } | null;
  /** Recorded, but held back by a silence. */
  silenced: boolean;
  message: string;
}

export interface Circumstances {
  now: Date;
  /** The end of the silence covering this server now, or null. */
  silencedUntil: Date | null;
  /** False when the rule no longer applies (disabled, or the server left its scope): it resolves. */
  applies: boolean;
  /** A REBOOTED event for the server, with its time (REBOOTED rules). */
  rebootedAt?: Date | null;
}

const METRIC_FIELD: Record<AlertMetric, (v: ServerView) => number | null> = {
  CPU_PCT: (v) => v.cpuPct,
  MEM_PCT: (v) => v.memPct,
  DISK_PCT: (v) => v.diskPct,
  SWAP_PCT: (v) => v.swapPct,
  LOAD1: (v) => v.loadAvg?.[0] ?? null,
  LOAD5: (v) => v.loadAvg?.[1] ?? null,
  LOAD15: (v) => v.loadAvg?.[2] ?? null,
};

export const versionOf = (v: Pick<ServerView, 'openclawVersion' | 'pluginVersion'>) =>
  v.openclawVersion == null && v.pluginVersion == null ? null : `openclaw ${v.openclawVersion ?? '?'}, plugin ${v.pluginVersion ?? '?'}`;

const fmt = (value: number | null) => (value == null ? '?' : Number.isInteger(value) ? String(value) : value.toFixed(2));

function silenceFor(server: ServerView, now: Date): number | null {
  return server.lastSeenAt ? Math.round((now.getTime() - new Date(server.lastSeenAt).getTime()) / 1000) : null;
}

/**
 * The rule's condition now: `active` true/false, or null when the rule cannot tell (a metric not
 * reported) or is suspended (a METRIC rule of an OFFLINE server: the OFFLINE rule speaks).
 */
function condition(rule: AlertRuleView, server: ServerView, firing: boolean): { active: boolean | null; suspended: boolean; value: number | null } {
  switch (rule.kind) {
    case 'OFFLINE':
      return { active: server.status === 'OFFLINE', suspended: false, value: silenceFor(server, new Date()) };
    case 'LATE':
      return { active: server.status === 'LATE' || server.status === 'OFFLINE', suspended: false, value: null };
    case 'METRIC': {
      if (server.status === 'OFFLINE') return { active: null, suspended: true, value: null };
      const value = METRIC_FIELD[rule.metric!](server);
      if (value == null) return { active: null, suspended: false, value: null };
      const threshold = rule.threshold!;
      const clear = rule.clearThreshold ?? threshold;
      // Hysteresis: once FIRING, only crossing the clear threshold resolves it.
      const active = rule.operator === 'ABOVE' ? (firing ? value >= clear : value > threshold) : firing ? value <= clear : value < threshold;
      return { active, suspended: false, value };
    }
    default:
      return { active: false, suspended: false, value: null };
  }
}

function describe(rule: AlertRuleView, server: ServerView, event: 'FIRING' | 'RESOLVED', value: number | null, extra = ''): string {
  const who = server.identifier;
  if (rule.kind === 'OFFLINE' || rule.kind === 'LATE') {
    if (event === 'RESOLVED') return `${who} is ${server.status} again (rule "${rule.name}")${extra}`;
    const silent = silenceFor(server, new Date());
    return `${who} is ${server.status}${silent != null ? ` (no heartbeat for ${silent} s)` : ''} (rule "${rule.name}")`;
  }
  if (rule.kind === 'METRIC') {
    const side = rule.operator === 'ABOVE' ? 'above' : 'below';
    if (event === 'RESOLVED') return `${who}: ${rule.metric} ${extra || `back to ${fmt(value)}`} (rule "${rule.name}")`;
    return `${who}: ${rule.metric} ${fmt(value)} ${side} ${fmt(rule.threshold)} (rule "${rule.name}")`;
  }
  return `${who}: ${extra} (rule "${rule.name}")`;
}

/** When the stored state next needs a look without any event. */
function nextDue(rule: AlertRuleView, s: Pick<Decision, 'state' | 'since' | 'notified' | 'lastNotifiedAt'>, silencedUntil: Date | null): Date | null {
  if (s.state === 'PENDING') return new Date(s.since.getTime() + rule.forSeconds * 1000);
  if (s.state !== 'FIRING') return null;
  if (!s.notified) return silencedUntil;
  if (rule.repeatIntervalSeconds && s.lastNotifiedAt) {
    const reminder = new Date(s.lastNotifiedAt.getTime() + rule.repeatIntervalSeconds * 1000);
    return silencedUntil && silencedUntil > reminder ? silencedUntil : reminder;
  }
  return null;
}

export function decide(rule: AlertRuleView, server: ServerView, stored: StoredAlertState | null, c: Circumstances): Decision | null {
  const { now } = c;
  const current: StoredAlertState = stored ?? { id: '', state: 'OK', seq: 0, since: now, value: null, observed: null, notified: false, lastNotifiedAt: null, dueAt: null };
  const silenced = c.silencedUntil != null;
  const base = { value: current.value, observed: current.observed, notified: current.notified, lastNotifiedAt: current.lastNotifiedAt, silenced: false };

  if (rule.kind === 'REBOOTED' || rule.kind === 'VERSION_CHANGED') {
    if (!c.applies) return null;
    const seen = rule.kind === 'REBOOTED' ? (c.rebootedAt ? c.rebootedAt.toISOString() : null) : versionOf(server);
    if (seen == null || seen === current.observed) return null;
    // The first version seen is where watching starts, not a change.
    if (rule.kind === 'VERSION_CHANGED' && current.observed == null) {
      return { ...base, state: 'OK', since: current.since, observed: seen, dueAt: null, event: null, notify: null, message: '' };
    }
    const what = rule.kind === 'REBOOTED' ? 'rebooted' : `changed version: ${current.observed} -> ${seen}`;
    return {
      ...base,
      state: 'OK',
      since: now,
      observed: seen,
      dueAt: null,
      event: 'FIRING',
      notify: silenced ? null : { event: 'FIRING', reminder: false },
      silenced,
      lastNotifiedAt: silenced ? current.lastNotifiedAt : now,
      message: describe(rule, server, 'FIRING', null, what),
    };
  }

  const firing = current.state === 'FIRING';
  const cond = c.applies ? condition(rule, server, firing) : { active: false, suspended: false, value: null };
  const value = cond.value ?? current.value;

  if (current.state === 'OK') {
    if (cond.active !== true) return null;
    if (rule.forSeconds > 0) {
      const since = now;
      return { ...base, state: 'PENDING', since, value, notified: false, dueAt: nextDue(rule, { state: 'PENDING', since, notified: false, lastNotifiedAt: null }, null), event: 'PENDING', notify: null, message: describe(rule, server, 'FIRING', value) };
    }
    return fire(rule, server, value, c);
  }

  if (current.state === 'PENDING') {
    if (cond.active !== true) return { ...base, state: 'OK', since: now, value, dueAt: null, event: 'CANCELLED', notify: null, message: `${server.identifier}: condition of rule "${rule.name}" cleared before forSeconds elapsed` };
    if (now.getTime() >= current.since.getTime() + rule.forSeconds * 1000) return fire(rule, server, value, c);
    return null;
  }

  // FIRING
  if (cond.active === false || cond.suspended) {
    const notify = current.notified && rule.notifyOnResolve;
    const extra = cond.suspended ? 'suspended while the server is OFFLINE' : c.applies ? '' : 'rule no longer applies';
    return {
      ...base,
      state: 'OK',
      since: now,
      value,
      notified: false,
      dueAt: null,
      event: 'RESOLVED',
      notify: notify ? { event: 'RESOLVED', reminder: false } : null,
      // Held back by a silence: a FIRING that was never sent resolves without a message.
      silenced: !current.notified,
      message: describe(rule, server, 'RESOLVED', value, extra),
    };
  }
  // Still firing (or no data to tell): a FIRING held back by a silence that has ended goes out now;
  // a reminder is due; or only the due time moves (a silence was extended).
  if (!current.notified && !silenced) {
    return { ...base, state: 'FIRING', since: current.since, value, notified: true, lastNotifiedAt: now, dueAt: nextDue(rule, { state: 'FIRING', since: current.since, notified: true, lastNotifiedAt: now }, null), event: 'FIRING', notify: { event: 'FIRING', reminder: false }, message: describe(rule, server, 'FIRING', value) };
  }
  const due = current.dueAt && current.dueAt <= now;
  if (!due) return null;
  if (current.notified && !silenced && rule.repeatIntervalSeconds && current.lastNotifiedAt && now.getTime() >= current.lastNotifiedAt.getTime() + rule.repeatIntervalSeconds * 1000) {
    return { ...base, state: 'FIRING', since: current.since, value, lastNotifiedAt: now, dueAt: nextDue(rule, { state: 'FIRING', since: current.since, notified: true, lastNotifiedAt: now }, null), event: 'REMINDER', notify: { event: 'FIRING', reminder: true }, message: describe(rule, server, 'FIRING', value) };
  }
  return { ...base, state: 'FIRING', since: current.since, value, dueAt: nextDue(rule, current, c.silencedUntil) ?? new Date(now.getTime() + 60_000), event: null, notify: null, message: '' };
}

function fire(rule: AlertRuleView, server: ServerView, value: number | null, c: Circumstances): Decision {
  const silenced = c.silencedUntil != null;
  const s = { state: 'FIRING' as const, since: c.now, notified: !silenced, lastNotifiedAt: silenced ? null : c.now };
  return {
    ...s,
    value,
    observed: null,
    dueAt: nextDue(rule, s, c.silencedUntil),
    event: 'FIRING',
    notify: silenced ? null : { event: 'FIRING', reminder: false },
    silenced,
    message: describe(rule, server, 'FIRING', value),
  };
}
