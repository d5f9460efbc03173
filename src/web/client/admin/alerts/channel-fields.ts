// What the "Add channel" form asks for, per kind, and how its text inputs become the settings
// object createAlertChannel takes. Mirrors the server's schemas (src/services/alerts/channels/);
// the server validates again and names the field when something is wrong.
import type { ChannelKind } from './api.ts';

export interface FieldSpec {
  name: string;
  label: string;
  type: 'text' | 'url' | 'secret' | 'number' | 'boolean';
  required?: boolean;
  hint?: string;
  placeholder?: string;
}

export const CHANNEL_KINDS: { kind: ChannelKind; label: string }[] = [
  { kind: 'WEBHOOK', label: 'Webhook' },
  { kind: 'SLACK', label: 'Slack' },
  { kind: 'DISCORD', label: 'Discord' },
  { kind: 'TELEGRAM', label: 'Telegram' },
  { kind: 'NTFY', label: 'ntfy' },
  { kind: 'GOTIFY', label: 'Gotify' },
  { kind: 'EMAIL', label: 'E-mail' },
];

export const KIND_LABEL = Object.fromEntries(CHANNEL_KINDS.map(({ kind, label }) => [kind, label])) as Record<ChannelKind, string>;

export const CHANNEL_FIELDS: Record<ChannelKind, FieldSpec[]> = {
  WEBHOOK: [
    { name: 'url', label: 'URL', type: 'url', required: true, placeholder: 'https://example.com/hooks/harborforge' },
    { name: 'secret', label: 'Signing secret', type: 'secret', hint: 'Optional: signs the body (X-HarborForge-Signature: sha256=…)' },
  ],
  SLACK: [{ name: 'url', label: 'Incoming webhook URL', type: 'secret', required: true, placeholder: 'https://hooks.slack.com/services/…' }],
  DISCORD: [
    { name: 'url', label: 'Webhook URL', type: 'secret', required: true, placeholder: 'https://discord.com/api/webhooks/…' },
    { name: 'username', label: 'Post as', type: 'text', hint: 'Optional author name' },
  ],
  TELEGRAM: [
    { name: 'botToken', label: 'Bot token', type: 'secret', required: true, placeholder: '123456:ABC-DEF…' },
    { name: 'chatId', label: 'Chat id', type: 'text', required: true, hint: 'Numeric id or @channelname' },
  ],
  NTFY: [
    { name: 'serverUrl', label: 'Server URL', type: 'url', placeholder: 'https://ntfy.sh', hint: 'Optional; default https://ntfy.sh' },
    { name: 'topic', label: 'Topic', type: 'text', required: true },
    { name: 'token', label: 'Access token', type: 'secret', hint: 'Optional, for protected topics' },
    { name: 'priority', label: 'Priority (1–5)', type: 'number', hint: 'Optional; FIRING default 4' },
  ],
  GOTIFY: [
    { name: 'serverUrl', label: 'Server URL', type: 'url', required: true, placeholder: 'https://gotify.example.com' },
    { name: 'appToken', label: 'Application token', type: 'secret', required: true },
    { name: 'priority', label: 'Priority (1–10)', type: 'number', hint: 'Optional; FIRING default 8' },
  ],
  EMAIL: [
    { name: 'to', label: 'To', type: 'text', required: true, placeholder: 'ops@example.com, oncall@example.com' },
    { name: 'from', label: 'From', type: 'text', hint: 'Optional; default SMTP_FROM' },
    { name: 'smtpHost', label: 'SMTP host', type: 'text', hint: 'Optional; default SMTP_HOST from the server environment' },
    { name: 'smtpPort', label: 'SMTP port', type: 'number' },
    { name: 'smtpUser', label: 'SMTP user', type: 'text' },
    { name: 'smtpPassword', label: 'SMTP password', type: 'secret' },
    { name: 'smtpSecure', label: 'TLS from the start (port 465)', type: 'boolean' },
  ],
};

export type FormValues = Record<string, string | boolean>;

/** Builds the settings object; empty optional fields are left out. Errors are keyed by field name. */
export function settingsFromForm(kind: ChannelKind, values: FormValues): { settings: Record<string, unknown>; errors: Record<string, string> } {
  const settings: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of CHANNEL_FIELDS[kind]) {
    const raw = values[field.name];
    if (field.type === 'boolean') {
      if (raw === true) settings[field.name] = true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (!text) {
      if (field.required) errors[field.name] = 'Required.';
      continue;
    }
    if (field.type === 'number') {
      if (!/^\d+$/.test(text)) errors[field.name] = 'A whole number.';
      else settings[field.name] = Number(text);
    } else {
      settings[field.name] = text;
    }
  }
  return { settings, errors };
}

/** One line that tells channels of the same kind apart, from the settings a query may show. */
export function channelSummary(kind: ChannelKind, settings: Record<string, unknown>): string {
  const text = (name: string) => (typeof settings[name] === 'string' || typeof settings[name] === 'number' ? String(settings[name]) : '');
  switch (kind) {
    case 'WEBHOOK':
      return text('url');
    case 'TELEGRAM':
      return `chat ${text('chatId')}`;
    case 'NTFY':
      return `${text('serverUrl').replace(/\/+$/, '')}/${text('topic')}`;
    case 'GOTIFY':
      return text('serverUrl');
    case 'EMAIL': {
      const to = settings.to;
      return `to ${Array.isArray(to) ? to.join(', ') : text('to')}`;
    }
    default:
      return text('username');
  }
}
