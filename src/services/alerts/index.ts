// Starts alerting on one instance: the evaluator and the outbox worker (src/server.ts).
import type { Config } from '../../config.ts';
import type { Services } from '../context.ts';
import type { OverviewFeed } from '../overview.ts';
import { AlertEngine } from './engine.ts';
import { OutboxWorker } from './outbox.ts';

export interface Alerting {
  engine: AlertEngine;
  outbox: OutboxWorker;
  stop(): Promise<void>;
}

export function startAlerting(
  services: Services,
  overview: OverviewFeed,
  config: Pick<Config, 'alertSendTimeoutMs' | 'alertDigestWindowMs' | 'alertRetryHours' | 'telegramApiBase' | 'smtp'>,
): Alerting {
  const outbox = new OutboxWorker(services, {
    send: { timeoutMs: config.alertSendTimeoutMs, telegramApiBase: config.telegramApiBase, smtp: config.smtp },
    digestWindowMs: config.alertDigestWindowMs,
    retryHours: config.alertRetryHours,
  });
  const engine = new AlertEngine(services, overview, { onNotificationsQueued: () => outbox.poke() });
  engine.start().catch((error) => services.logger.error({ err: error }, 'alert engine failed to start'));
  outbox.start();
  return {
    engine,
    outbox,
    async stop() {
      await engine.stop();
      await outbox.stop();
    },
  };
}
