// Alert rules: create, change, delete, list. Validation names the offending field.
import { z } from 'zod';
import type { Services } from '../context.ts';
import { ServiceError, fromPrismaError } from '../errors.ts';
import { parseInput } from '../servers.ts';
import { tagListSchema } from '../server-tags.ts';
import { ALERT_METRICS, ALERT_OPERATORS, ALERT_RULE_KINDS, idList, parseList, type AlertMetric, type AlertOperator, type AlertRuleKind } from './common.ts';
import { announceAlertConfig } from './config-events.ts';

export interface AlertRuleView {
  id: string;
  name: string;
  kind: AlertRuleKind;
  metric: AlertMetric | null;
  operator: AlertOperator | null;
  threshold: number | null;
  clearThreshold: number | null;
  forSeconds: number;
  serverIds: string[];
  tags: string[];
  channelIds: string[];
  repeatIntervalSeconds: number | null;
  notifyOnResolve: boolean;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

type RuleRow = Awaited<ReturnType<Services['db']['prisma']['alertRule']['findUniqueOrThrow']>>;

export function toRuleView(row: RuleRow): AlertRuleView {
  return {
    ...row,
    kind: row.kind as AlertRuleKind,
    metric: row.metric as AlertMetric | null,
    operator: row.operator as AlertOperator | null,
    serverIds: parseList(row.serverIds),
    tags: parseList(row.tags),
    channelIds: parseList(row.channelIds),
  };
}

const ruleFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  kind: z.enum(ALERT_RULE_KINDS, { error: `must be one of ${ALERT_RULE_KINDS.join(', ')}` }),
  metric: z.enum(ALERT_METRICS, { error: `must be one of ${ALERT_METRICS.join(', ')}` }).nullish(),
  operator: z.enum(ALERT_OPERATORS, { error: 'must be ABOVE or BELOW' }).nullish(),
  threshold: z.number().finite().nullish(),
  clearThreshold: z.number().finite().nullish(),
  forSeconds: z.number().int('must be a whole number of seconds').min(0, 'must not be negative').max(604_800, 'must be at most 604800 seconds').nullish(),
  serverIds: idList('server', 1000).nullish(),
  tags: tagListSchema.nullish(),
  channelIds: idList('channel', 50).nullish(),
  repeatIntervalSeconds: z.number().int('must be a whole number of seconds').min(60, 'must be at least 60 seconds').max(604_800, 'must be at most 604800 seconds').nullish(),
  notifyOnResolve: z.boolean().nullish(),
  enabled: z.boolean().nullish(),
};

/** The checks that span fields, run on the rule as it will be stored (after an update's merge). */
const completeRule = z.object(ruleFields).superRefine((rule, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (rule.kind === 'METRIC') {
    if (!rule.metric) issue('metric', 'is required for METRIC rules');
    if (!rule.operator) issue('operator', 'is required for METRIC rules');
    if (rule.threshold == null) issue('threshold', 'is required for METRIC rules');
    if (rule.clearThreshold != null && rule.threshold != null && rule.operator) {
      if (rule.operator === 'ABOVE' && rule.clearThreshold > rule.threshold) issue('clearThreshold', `must be at most threshold (${rule.threshold}) for an ABOVE rule`);
      if (rule.operator === 'BELOW' && rule.clearThreshold < rule.threshold) issue('clearThreshold', `must be at least threshold (${rule.threshold}) for a BELOW rule`);
    }
  } else {
    for (const field of ['metric', 'operator', 'threshold', 'clearThreshold'] as const) {
      if (rule[field] != null) issue(field, `is only for METRIC rules (this one is ${rule.kind})`);
    }
  }
  if ((rule.kind === 'REBOOTED' || rule.kind === 'VERSION_CHANGED') && rule.forSeconds) issue('forSeconds', `does not apply to ${rule.kind} rules (they fire once per event)`);
});

export const createAlertRuleInputSchema = z.object(ruleFields);
export const updateAlertRuleInputSchema = z.object({ id: z.string().min(1), ...ruleFields, name: ruleFields.name.nullish(), kind: ruleFields.kind.nullish() });

