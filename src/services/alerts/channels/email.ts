// E-mail through SMTP (nodemailer). The server comes from the environment (SMTP_*) unless the
// channel names its own host; then the channel's settings are used alone, so that the
// environment's password is never sent to a host the channel chose.
import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { AlertNotification, SendContext, SendResult, SmtpDefaults } from '../types.ts';
import { secretString } from './fields.ts';
import { notificationBody, notificationTitle, truncate } from './render.ts';

const address = z.email('must be an e-mail address');
const MAX_RECIPIENTS = 20;

export const emailSettings = z.strictObject({
  /** One address, a comma-separated list, or a list. */
  to: z
    .union([z.string().transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean)), z.array(z.string().trim())])
    .pipe(z.array(address).min(1, 'must name at least one address').max(MAX_RECIPIENTS, `must name at most ${MAX_RECIPIENTS} addresses`)),
  from: z.string().trim().min(3, 'must be an address such as "Monitor <monitor@example.com>"').max(300).nullish(),
  smtpHost: z.string().trim().regex(/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, 'must be a host name or IP address').max(253).nullish(),
  smtpPort: z.number().int('must be a whole number').min(1, 'must be a port (1–65535)').max(65535, 'must be a port (1–65535)').nullish(),
  smtpUser: z.string().min(1, 'must not be empty').max(300).nullish(),
  smtpPassword: secretString('smtpPassword').nullish(),
  /** true: TLS from the start (port 465); false: plain, upgraded by STARTTLS when offered. */
  smtpSecure: z.boolean().nullish(),
});
export const emailSecretFields = ['smtpPassword'] as const;

const DEFAULT_FROM = 'HarborForge Monitor <harborforge@localhost>';

export function resolveSmtp(settings: z.output<typeof emailSettings>, defaults: SmtpDefaults): SmtpDefaults {
  const own = settings.smtpHost
    ? { host: settings.smtpHost, port: settings.smtpPort ?? undefined, user: settings.smtpUser ?? undefined, password: settings.smtpPassword ?? undefined, secure: settings.smtpSecure ?? undefined }
    : { ...defaults, port: settings.smtpPort ?? defaults.port, secure: settings.smtpSecure ?? defaults.secure };
  return { ...own, from: settings.from ?? defaults.from ?? DEFAULT_FROM };
}

/** Message-IDs from the idempotency key: a resent notification is the same message to mail clients. */
function messageId(idempotencyKey: string): string {
  return `<${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200)}@harborforge.invalid>`;
}

export function emailMessage(settings: z.output<typeof emailSettings>, from: string, notification: AlertNotification) {
  return {
    from,
    to: settings.to,
    subject: truncate(`[HarborForge] ${notificationTitle(notification)}`, 250).replace(/\n/g, ' '),
    text: `${notificationBody(notification)}\n\n-- \nHarborForge Monitor\n`,
    messageId: messageId(notification.idempotencyKey),
    headers: { 'X-HarborForge-Event': notification.event, 'X-HarborForge-Idempotency-Key': notification.idempotencyKey },
  };
}

/** SMTP reply codes: 5xx permanent, 4xx transient; no reply (network, timeout) transient. */
export function classifySmtpError(error: unknown): SendResult {
  const { code, responseCode, response, message } = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const detail = [code, responseCode, (response ?? message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300)].filter(Boolean).join(' ');
  const permanent = typeof responseCode === 'number' ? responseCode >= 500 : code === 'EAUTH' || code === 'EENVELOPE';
  return { ok: false, error: `SMTP ${detail}`, permanent };
}

export async function sendEmail(settings: z.output<typeof emailSettings>, notification: AlertNotification, context: SendContext): Promise<SendResult> {
  const smtp = resolveSmtp(settings, context.smtp);
  if (!smtp.host) return { ok: false, error: 'smtpHost: no SMTP server configured (set SMTP_HOST or the channel\'s smtpHost)', permanent: true };
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port ?? (smtp.secure ? 465 : 587),
    secure: smtp.secure ?? false,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: context.timeoutMs,
    greetingTimeout: context.timeoutMs,
    socketTimeout: context.timeoutMs,
  });
  try {
    await transport.sendMail(emailMessage(settings, smtp.from!, notification));
    return { ok: true };
  } catch (error) {
    return classifySmtpError(error);
  } finally {
    transport.close();
  }
}
