// Push services: Telegram (Bot API sendMessage), ntfy (publish with headers), Gotify (message API).
import { z } from 'zod';
import type { AlertNotification, SendContext, SendResult } from '../types.ts';
import { httpUrl, secretString } from './fields.ts';
import { joinUrl, jsonHeaders, postAndClassify } from './http.ts';
import { isDigest, notificationBody, notificationText, notificationTitle, truncate } from './render.ts';

// ---- Telegram

export const telegramSettings = z.strictObject({
  botToken: secretString('botToken').regex(/^\d+:[A-Za-z0-9_-]+$/, 'must look like 123456:ABC-DEF… (the token BotFather gave)'),
  /** A numeric chat id (negative for groups) or a public channel's @username. */
  chatId: z
    .union([z.string().trim(), z.number().int().transform(String)])
    .pipe(z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, 'must be a numeric chat id or an @channelname')),
});
export const telegramSecretFields = ['botToken'] as const;

/** Telegram's limit for one message's text. */
const TELEGRAM_MAX = 4096;

export function telegramPayload(settings: z.output<typeof telegramSettings>, notification: AlertNotification) {
  return { chat_id: settings.chatId, text: notificationText(notification, TELEGRAM_MAX), link_preview_options: { is_disabled: true } };
}

/** The Bot API's 429 body: { ok: false, parameters: { retry_after: seconds } }. */
function telegramRetryAfter(body: string): number | undefined {
  const value = (JSON.parse(body) as { parameters?: { retry_after?: unknown } }).parameters?.retry_after;
  return typeof value === 'number' && value >= 0 ? Math.ceil(value) : undefined;
}

export function sendTelegram(settings: z.output<typeof telegramSettings>, notification: AlertNotification, context: SendContext): Promise<SendResult> {
  return postAndClassify({
    url: joinUrl(context.telegramApiBase, `bot${settings.botToken}/sendMessage`),
    timeoutMs: context.timeoutMs,
    headers: { ...jsonHeaders },
    body: JSON.stringify(telegramPayload(settings, notification)),
    retryAfterFromBody: telegramRetryAfter,
  });
}

// ---- ntfy

const priority = (max: number) => z.number().int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`);

export const ntfySettings = z.strictObject({
  serverUrl: httpUrl.default('https://ntfy.sh'),
  topic: z.string().trim().regex(/^[-_A-Za-z0-9]{1,64}$/, 'must be 1–64 letters, digits, "-" or "_"'),
  /** An access token (tk_…) for protected topics; sent as a Bearer token. */
  token: secretString('token').nullish(),
  /** ntfy priority (1–5) of FIRING notifications; RESOLVED and TEST go out at the default (3). */
  priority: priority(5).nullish(),
});
export const ntfySecretFields = ['token'] as const;

const NTFY_TAGS = { FIRING: 'rotating_light', RESOLVED: 'white_check_mark', TEST: 'test_tube' } as const;
/** ntfy turns messages over 4,096 bytes into attachments; stay well below in UTF-8. */
const NTFY_MAX = 3000;

function isFiring(notification: AlertNotification): boolean {
  return isDigest(notification) ? notification.digest.some((item) => item.event === 'FIRING') : notification.event === 'FIRING';
}

/** Header values must be bytes: non-ASCII titles go as RFC 2047 encoded words, which ntfy decodes. */
export function headerText(text: string): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(oneLine) ? oneLine : `=?UTF-8?B?${Buffer.from(oneLine, 'utf8').toString('base64')}?=`;
}

export function ntfyRequest(settings: z.output<typeof ntfySettings>, notification: AlertNotification) {
  const tags = isDigest(notification)
    ? [...new Set(notification.digest.map((item) => NTFY_TAGS[item.event]))]
    : [NTFY_TAGS[notification.event]];
  return {
    url: joinUrl(settings.serverUrl, settings.topic),
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      title: headerText(truncate(notificationTitle(notification), 250)),
      priority: String(isFiring(notification) ? (settings.priority ?? 4) : 3),
      tags: ['harborforge', ...tags].join(','),
      ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
    },
    body: truncate(notificationBody(notification), NTFY_MAX),
  };
}

export function sendNtfy(settings: z.output<typeof ntfySettings>, notification: AlertNotification, context: SendContext): Promise<SendResult> {
  return postAndClassify({ ...ntfyRequest(settings, notification), timeoutMs: context.timeoutMs });
}

// ---- Gotify

export const gotifySettings = z.strictObject({
  serverUrl: httpUrl,
  /** The application token Gotify issued for HarborForge. */
  appToken: secretString('appToken'),
  /** Gotify priority (1–10) of FIRING notifications; RESOLVED go out at 4, TEST at 2. */
  priority: priority(10).nullish(),
});
export const gotifySecretFields = ['appToken'] as const;

export function gotifyPayload(settings: z.output<typeof gotifySettings>, notification: AlertNotification) {
  const level = isFiring(notification) ? (settings.priority ?? 8) : notification.event === 'TEST' ? 2 : 4;
  return { title: truncate(notificationTitle(notification), 250), message: notificationBody(notification), priority: level };
}

export function sendGotify(settings: z.output<typeof gotifySettings>, notification: AlertNotification, context: SendContext): Promise<SendResult> {
  return postAndClassify({
    url: joinUrl(settings.serverUrl, 'message'),
    timeoutMs: context.timeoutMs,
    headers: { ...jsonHeaders, 'x-gotify-key': settings.appToken },
    body: JSON.stringify(gotifyPayload(settings, notification)),
  });
}
