// The Alerts section's GraphQL operations (channels, rules, silences, incidents, alertEvents).
import { request } from '../../shared/graphql.ts';

export type ChannelKind = 'WEBHOOK' | 'SLACK' | 'DISCORD' | 'TELEGRAM' | 'NTFY' | 'GOTIFY' | 'EMAIL';
export type RuleKind = 'OFFLINE' | 'LATE' | 'METRIC' | 'REBOOTED' | 'VERSION_CHANGED';
export type Metric = 'CPU_PCT' | 'MEM_PCT' | 'DISK_PCT' | 'SWAP_PCT' | 'LOAD1' | 'LOAD5' | 'LOAD15';
export type Operator = 'ABOVE' | 'BELOW';
export type Weekday = 'MON' | 'TUE' | 'WED' | 'THU' | 'FRI' | 'SAT' | 'SUN';
export type AlertState = 'OK' | 'PENDING' | 'FIRING';

export interface Channel {
  id: string;
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  settings: Record<string, unknown>;
  secretsSet: string[];
  healthy: boolean;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface Rule {
  id: string;
  name: string;
  kind: RuleKind;
  enabled: boolean;
  metric: Metric | null;
  operator: Operator | null;
  threshold: number | null;
  clearThreshold: number | null;
  forSeconds: number;
  serverIds: string[];
  tags: string[];
  channelIds: string[];
  repeatIntervalSeconds: number | null;
  notifyOnResolve: boolean;
}

export interface WeeklyRecurrence {
  days: Weekday[];
  startTime: string;
  durationMinutes: number;
}

export interface Silence {
  id: string;
  comment: string;
  serverIds: string[];
  tags: string[];
  startsAt: string | null;
  endsAt: string | null;
  recurrence: WeeklyRecurrence | null;
  activeUntil: string | null;
}

export interface Alert {
  id: string;
  state: AlertState;
  ruleId: string;
  ruleName: string;
  ruleKind: string;
  serverId: string;
  serverIdentifier: string;
  serverName: string;
  since: string;
  value: number | null;
  notified: boolean;
}

export interface AlertEvent {
  id: string;
  type: 'PENDING' | 'FIRING' | 'RESOLVED' | 'REMINDER' | 'CANCELLED';
  at: string;
  message: string;
  ruleId: string;
  ruleName: string;
  serverId: string;
  serverIdentifier: string;
  silenced: boolean;
  value: number | null;
}

export interface ServerChoice {
  id: string;
  identifier: string;
  name: string;
}

const CHANNEL = `id name kind enabled settings secretsSet healthy lastSuccessAt lastError lastErrorAt`;
const RULE = `id name kind enabled metric operator threshold clearThreshold forSeconds serverIds tags channelIds repeatIntervalSeconds notifyOnResolve`;
const SILENCE = `id comment serverIds tags startsAt endsAt recurrence { days startTime durationMinutes } activeUntil`;
const ALERT = `id state ruleId ruleName ruleKind serverId serverIdentifier serverName since value notified`;
const EVENT = `id type at message ruleId ruleName serverId serverIdentifier silenced value`;

export const ALERT_EVENTS_SUBSCRIPTION = `subscription AdminAlertEvents { alertEvents { ${EVENT} } }`;

export interface AlertsData {
  channels: Channel[];
  rules: Rule[];
  silences: Silence[];
}

export async function fetchAlertConfig(token: string): Promise<AlertsData> {
  const data = await request<{ alertChannels: Channel[]; alertRules: Rule[]; silences: Silence[] }>(
    `query AdminAlertConfig { alertChannels { ${CHANNEL} } alertRules { ${RULE} } silences { ${SILENCE} } }`,
    {},
    token,
  );
  return { channels: data.alertChannels, rules: data.alertRules, silences: data.silences };
}

/** Current incidents (FIRING and PENDING), oldest first; bounded by the server's default page. */
export async function fetchAlerts(token: string): Promise<Alert[]> {
  return (await request<{ alerts: Alert[] }>(`query AdminAlerts { alerts(first: 500) { ${ALERT} } }`, {}, token)).alerts;
}

export async function fetchRecentAlertEvents(token: string): Promise<AlertEvent[]> {
  const data = await request<{ alertHistory: { edges: { node: AlertEvent }[] } }>(
    `query AdminAlertHistory { alertHistory(first: 20) { edges { node { ${EVENT} } } } }`,
    {},
    token,
  );
  return data.alertHistory.edges.map((edge) => edge.node);
}

export async function createChannel(token: string, input: { name: string; kind: ChannelKind; settings: Record<string, unknown> }): Promise<Channel> {
  const data = await request<{ createAlertChannel: { channel: Channel } }>(
    `mutation AdminCreateChannel($input: CreateAlertChannelInput!) { createAlertChannel(input: $input) { channel { ${CHANNEL} } } }`,
    { input },
    token,
  );
  return data.createAlertChannel.channel;
}

export async function testChannel(token: string, id: string): Promise<{ ok: boolean; error: string | null; channel: Channel }> {
  const data = await request<{ testAlertChannel: { ok: boolean; error: string | null; channel: Channel } }>(
    `mutation AdminTestChannel($id: ID!) { testAlertChannel(id: $id) { ok error channel { ${CHANNEL} } } }`,
    { id },
    token,
  );
  return data.testAlertChannel;
}

export async function deleteChannel(token: string, id: string): Promise<void> {
  await request(`mutation AdminDeleteChannel($id: ID!) { deleteAlertChannel(id: $id) { deletedChannelId } }`, { id }, token);
}

export type RuleInput = Omit<Rule, 'id' | 'enabled'>;

export async function createRule(token: string, input: Partial<RuleInput> & { name: string; kind: RuleKind }): Promise<Rule> {
  const data = await request<{ createAlertRule: { rule: Rule } }>(
    `mutation AdminCreateRule($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { rule { ${RULE} } } }`,
    { input },
    token,
  );
  return data.createAlertRule.rule;
}

export async function deleteRule(token: string, id: string): Promise<void> {
  await request(`mutation AdminDeleteRule($id: ID!) { deleteAlertRule(id: $id) { deletedRuleId } }`, { id }, token);
}

export interface SilenceInput {
  comment: string;
  serverIds?: string[];
  tags?: string[];
  startsAt?: string;
  endsAt?: string;
  recurrence?: WeeklyRecurrence;
}

export async function createSilence(token: string, input: SilenceInput): Promise<Silence> {
  const data = await request<{ createSilence: { silence: Silence } }>(
    `mutation AdminCreateSilence($input: CreateSilenceInput!) { createSilence(input: $input) { silence { ${SILENCE} } } }`,
    { input },
    token,
  );
  return data.createSilence.silence;
}

export async function deleteSilence(token: string, id: string): Promise<void> {
  await request(`mutation AdminDeleteSilence($id: ID!) { deleteSilence(id: $id) { deletedSilenceId } }`, { id }, token);
}

/** A few servers matching what the admin typed, for the scope pickers (never the whole fleet). */
export async function searchServers(token: string, search: string): Promise<ServerChoice[]> {
  const data = await request<{ servers: { edges: { node: ServerChoice }[] } }>(
    `query AdminServerChoices($search: String) { servers(first: 8, search: $search) { edges { node { id identifier name } } } }`,
    { search: search || null },
    token,
  );
  return data.servers.edges.map((edge) => edge.node);
}

/** Names for the server ids a rule or silence is scoped to (only those on screen, at most 100). */
export async function fetchServerNames(token: string, ids: string[]): Promise<ServerChoice[]> {
  const wanted = ids.slice(0, 100);
  if (wanted.length === 0) return [];
  const params = wanted.map((_, index) => `$i${index}: ID!`).join(', ');
  const fields = wanted.map((_, index) => `s${index}: server(id: $i${index}) { id identifier name }`).join(' ');
  const variables = Object.fromEntries(wanted.map((id, index) => [`i${index}`, id]));
  const data = await request<Record<string, ServerChoice | null>>(`query AdminServerNames(${params}) { ${fields} }`, variables, token);
  return Object.values(data).filter((server): server is ServerChoice => server !== null);
}
