// Slack and Discord incoming webhooks: one text message each. The webhook URL carries the
// service's token, so it is a secret (write-only) like a password.
import { z } from 'zod';
import type { AlertNotification, SendContext, SendResult } from '../types.ts';
import { httpUrl, shortText } from './fields.ts';
import { jsonHeaders, postAndClassify } from './http.ts';
import { notificationText } from './render.ts';

export const slackSettings = z.strictObject({
  url: httpUrl,
});
export const slackSecretFields = ['url'] as const;

/** Slack recommends keeping `text` under 4,000 characters. */
const SLACK_MAX = 3900;

export function slackPayload(notification: AlertNotification) {
  // Plain text: mrkdwn off, so that "<" or "*" in a server name is shown, not interpreted.
  return { text: notificationText(notification, SLACK_MAX), mrkdwn: false };
}

export function sendSlack(settings: z.output<typeof slackSettings>, notification: AlertNotification, context: SendContext): Promise<SendResult> {
  return postAndClassify({ url: settings.url, timeoutMs: context.timeoutMs, headers: { ...jsonHeaders }, body: JSON.stringify(slackPayload(notification)) });
}

export const discordSettings = z.strictObject({
  url: httpUrl,
  /** Shown as the message's author; the webhook's own name when absent. */
  username: shortText(80).nullish(),
});
export const discordSecretFields = ['url'] as const;

/** Discord rejects `content` over 2,000 characters. */
const DISCORD_MAX = 2000;

export function discordPayload(settings: z.output<typeof discordSettings>, notification: AlertNotification) {
  return {
    content: notificationText(notification, DISCORD_MAX),
    ...(settings.username ? { username: settings.username } : {}),
    // A server named "@everyone" must not ping anybody.
    allowed_mentions: { parse: [] as string[] },
  };
}

/** Discord's 429 body: { retry_after: seconds (float) }. */
function discordRetryAfter(body: string): number | undefined {
  const value = (JSON.parse(body) as { retry_after?: unknown }).retry_after;
  return typeof value === 'number' && value >= 0 ? Math.ceil(value) : undefined;
}

export function sendDiscord(settings: z.output<typeof discordSettings>, notification: AlertNotification, context: SendContext): Promise<SendResult> {
  return postAndClassify({
    url: settings.url,
    timeoutMs: context.timeoutMs,
    headers: { ...jsonHeaders },
    body: JSON.stringify(discordPayload(settings, notification)),
    retryAfterFromBody: discordRetryAfter,
  });
}
