// Alert channel senders (interface C): per-kind settings schemas, which settings are secrets, and
// one function that sends a notification through any kind and says whether a retry can help.
import type { z } from 'zod';
import { discordSecretFields, discordSettings, sendDiscord, sendSlack, slackSecretFields, slackSettings } from './channels/chat.ts';
import { emailSecretFields, emailSettings, sendEmail } from './channels/email.ts';
import {
  gotifySecretFields,
  gotifySettings,
  ntfySecretFields,
  ntfySettings,
  sendGotify,
  sendNtfy,
  sendTelegram,
  telegramSecretFields,
  telegramSettings,
} from './channels/push.ts';
import { sendWebhook, webhookSecretFields, webhookSettings } from './channels/webhook.ts';
import type { AlertChannelKind, AlertNotification, SendContext, SendOptions, SendResult, SmtpDefaults } from './types.ts';

export type { AlertChannelKind, AlertNotification, SendOptions, SendResult, SmtpDefaults } from './types.ts';
export { ALERT_CHANNEL_KINDS } from './types.ts';
export { SIGNATURE_HEADER, signBody } from './channels/webhook.ts';

export const channelSettingsSchemas = {
  WEBHOOK: webhookSettings,
  SLACK: slackSettings,
  DISCORD: discordSettings,
  TELEGRAM: telegramSettings,
  NTFY: ntfySettings,
  GOTIFY: gotifySettings,
  EMAIL: emailSettings,
} satisfies Record<AlertChannelKind, z.ZodType>;

export type ChannelSettings<K extends AlertChannelKind> = z.output<(typeof channelSettingsSchemas)[K]>;

/** Write-only settings: stored, used to send, never returned by any query. */
export const channelSecretFields: Record<AlertChannelKind, readonly string[]> = {
  WEBHOOK: webhookSecretFields,
  SLACK: slackSecretFields,
  DISCORD: discordSecretFields,
  TELEGRAM: telegramSecretFields,
  NTFY: ntfySecretFields,
  GOTIFY: gotifySecretFields,
  EMAIL: emailSecretFields,
};

export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
export const DEFAULT_TELEGRAM_API_BASE = 'https://api.telegram.org';

export type SettingsCheck<K extends AlertChannelKind> = { ok: true; settings: ChannelSettings<K> } | { ok: false; error: string };

/** Validates a channel's settings; the error names each offending field ("settings.url: …"). */
export function checkChannelSettings<K extends AlertChannelKind>(kind: K, settings: unknown): SettingsCheck<K> {
  const schema = (channelSettingsSchemas as Record<string, z.ZodType | undefined>)[kind];
  if (!schema) return { ok: false, error: `kind: unknown channel kind ${JSON.stringify(kind)}` };
  const result = schema.safeParse(settings ?? {});
  if (result.success) return { ok: true, settings: result.data as ChannelSettings<K> };
  const error = result.error.issues
    .map((issue) => `${['settings', ...issue.path.map(String)].join('.')}: ${issue.message}`)
    .join('; ');
  return { ok: false, error };
}

/** The settings without their secrets, plus which secrets are set: what queries may show. */
export function publicChannelSettings(kind: AlertChannelKind, settings: Record<string, unknown>): { settings: Record<string, unknown>; secretsSet: string[] } {
  const secrets = channelSecretFields[kind] ?? [];
  const visible: Record<string, unknown> = {};
  const secretsSet: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (!secrets.includes(key)) visible[key] = value;
    else if (value !== undefined && value !== null && value !== '') secretsSet.push(key);
  }
  return { settings: visible, secretsSet };
}

/** The message testAlertChannel sends: its payload says TEST. */
export function testNotification(at: Date, channelName?: string): AlertNotification {
  return {
    event: 'TEST',
    idempotencyKey: `test-${at.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
    at,
    rule: null,
    server: null,
    value: null,
    message: `Test notification from HarborForge Monitor${channelName ? ` to channel "${channelName}"` : ''}: this channel works.`,
  };
}

type Sender = (settings: any, notification: AlertNotification, context: SendContext) => Promise<SendResult>;
const senders: Record<AlertChannelKind, Sender> = {
  WEBHOOK: sendWebhook,
  SLACK: sendSlack,
  DISCORD: sendDiscord,
  TELEGRAM: sendTelegram,
  NTFY: sendNtfy,
  GOTIFY: sendGotify,
  EMAIL: sendEmail,
};

/**
 * Sends one notification (or a digest) through a channel. Never throws: invalid settings are a
 * permanent failure; network trouble, timeouts, 5xx, 408 and 429 are transient (429/503 with
 * the service's Retry-After); other 4xx are permanent.
 */
export async function sendAlertNotification(
  kind: AlertChannelKind,
  settings: unknown,
  notification: AlertNotification,
  options: SendOptions = {},
): Promise<SendResult> {
  const checked = checkChannelSettings(kind, settings);
  if (!checked.ok) return { ok: false, error: `invalid channel settings: ${checked.error}`, permanent: true };
  const context: SendContext = {
    timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
    telegramApiBase: options.telegramApiBase ?? DEFAULT_TELEGRAM_API_BASE,
    smtp: options.smtp ?? {},
  };
  try {
    return await senders[kind](checked.settings, notification, context);
  } catch (error) {
    // A sender bug must not kill the outbox worker; retrying may still help (e.g. after a fix).
    return { ok: false, error: `send failed: ${(error as Error)?.message ?? String(error)}`, permanent: false };
  }
}

/** The send options the server's configuration gives (ALERT_SEND_TIMEOUT_MS, TELEGRAM_API_BASE, SMTP_*). */
export function sendOptionsFromConfig(config: { alertSendTimeoutMs: number; telegramApiBase: string; smtp: SmtpDefaults }): SendOptions {
  return { timeoutMs: config.alertSendTimeoutMs, telegramApiBase: config.telegramApiBase, smtp: config.smtp };
}
