// Rule, channel and silence changes are announced so that the evaluator of every instance
// (they all hear the same pub/sub) reloads its copy at once.
import type { Services } from '../context.ts';

export type AlertConfigPart = 'rules' | 'channels' | 'silences';

export function announceAlertConfig(services: Services, part: AlertConfigPart): void {
  services.pubsub.publish('alert:config', part);
}
