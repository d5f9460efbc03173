import { builder } from '../builder.ts';
import { ALERT_METRICS, ALERT_OPERATORS, ALERT_RULE_KINDS } from '../services/alerts/common.ts';
import { createAlertRule, deleteAlertRule, listAlertRules, updateAlertRule, type AlertRuleView } from '../services/alerts/rules.ts';

const AlertRuleKindEnum = builder.enumType('AlertRuleKind', {
  values: ALERT_RULE_KINDS,
  description: 'OFFLINE / LATE: the server has that status (LATE also while OFFLINE). METRIC: a telemetry value crosses a threshold. REBOOTED / VERSION_CHANGED: once per event.',
});
const AlertMetricEnum = builder.enumType('AlertMetric', { values: ALERT_METRICS });
const AlertOperatorEnum = builder.enumType('AlertOperator', { values: ALERT_OPERATORS });

export const AlertRuleRef = builder.objectRef<AlertRuleView>('AlertRule').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: AlertRuleKindEnum }),
    metric: t.expose('metric', { type: AlertMetricEnum, nullable: true }),
    operator: t.expose('operator', { type: AlertOperatorEnum, nullable: true }),
    threshold: t.exposeFloat('threshold', { nullable: true }),
    clearThreshold: t.exposeFloat('clearThreshold', { nullable: true, description: 'A FIRING metric alert resolves only once the value is back past this (default: threshold).' }),
    forSeconds: t.exposeInt('forSeconds', { description: 'How long the condition must hold before FIRING (PENDING meanwhile).' }),
    serverIds: t.exposeIDList('serverIds'),
    tags: t.exposeStringList('tags', { description: 'Servers carrying any of these tags are in scope (with serverIds; both empty: every server).' }),
    channelIds: t.exposeIDList('channelIds'),
    repeatIntervalSeconds: t.exposeInt('repeatIntervalSeconds', { nullable: true, description: 'Reminders while FIRING.' }),
    notifyOnResolve: t.exposeBoolean('notifyOnResolve'),
    enabled: t.exposeBoolean('enabled'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ruleInputFields = (t: PothosSchemaTypes.InputFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<any>, 'InputObject'>) => ({
  metric: t.field({ type: AlertMetricEnum, description: 'METRIC rules only.' }),
  operator: t.field({ type: AlertOperatorEnum, description: 'METRIC rules only.' }),
  threshold: t.float({ description: 'METRIC rules only.' }),
  clearThreshold: t.float({ description: 'METRIC rules only: hysteresis, on the resolving side of threshold.' }),
  forSeconds: t.int({ description: 'Default 0.' }),
  serverIds: t.idList(),
  tags: t.stringList(),
  channelIds: t.idList(),
  repeatIntervalSeconds: t.int(),
  notifyOnResolve: t.boolean({ description: 'Default true.' }),
  enabled: t.boolean({ description: 'Default true.' }),
});

const CreateAlertRuleInput = builder.inputType('CreateAlertRuleInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: AlertRuleKindEnum, required: true }),
    ...ruleInputFields(t as any),
  }),
});

const UpdateAlertRuleInput = builder.inputType('UpdateAlertRuleInput', {
  description: 'Fields left out (or null) keep their values.',
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    kind: t.field({ type: AlertRuleKindEnum }),
    ...ruleInputFields(t as any),
  }),
});

const RulePayload = (name: string) =>
  builder.objectRef<{ rule: AlertRuleView }>(name).implement({ fields: (t) => ({ rule: t.expose('rule', { type: AlertRuleRef }) }) });

const DeleteAlertRulePayload = builder.objectRef<{ deletedRuleId: string }>('DeleteAlertRulePayload').implement({
  fields: (t) => ({ deletedRuleId: t.exposeID('deletedRuleId') }),
});

const ids = (list: readonly unknown[] | null | undefined) => list?.map(String);

builder.queryField('alertRules', (t) =>
  t.field({ type: [AlertRuleRef], authScopes: { reader: true }, resolve: (_root, _args, { services }) => listAlertRules(services) }),
);

builder.mutationFields((t) => ({
  createAlertRule: t.field({
    type: RulePayload('CreateAlertRulePayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateAlertRuleInput, required: true }) },
    resolve: async (_root, { input }, { services }) => ({
      rule: await createAlertRule(services, { ...input, serverIds: ids(input.serverIds), channelIds: ids(input.channelIds) }),
    }),
  }),
  updateAlertRule: t.field({
    type: RulePayload('UpdateAlertRulePayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateAlertRuleInput, required: true }) },
    resolve: async (_root, { input }, { services }) => ({
      rule: await updateAlertRule(services, { ...input, id: String(input.id), serverIds: ids(input.serverIds), channelIds: ids(input.channelIds) }),
    }),
  }),
  deleteAlertRule: t.field({
    type: DeleteAlertRulePayload,
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => deleteAlertRule(services, String(id)),
  }),
}));
