// Alert rules: the list and a form for every rule kind (metric rules with threshold, clear
// threshold and hold time), scoped to servers and/or tags, sent to chosen channels.
import { useState } from 'preact/hooks';
import { GraphQLRequestError } from '../../shared/graphql.ts';
import { ConfigCard } from './ConfigCard.tsx';
import { createRule, deleteRule, type Channel, type Metric, type Operator, type Rule, type RuleKind, type ServerChoice } from './api.ts';
import { described, Field, FormError, mutationErrors, splitList, type Errors } from './form.tsx';
import { formatDuration } from '../../shared/format.ts';
import { METRICS, RULE_KINDS, ruleCondition, scopeText } from './rule-text.ts';
import { ServerPicker } from './ServerPicker.tsx';

interface Props {
  token: string;
  rules: Rule[];
  channels: Channel[];
  serverNames: Map<string, string>;
  onAuthFailure(error: GraphQLRequestError): void;
  onChange(rules: Rule[]): void;
  onServersPicked(servers: ServerChoice[]): void;
}

export function RulesCard({ token, rules, channels, serverNames, onAuthFailure, onChange, onServersPicked }: Props) {
  const channelName = new Map(channels.map((channel) => [channel.id, channel.name]));
  return (
    <ConfigCard
      name="rules"
      title="Rules"
      subtitle="When to notify"
      empty="No rule yet: nothing notifies anybody. Add one below."
      tableLabel="Alert rules"
      columns={['Rule', 'Condition', 'Scope', 'Channels']}
      items={rules}
      itemKey={(rule) => rule.id}
      rowData={(rule) => ({ 'data-rule': rule.name })}
      cells={(rule) => (
        <>
          <td>
            <span class="server-name">{rule.name}</span>
            {rule.enabled ? null : <span class="muted small">disabled</span>}
          </td>
          <td>
            {ruleCondition(rule)}
            <span class="muted small block">
              {rule.repeatIntervalSeconds ? `reminders every ${formatDuration(rule.repeatIntervalSeconds)}` : 'no reminders'}
              {rule.notifyOnResolve ? ', notifies on resolve' : ''}
            </span>
          </td>
          <td>{scopeText(rule.serverIds, rule.tags, serverNames)}</td>
          <td>{rule.channelIds.length ? rule.channelIds.map((id) => channelName.get(id) ?? 'deleted channel').join(', ') : <span class="muted">none (recorded only)</span>}</td>
        </>
      )}
      confirm={{ title: (rule) => `Delete the rule ${rule.name}?`, label: 'Delete rule', consequence: 'Its open alerts end without a RESOLVED notification.' }}
      remove={(rule) => deleteRule(token, rule.id)}
      onRemoved={(rule) => onChange(rules.filter((item) => item.id !== rule.id))}
      onAuthFailure={onAuthFailure}
    >
      <AddRuleForm
        token={token}
        channels={channels}
        onAuthFailure={onAuthFailure}
        onAdded={(rule, servers) => {
          onServersPicked(servers);
          onChange([...rules, rule]);
        }}
      />
    </ConfigCard>
  );
}

const RULE_FIELDS = ['name', 'kind', 'metric', 'operator', 'threshold', 'clearThreshold', 'forSeconds', 'repeatIntervalSeconds', 'tags', 'serverIds', 'channelIds'] as const;

interface RuleForm {
  name: string;
  kind: RuleKind;
  metric: Metric;
  operator: Operator;
  threshold: string;
  clearThreshold: string;
  forSeconds: string;
  repeatIntervalSeconds: string;
  tags: string;
  notifyOnResolve: boolean;
  channelIds: string[];
  servers: ServerChoice[];
}

const EMPTY: RuleForm = {
  name: '',
  kind: 'OFFLINE',
  metric: 'CPU_PCT',
  operator: 'ABOVE',
  threshold: '',
  clearThreshold: '',
  forSeconds: '',
  repeatIntervalSeconds: '',
  tags: '',
  notifyOnResolve: true,
  channelIds: [],
  servers: [],
};

function parseNumber(text: string, whole: boolean): number | undefined | 'invalid' {
  const value = text.trim();
  if (!value) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || (whole && !Number.isInteger(number))) return 'invalid';
  return number;
}

