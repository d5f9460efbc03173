// Generic webhook: the notification as JSON, signed with HMAC-SHA256 when the channel has a secret.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { AlertNotification, SendContext, SendResult } from '../types.ts';
import { httpUrl, optionalSecret } from './fields.ts';
import { jsonHeaders, postAndClassify } from './http.ts';

export const webhookSettings = z.strictObject({
  url: httpUrl,
  /** Signs the body: X-HarborForge-Signature: sha256=<hex HMAC-SHA256 of the exact body>. */
  secret: optionalSecret('secret'),
});
export const webhookSecretFields = ['secret'] as const;

export const SIGNATURE_HEADER = 'X-HarborForge-Signature';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

interface WebhookPayload {
  event: AlertNotification['event'];
  reminder: boolean;
  idempotencyKey: string;
  at: string;
  rule: AlertNotification['rule'];
  server: AlertNotification['server'];
  value: number | null;
  message: string;
  digest?: WebhookPayload[];
}

export function webhookPayload(notification: AlertNotification): WebhookPayload {
  return {
    event: notification.event,
    reminder: notification.reminder ?? false,
    idempotencyKey: notification.idempotencyKey,
    at: notification.at.toISOString(),
    rule: notification.rule,
    server: notification.server ? { id: notification.server.id, identifier: notification.server.identifier, name: notification.server.name } : null,
    value: notification.value ?? null,
    message: notification.message,
    ...(notification.digest?.length ? { digest: notification.digest.map(webhookPayload) } : {}),
  };
}

export function sendWebhook(settings: z.output<typeof webhookSettings>, notification: AlertNotification, context: SendContext): Promise<SendResult> {
  const body = JSON.stringify(webhookPayload(notification));
  return postAndClassify({
    url: settings.url,
    timeoutMs: context.timeoutMs,
    body,
    headers: {
      ...jsonHeaders,
      'idempotency-key': notification.idempotencyKey,
      'x-harborforge-event': notification.event,
      ...(settings.secret ? { [SIGNATURE_HEADER]: signBody(settings.secret, body) } : {}),
    },
  });
}
