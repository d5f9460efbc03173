// The outbox worker: sends what the engine committed to alert_outbox. A channel is claimed by a
// conditional update of its lease (so of several instances one sends to it at a time), then every
// notification due for it goes out, several as one digest (storm control: after a message, what
// falls due within ALERT_DIGEST_WINDOW_MS waits and goes out together). Failures are retried with
// exponential backoff and jitter for ALERT_RETRY_HOURS; permanent ones (4xx but 408/429, invalid
// settings) are not. A process killed mid-send leaves its rows PENDING: they go out once the lease
// expires, with the same idempotency key.
import type { Services } from '../context.ts';
import type { OutboxRow } from '../../db/alert-store.ts';
import { channelSettingsOf } from './channel-admin.ts';
import { sendAlertNotification, type AlertChannelKind, type AlertNotification, type SendOptions, type SendResult } from './channels.ts';

/**
 * The worker is woken when it has work: at once when this instance's engine queued notifications,
 * and by a timer when a digest window closes or a retry falls due. The poll is only for what no
 * wake covers (another instance's rows after it died, an expired lease, a clock that jumped): at
 * 5 polls/s it was most of the alerting's CPU while nothing was due.
 */
const POLL_MS = 1_000;
const MAX_DIGEST = 50;
const RETRY_BASE_MS = 2_000;
const RETRY_CAP_MS = 600_000;

export interface OutboxOptions {
  send: SendOptions & { timeoutMs: number };
  digestWindowMs: number;
  retryHours: number;
}

/** Exponential backoff with jitter: 2 s, 4 s, 8 s … up to 10 min, each between half and all of it. */
export function retryDelayMs(attempts: number, retryAfterSeconds?: number): number {
  const exponential = Math.min(RETRY_BASE_MS * 2 ** Math.max(attempts - 1, 0), RETRY_CAP_MS);
  const jittered = exponential * (0.5 + Math.random() / 2);
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}

function parsePayload(row: OutboxRow): AlertNotification {
  const payload = JSON.parse(row.payload) as AlertNotification;
  return { ...payload, at: new Date(payload.at) };
}

/** Several notifications for one channel as one message. */
export function digestOf(items: AlertNotification[], at: Date): AlertNotification {
  const firing = items.filter((n) => n.event === 'FIRING').length;
  return {
    event: firing ? 'FIRING' : 'RESOLVED',
    idempotencyKey: `digest:${items.map((n) => n.idempotencyKey).join(',')}`.slice(0, 500),
    at,
    rule: null,
    server: null,
    value: null,
    message: `${items.length} alert notifications: ${firing} firing, ${items.length - firing} resolved`,
    digest: items,
  };
}

export class OutboxWorker {
  private timer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeDue = Infinity;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Messages this instance sent successfully (digests count once). */
  sent = 0;

  constructor(
    private readonly services: Services,
    private readonly options: OutboxOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), POLL_MS);
    this.timer.unref();
  }

  /** Looks for due notifications now (called after the engine queued some). */
  poke(): void {
    if (this.stopped || !this.services.availability.up) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch((error) => {
        if (!this.services.availability.reportFailure(error)) this.services.logger.error({ err: error }, 'alert outbox failed');
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Pokes at `atMs` (service clock), unless an earlier wake is set already. */
  private wakeAt(atMs: number): void {
    if (this.stopped || (this.wakeTimer && this.wakeDue <= atMs)) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeDue = atMs;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeDue = Infinity;
      this.poke();
    }, Math.max(0, atMs - this.services.now().getTime()));
    this.wakeTimer.unref();
  }

  private leaseMs(): number {
    return 2 * this.options.send.timeoutMs + 2_000;
  }

  private async run(): Promise<void> {
    const now = this.services.now();
    const due = await this.services.db.alerts.dueChannels(now, 20);
    await Promise.all(due.map((channelId) => this.sendTo(channelId, now)));
  }

  private async sendTo(channelId: string, now: Date): Promise<void> {
    const { alerts } = this.services.db;
    const claimed = await alerts.claimChannel(channelId, now, new Date(now.getTime() + this.leaseMs()), MAX_DIGEST);
    if (!claimed) return;
    let finished = false;
    try {
      const { channel, rows } = claimed;
      const items = rows.map(parsePayload);
      const notification = items.length === 1 ? items[0]! : digestOf(items, now);
      const result = await sendAlertNotification(channel.kind as AlertChannelKind, channelSettingsOf(channel), notification, this.options.send);
      await this.record(channelId, rows, result);
      finished = true;
    } finally {
      if (!finished) await alerts.releaseChannel(channelId);
    }
  }

  /** The outbox rows, the digest window and the channel's health, with the lease's end, in one write. */
  private async record(channelId: string, rows: OutboxRow[], result: SendResult): Promise<void> {
    const at = this.services.now();
    if (result.ok) {
      this.sent++;
      const nextSendAt = new Date(at.getTime() + this.options.digestWindowMs);
      await this.services.db.alerts.finishDelivery(channelId, at, { ok: true, ids: rows.map((row) => row.id), nextSendAt });
      // What fell due during the window goes out when it closes.
      if (this.options.digestWindowMs > 0) this.wakeAt(nextSendAt.getTime());
      return;
    }
    const giveUpBefore = at.getTime() - this.options.retryHours * 3_600_000;
    const error = result.error.slice(0, 1000);
    const updates = rows.map((row) => {
      const attempts = row.attempts + 1;
      return { id: row.id, attempts, final: result.permanent || row.createdAt.getTime() < giveUpBefore, dueAt: new Date(at.getTime() + retryDelayMs(attempts, result.retryAfterSeconds)) };
    });
    await this.services.db.alerts.finishDelivery(channelId, at, { ok: false, error, rows: updates });
    const retries = updates.filter((row) => !row.final).map((row) => row.dueAt.getTime());
    if (retries.length) this.wakeAt(Math.min(...retries));
    this.services.logger.warn({ channelId, notifications: rows.length, error: result.error, permanent: result.permanent }, 'alert notification not delivered');
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.idle();
  }
}
