import { builder } from '../builder.ts';
import { ALERT_CHANNEL_KINDS } from '../services/alerts/channels.ts';
import {
  createAlertChannel,
  deleteAlertChannel,
  listAlertChannels,
  testAlertChannel,
  updateAlertChannel,
  type AlertChannelView,
} from '../services/alerts/channel-admin.ts';

export const AlertChannelKindEnum = builder.enumType('AlertChannelKind', { values: ALERT_CHANNEL_KINDS });

export const AlertChannelRef = builder.objectRef<AlertChannelView>('AlertChannel').implement({
  description: 'Where alert notifications go. Secret settings are write-only: no query returns them.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: AlertChannelKindEnum }),
    enabled: t.exposeBoolean('enabled'),
    settings: t.expose('settings', { type: 'JSON', description: "The kind's settings without the secret fields." }),
    secretsSet: t.exposeStringList('secretsSet', { description: 'Names of the secret settings that are set (their values are never returned).' }),
    hasSecret: t.boolean({ resolve: (channel) => channel.secretsSet.length > 0 }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastSuccessAt: t.expose('lastSuccessAt', { type: 'DateTime', nullable: true, description: 'Last message delivered.' }),
    lastErrorAt: t.expose('lastErrorAt', { type: 'DateTime', nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'What the last failed send said.' }),
    healthy: t.boolean({
      description: 'False when the last send failed (no success since).',
      resolve: (c) => !c.lastErrorAt || (c.lastSuccessAt != null && c.lastSuccessAt > c.lastErrorAt),
    }),
  }),
});

const CreateAlertChannelInput = builder.inputType('CreateAlertChannelInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: AlertChannelKindEnum, required: true }),
    settings: t.field({ type: 'JSON', required: true, description: 'Per kind, e.g. WEBHOOK: { url, secret? }.' }),
    enabled: t.boolean({ description: 'Default true.' }),
  }),
});

const UpdateAlertChannelInput = builder.inputType('UpdateAlertChannelInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    settings: t.field({ type: 'JSON', description: 'Merged over the stored settings: a secret left out keeps its value.' }),
    enabled: t.boolean(),
  }),
});

const ChannelPayload = (name: string) =>
  builder.objectRef<{ channel: AlertChannelView }>(name).implement({ fields: (t) => ({ channel: t.expose('channel', { type: AlertChannelRef }) }) });

const TestAlertChannelPayload = builder.objectRef<{ ok: boolean; error: string | null; channel: AlertChannelView }>('TestAlertChannelPayload').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    error: t.exposeString('error', { nullable: true }),
    channel: t.expose('channel', { type: AlertChannelRef }),
  }),
});

const DeleteAlertChannelPayload = builder.objectRef<{ deletedChannelId: string }>('DeleteAlertChannelPayload').implement({
  fields: (t) => ({ deletedChannelId: t.exposeID('deletedChannelId') }),
});

builder.queryField('alertChannels', (t) =>
  t.field({ type: [AlertChannelRef], authScopes: { reader: true }, resolve: (_root, _args, { services }) => listAlertChannels(services) }),
);

builder.mutationFields((t) => ({
  createAlertChannel: t.field({
    type: ChannelPayload('CreateAlertChannelPayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateAlertChannelInput, required: true }) },
    resolve: async (_root, { input }, { services }) => ({ channel: await createAlertChannel(services, input) }),
  }),
  updateAlertChannel: t.field({
    type: ChannelPayload('UpdateAlertChannelPayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateAlertChannelInput, required: true }) },
    resolve: async (_root, { input }, { services }) => ({ channel: await updateAlertChannel(services, { ...input, id: String(input.id) }) }),
  }),
  deleteAlertChannel: t.field({
    type: DeleteAlertChannelPayload,
    authScopes: { admin: true },
    description: 'Deletes the channel and its undelivered notifications.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => deleteAlertChannel(services, String(id)),
  }),
  testAlertChannel: t.field({
    type: TestAlertChannelPayload,
    authScopes: { admin: true },
    description: 'Sends a message whose event is TEST through the channel now, and records the outcome as its health.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, config }) => testAlertChannel(services, String(id), { timeoutMs: config.alertSendTimeoutMs, telegramApiBase: config.telegramApiBase, smtp: config.smtp }),
  }),
}));
