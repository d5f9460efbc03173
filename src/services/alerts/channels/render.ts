// Human text for chat and e-mail channels: one title line and a body, for one notification or a
// digest of several. Plain text (no Markdown), so that server names need no escaping anywhere.
import type { AlertNotification } from '../types.ts';

/** A digest lists at most this many notifications; the rest are counted. */
export const DIGEST_LINES = 50;

export function eventLabel(notification: AlertNotification): string {
  if (notification.event === 'FIRING' && notification.reminder) return 'FIRING (reminder)';
  return notification.event;
}

export function isDigest(notification: AlertNotification): notification is AlertNotification & { digest: AlertNotification[] } {
  return Array.isArray(notification.digest) && notification.digest.length > 0;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
}

export function notificationTitle(notification: AlertNotification): string {
  if (!isDigest(notification)) return `[${eventLabel(notification)}] ${notification.message}`;
  const counts = new Map<string, number>();
  for (const item of notification.digest) counts.set(item.event, (counts.get(item.event) ?? 0) + 1);
  const summary = [...counts].map(([event, count]) => `${count} ${event}`).join(', ');
  return `[DIGEST] ${notification.digest.length} alert notifications (${summary})`;
}

function detailLines(notification: AlertNotification): string[] {
  const lines = [notification.message];
  if (notification.rule) lines.push(`Rule: ${notification.rule.name} (${notification.rule.kind})`);
  if (notification.server) lines.push(`Server: ${notification.server.name} (${notification.server.identifier})`);
  if (notification.value !== undefined && notification.value !== null) lines.push(`Value: ${formatValue(notification.value)}`);
  lines.push(`At: ${notification.at.toISOString()}`);
  return lines;
}

function digestLines(items: AlertNotification[]): string[] {
  const lines = items.slice(0, DIGEST_LINES).map((item) => `[${eventLabel(item)}] ${item.message} (${item.at.toISOString()})`);
  if (items.length > DIGEST_LINES) lines.push(`… and ${items.length - DIGEST_LINES} more`);
  return lines;
}

export function notificationBody(notification: AlertNotification): string {
  return (isDigest(notification) ? digestLines(notification.digest) : detailLines(notification)).join('\n');
}

/** Cuts text to a service's length limit, saying so at the end. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const marker = '\n… (truncated)';
  return text.slice(0, Math.max(0, maxChars - marker.length)) + marker;
}

/** Title and body as one message, for services with a single text field. */
export function notificationText(notification: AlertNotification, maxChars: number): string {
  return truncate(`${notificationTitle(notification)}\n${notificationBody(notification)}`, maxChars);
}
