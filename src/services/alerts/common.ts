// Names and small helpers shared by the alert services (rules, channels, silences, evaluator, outbox).
import { z } from 'zod';

export const ALERT_RULE_KINDS = ['OFFLINE', 'LATE', 'METRIC', 'REBOOTED', 'VERSION_CHANGED'] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];
export const ALERT_METRICS = ['CPU_PCT', 'MEM_PCT', 'DISK_PCT', 'SWAP_PCT', 'LOAD1', 'LOAD5', 'LOAD15'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];
export const ALERT_OPERATORS = ['ABOVE', 'BELOW'] as const;
export type AlertOperator = (typeof ALERT_OPERATORS)[number];
export const ALERT_STATES = ['OK', 'PENDING', 'FIRING'] as const;
export type AlertStateName = (typeof ALERT_STATES)[number];
export const ALERT_EVENT_TYPES = ['PENDING', 'FIRING', 'RESOLVED', 'REMINDER', 'CANCELLED'] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

export const idList = (what: string, max: number) => z.array(z.string().min(1, `${what} ids must not be empty`)).max(max, `at most ${max}`).transform((ids) => [...new Set(ids)]);

/** JSON array columns (scope lists on rules and silences). */
export function parseList(json: string | null | undefined): string[] {
  if (!json) return [];
  try {
    const value = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** Scope of a rule or silence: serverIds and/or tags; both empty means every server. */
export interface Scope {
  serverIds: readonly string[];
  tags: readonly string[];
}

export function inScope(scope: Scope, serverId: string, hasAnyTag: (tags: readonly string[]) => boolean): boolean {
  if (scope.serverIds.length === 0 && scope.tags.length === 0) return true;
  return scope.serverIds.includes(serverId) || (scope.tags.length > 0 && hasAnyTag(scope.tags));
}
