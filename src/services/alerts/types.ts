// The contract between the alert engine (which decides what to send) and the channel senders
// (which know each service's wire format). Interface C in the team's agreements.

export type AlertChannelKind = 'WEBHOOK' | 'SLACK' | 'DISCORD' | 'TELEGRAM' | 'NTFY' | 'GOTIFY' | 'EMAIL';
export const ALERT_CHANNEL_KINDS: readonly AlertChannelKind[] = ['WEBHOOK', 'SLACK', 'DISCORD', 'TELEGRAM', 'NTFY', 'GOTIFY', 'EMAIL'];

export type AlertNotificationEvent = 'FIRING' | 'RESOLVED' | 'TEST';

export interface AlertNotification {
  event: AlertNotificationEvent;
  /** A repeat while still firing. */
  reminder?: boolean;
  idempotencyKey: string;
  at: Date;
  rule: { id: string; name: string; kind: string; metric?: string | null; operator?: string | null; threshold?: number | null } | null;
  server: { id: string; identifier: string; name: string } | null;
  /** The value that triggered it, where there is one. */
  value?: number | null;
  /** One human line, e.g. "web-01 is OFFLINE (no heartbeat for 95 s)". */
  message: string;
  /** Storm control: several notifications sent as one message. */
  digest?: AlertNotification[];
}

export type SendResult = { ok: true } | { ok: false; error: string; permanent: boolean; retryAfterSeconds?: number };

/** SMTP settings from the environment; a channel's own settings override them field by field. */
export interface SmtpDefaults {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  from?: string;
  secure?: boolean;
}

export interface SendOptions {
  timeoutMs?: number;
  telegramApiBase?: string;
  smtp?: SmtpDefaults;
}

/** What every sender gets: the validated settings plus the resolved options. */
export interface SendContext {
  timeoutMs: number;
  telegramApiBase: string;
  smtp: SmtpDefaults;
}