async function checkReferences(services: Services, rule: { channelIds?: string[] | null; serverIds?: string[] | null }): Promise<void> {
  const { prisma } = services.db;
  if (rule.channelIds?.length) {
    const found = await prisma.alertChannel.findMany({ where: { id: { in: rule.channelIds } }, select: { id: true } });
    const missing = rule.channelIds.filter((id) => !found.some((row) => row.id === id));
    if (missing.length) throw new ServiceError('BAD_USER_INPUT', `channelIds: no alert channel with id ${missing.map((id) => `"${id}"`).join(', ')}`);
  }
  if (rule.serverIds?.length) {
    const found = await prisma.monitoredServer.findMany({ where: { id: { in: rule.serverIds } }, select: { id: true } });
    const missing = rule.serverIds.filter((id) => !found.some((row) => row.id === id));
    if (missing.length) throw new ServiceError('BAD_USER_INPUT', `serverIds: no server with id ${missing.map((id) => `"${id}"`).join(', ')}`);
  }
}

type RuleInput = z.output<typeof completeRule>;

function ruleData(rule: RuleInput) {
  return {
    name: rule.name,
    kind: rule.kind,
    metric: rule.metric ?? null,
    operator: rule.operator ?? null,
    threshold: rule.threshold ?? null,
    clearThreshold: rule.clearThreshold ?? null,
    forSeconds: rule.forSeconds ?? 0,
    serverIds: JSON.stringify(rule.serverIds ?? []),
    tags: JSON.stringify(rule.tags ?? []),
    channelIds: JSON.stringify(rule.channelIds ?? []),
    repeatIntervalSeconds: rule.repeatIntervalSeconds ?? null,
    notifyOnResolve: rule.notifyOnResolve ?? true,
    enabled: rule.enabled ?? true,
  };
}

export async function createAlertRule(services: Services, rawInput: unknown): Promise<AlertRuleView> {
  const rule = parseInput(completeRule, parseInput(createAlertRuleInputSchema, rawInput));
  await checkReferences(services, rule);
  const row = await services.db.prisma.alertRule.create({ data: ruleData(rule) });
  announceAlertConfig(services, 'rules');
  return toRuleView(row);
}

const notFound = (id: string) => `no alert rule with id "${id}"`;

export async function updateAlertRule(services: Services, rawInput: unknown): Promise<AlertRuleView> {
  const { id, ...changes } = parseInput(updateAlertRuleInputSchema, rawInput);
  const existing = await services.db.prisma.alertRule.findUnique({ where: { id } });
  if (!existing) throw new ServiceError('NOT_FOUND', notFound(id));
  const current = toRuleView(existing);
  // null or omitted keeps a field, except the METRIC-only fields, which a kind change clears.
  const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value != null));
  const merged = { ...current, ...given };
  if (given.kind && given.kind !== 'METRIC') for (const field of ['metric', 'operator', 'threshold', 'clearThreshold'] as const) if (given[field] == null) merged[field] = null;
  const rule = parseInput(completeRule, merged);
  await checkReferences(services, { channelIds: changes.channelIds, serverIds: changes.serverIds });
  const row = await services.db.prisma.alertRule.update({ where: { id }, data: ruleData(rule) });
  announceAlertConfig(services, 'rules');
  return toRuleView(row);
}

/** Deletes the rule with its alert states (no RESOLVED is sent for what was firing). */
export async function deleteAlertRule(services: Services, id: string): Promise<{ deletedRuleId: string }> {
  await services.db.prisma.alertRule.delete({ where: { id } }).catch((error) => {
    throw fromPrismaError(error, { notFound: notFound(id) });
  });
  announceAlertConfig(services, 'rules');
  return { deletedRuleId: id };
}

export async function listAlertRules(services: Services): Promise<AlertRuleView[]> {
  const rows = await services.db.prisma.alertRule.findMany({ orderBy: { createdAt: 'asc' }, take: 1000 });
  return rows.map(toRuleView);
}
