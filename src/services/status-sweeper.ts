// Silence is noticed here: a server that stops reporting turns LATE then OFFLINE without anyone
// asking. The store's conditional UPDATE makes each transition happen (and be announced) once,
// even with several instances sweeping the same database.
import type { Services } from './context.ts';
import { announce } from './events.ts';
import { getServers } from './servers.ts';

export function startStatusSweeper(services: Services, everyMs: number): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const sweep = async () => {
    // During a database outage nothing is swept; the recovery moves the thresholds first.
    if (!services.availability.up) return;
    const transitions = await services.db.store.applySilence(services.now());
    if (transitions.length === 0) return;
    const servers = await getServers(services, transitions.map((transition) => transition.serverId));
    for (const transition of transitions) {
      const server = servers.get(transition.serverId);
      if (!server) continue;
      services.metrics.statusTransitions.inc({ to: transition.to });
      announce(services.pubsub, {
        server,
        events: [
          { type: 'STATUS_CHANGED', serverId: server.id, identifier: server.identifier, at: services.now(), previousStatus: transition.from, status: transition.to },
        ],
      });
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = sweep()
      .catch((error) => {
        if (!services.availability.reportFailure(error)) services.logger.error({ err: error }, 'status sweep failed');
      })
      .finally(() => {
        running = null;
      });
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
