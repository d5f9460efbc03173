// How rules, silences and scopes read in the page.
import { formatDuration } from '../../shared/format.ts';
import type { Metric, Rule, RuleKind, Silence, Weekday } from './api.ts';

export const RULE_KINDS: { kind: RuleKind; label: string }[] = [
  { kind: 'OFFLINE', label: 'Server offline' },
  { kind: 'LATE', label: 'Server late (or offline)' },
  { kind: 'METRIC', label: 'Metric threshold' },
  { kind: 'REBOOTED', label: 'Server rebooted' },
  { kind: 'VERSION_CHANGED', label: 'OpenClaw/plugin version changed' },
];

export const METRICS: { metric: Metric; label: string; unit: string }[] = [
  { metric: 'CPU_PCT', label: 'CPU', unit: ' %' },
  { metric: 'MEM_PCT', label: 'Memory', unit: ' %' },
  { metric: 'DISK_PCT', label: 'Disk', unit: ' %' },
  { metric: 'SWAP_PCT', label: 'Swap', unit: ' %' },
  { metric: 'LOAD1', label: 'Load (1 min)', unit: '' },
  { metric: 'LOAD5', label: 'Load (5 min)', unit: '' },
  { metric: 'LOAD15', label: 'Load (15 min)', unit: '' },
];

export const WEEKDAYS: Weekday[] = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
const DAY_LABEL: Record<Weekday, string> = { MON: 'Mon', TUE: 'Tue', WED: 'Wed', THU: 'Thu', FRI: 'Fri', SAT: 'Sat', SUN: 'Sun' };
export { DAY_LABEL };

export function ruleCondition(rule: Pick<Rule, 'kind' | 'metric' | 'operator' | 'threshold' | 'clearThreshold' | 'forSeconds'>): string {
  const hold = rule.forSeconds > 0 ? ` for ${formatDuration(rule.forSeconds)}` : '';
  if (rule.kind !== 'METRIC') return `${RULE_KINDS.find((item) => item.kind === rule.kind)?.label ?? rule.kind}${hold}`;
  const metric = METRICS.find((item) => item.metric === rule.metric);
  const unit = metric?.unit ?? '';
  const side = rule.operator === 'BELOW' ? 'below' : 'above';
  const clears = rule.clearThreshold != null && rule.clearThreshold !== rule.threshold ? ` (clears ${side === 'above' ? 'below' : 'above'} ${rule.clearThreshold}${unit})` : '';
  return `${metric?.label ?? rule.metric} ${side} ${rule.threshold}${unit}${clears}${hold}`;
}

/** "all servers", or the servers and tags the scope names. */
export function scopeText(serverIds: string[], tags: string[], names: Map<string, string>): string {
  if (serverIds.length === 0 && tags.length === 0) return 'All servers';
  const parts = serverIds.map((id) => names.get(id) ?? 'deleted server');
  for (const tag of tags) parts.push(`tag:${tag}`);
  return parts.join(', ');
}

function formatLocal(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function silenceWhen(silence: Pick<Silence, 'startsAt' | 'endsAt' | 'recurrence'>): string {
  if (silence.recurrence) {
    const { days, startTime, durationMinutes } = silence.recurrence;
    const bounded = silence.endsAt ? `, until ${formatLocal(silence.endsAt)}` : '';
    const ordered = WEEKDAYS.filter((day) => days.includes(day));
    return `Every ${ordered.map((day) => DAY_LABEL[day]).join(', ')} at ${startTime} UTC for ${formatDuration(durationMinutes * 60)}${bounded}`;
  }
  return `${silence.startsAt ? formatLocal(silence.startsAt) : 'now'} – ${silence.endsAt ? formatLocal(silence.endsAt) : 'open-ended'}`;
}
