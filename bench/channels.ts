// `npm run bench -- channels`: what one alert send costs, against local receivers (loopback
// only, bounded counts): webhook (signed) latency sequentially and 20 at a time, a 1,000-item
// digest rendered for every chat kind, and e-mail through a real local SMTP server.
import { performance } from 'node:perf_hooks';
import { sendAlertNotification, type AlertNotification } from '../src/services/alerts/channels.ts';
import { discordPayload, slackPayload } from '../src/services/alerts/channels/chat.ts';
import { ntfyRequest, telegramPayload } from '../src/services/alerts/channels/push.ts';
import { webhookPayload } from '../src/services/alerts/channels/webhook.ts';
import { startHttpReceiver, startSmtpReceiver } from '../test/helpers/receivers.ts';

const WEBHOOK_SENDS = 2000;
const PARALLEL = 20;
const EMAILS = 200;

function notification(i: number): AlertNotification {
  return {
    event: 'FIRING',
    idempotencyKey: `bench-${i}`,
    at: new Date(),
    rule: { id: 'rule', name: 'server down', kind: 'OFFLINE' },
    server: { id: `srv-${i}`, identifier: `web-${i}`, name: `Web ${i}` },
    value: null,
    message: `web-${i} is OFFLINE (no heartbeat for 95 s)`,
  };
}

function percentiles(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted[sorted.length - 1]!.toFixed(2)} ms (n=${sorted.length})`;
}

async function timed(send: () => Promise<{ ok: boolean }>): Promise<number> {
  const started = performance.now();
  const result = await send();
  if (!result.ok) throw new Error(`send failed: ${JSON.stringify(result)}`);
  return performance.now() - started;
}

export async function runChannelsBench(): Promise<void> {
  const hook = await startHttpReceiver();
  const settings = { url: `${hook.url}/hook`, secret: 'bench-secret' };
  try {
    for (let i = 0; i < 100; i++) await sendAlertNotification('WEBHOOK', settings, notification(i)); // warm-up
    const sequential: number[] = [];
    for (let i = 0; i < WEBHOOK_SENDS; i++) sequential.push(await timed(() => sendAlertNotification('WEBHOOK', settings, notification(i))));
    console.log(`webhook (signed), one at a time: ${percentiles(sequential)}`);

    const parallel: number[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < WEBHOOK_SENDS) {
          const i = next++;
          parallel.push(await timed(() => sendAlertNotification('WEBHOOK', settings, notification(i))));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`webhook (signed), ${PARALLEL} at a time: ${percentiles(parallel)}; ${(WEBHOOK_SENDS / seconds).toFixed(0)} sends/s`);
  } finally {
    await hook.close();
  }

  const digest: AlertNotification = { ...notification(0), idempotencyKey: 'digest', message: 'digest', digest: Array.from({ length: 1000 }, (_, i) => notification(i)) };
  const renders: Record<string, () => unknown> = {
    webhook: () => JSON.stringify(webhookPayload(digest)),
    slack: () => JSON.stringify(slackPayload(digest)),
    discord: () => JSON.stringify(discordPayload({ url: 'http://x' }, digest)),
    telegram: () => JSON.stringify(telegramPayload({ botToken: '1:a', chatId: '1' }, digest)),
    ntfy: () => ntfyRequest({ serverUrl: 'http://x', topic: 't' }, digest).body,
  };
  for (const [kind, render] of Object.entries(renders)) {
    const samples: number[] = [];
    let size = 0;
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      size = String(render()).length;
      samples.push(performance.now() - t);
    }
    console.log(`1,000-item digest rendered for ${kind}: ${percentiles(samples)}, ${size} characters`);
  }

  const smtp = await startSmtpReceiver();
  try {
    const options = { smtp: { host: '127.0.0.1', port: smtp.port, from: 'bench@example.com' } };
    const mails: number[] = [];
    for (let i = 0; i < EMAILS; i++) mails.push(await timed(() => sendAlertNotification('EMAIL', { to: 'ops@example.com' }, notification(i), options)));
    await smtp.waitFor(EMAILS, 10_000);
    console.log(`e-mail through a local SMTP server (new connection each): ${percentiles(mails)}`);
  } finally {
    await smtp.close();
  }
}