function AddRuleForm({ token, channels, onAuthFailure, onAdded }: { token: string; channels: Channel[]; onAuthFailure(error: GraphQLRequestError): void; onAdded(rule: Rule, servers: ServerChoice[]): void }) {
  const [form, setForm] = useState<RuleForm>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    setErrors((current) => (current[key] ? { ...current, [key]: undefined } : current));
  };
  const metric = form.kind === 'METRIC';

  const submit = async (event: Event) => {
    event.preventDefault();
    const local: Errors = {};
    const numbers = {
      threshold: parseNumber(form.threshold, false),
      clearThreshold: parseNumber(form.clearThreshold, false),
      forSeconds: parseNumber(form.forSeconds, true),
      repeatIntervalSeconds: parseNumber(form.repeatIntervalSeconds, true),
    };
    for (const [key, value] of Object.entries(numbers)) if (value === 'invalid') local[key] = key.endsWith('Seconds') ? 'A whole number of seconds.' : 'A number.';
    if (!form.name.trim()) local.name = 'Required.';
    if (metric && numbers.threshold === undefined) local.threshold = 'Required for a metric rule.';
    if (Object.keys(local).length) return setErrors(local);
    const value = (key: keyof typeof numbers) => numbers[key] as number | undefined;
    setBusy(true);
    try {
      const rule = await createRule(token, {
        name: form.name.trim(),
        kind: form.kind,
        ...(metric ? { metric: form.metric, operator: form.operator, threshold: value('threshold'), clearThreshold: value('clearThreshold') } : {}),
        forSeconds: value('forSeconds'),
        repeatIntervalSeconds: value('repeatIntervalSeconds'),
        notifyOnResolve: form.notifyOnResolve,
        serverIds: form.servers.map((server) => server.id),
        tags: splitList(form.tags),
        channelIds: form.channelIds,
      });
      onAdded(rule, form.servers);
      setForm(EMPTY);
      setErrors({});
    } catch (caught) {
      setErrors(mutationErrors(caught, RULE_FIELDS, onAuthFailure));
    } finally {
      setBusy(false);
    }
  };

  const text = (key: 'name' | 'threshold' | 'clearThreshold' | 'forSeconds' | 'repeatIntervalSeconds' | 'tags', label: string, hint?: string, numeric = false) => (
    <Field id={`rule-${key}`} label={label} hint={hint} error={errors[key]}>
      <input
        {...described(`rule-${key}`, errors[key], hint)}
        value={form[key]}
        inputMode={numeric ? 'decimal' : undefined}
        autocomplete="off"
        spellcheck={false}
        onInput={(event) => set(key, event.currentTarget.value)}
      />
    </Field>
  );

  return (
    <form class="alert-form" onSubmit={submit} noValidate aria-labelledby="add-rule-title">
      <h3 id="add-rule-title">Add rule</h3>
      <div class="form-grid">
        {text('name', 'Rule name')}
        <Field id="rule-kind" label="When" error={errors.kind}>
          <select id="rule-kind" value={form.kind} onChange={(event) => set('kind', event.currentTarget.value as RuleKind)}>
            {RULE_KINDS.map((option) => (
              <option key={option.kind} value={option.kind}>
                {option.label}
              </option>
            ))}
          </select>
        </Field>
        {metric ? (
          <>
            <Field id="rule-metric" label="Metric" error={errors.metric}>
              <select id="rule-metric" value={form.metric} onChange={(event) => set('metric', event.currentTarget.value as Metric)}>
                {METRICS.map((option) => (
                  <option key={option.metric} value={option.metric}>
                    {option.label}
                  </option>
                ))}
              </select>
            </Field>
            <Field id="rule-operator" label="Is" error={errors.operator}>
              <select id="rule-operator" value={form.operator} onChange={(event) => set('operator', event.currentTarget.value as Operator)}>
                <option value="ABOVE">above</option>
                <option value="BELOW">below</option>
              </select>
            </Field>
            {text('threshold', 'Threshold', undefined, true)}
            {text('clearThreshold', 'Clear threshold', 'Optional: resolves only past this (hysteresis)', true)}
          </>
        ) : null}
        {text('forSeconds', 'For (s)', 'Optional: how long before firing', true)}
        {text('repeatIntervalSeconds', 'Remind every (s)', 'Optional: reminders while firing', true)}
        <Field id="rule-servers" label="Servers" hint="None and no tags: every server" error={errors.serverIds} wide>
          <ServerPicker id="rule-servers" token={token} selected={form.servers} onChange={(servers) => set('servers', servers)} />
        </Field>
        {text('tags', 'Tags', 'Optional, comma-separated: servers with any of them')}
        <fieldset class="field field-wide checks" aria-describedby={errors.channelIds ? 'rule-channels-error' : undefined}>
          <legend class="field-label">Send to</legend>
          {channels.length === 0 ? <span class="field-hint">No channel yet: alerts are recorded but not sent.</span> : null}
          {channels.map((channel) => (
            <label key={channel.id} class="check">
              <input
                type="checkbox"
                checked={form.channelIds.includes(channel.id)}
                onChange={(event) =>
                  set('channelIds', event.currentTarget.checked ? [...form.channelIds, channel.id] : form.channelIds.filter((id) => id !== channel.id))
                }
              />
              {channel.name}
            </label>
          ))}
          {errors.channelIds ? (
            <span id="rule-channels-error" class="field-error">
              {errors.channelIds}
            </span>
          ) : null}
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={form.notifyOnResolve} onChange={(event) => set('notifyOnResolve', event.currentTarget.checked)} />
          Notify when resolved
        </label>
        <div class="form-submit">
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add rule'}
          </button>
        </div>
      </div>
      <FormError error={errors.form} />
    </form>
  );
}
