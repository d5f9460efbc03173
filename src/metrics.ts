// Prometheus metrics, one registry per app instance (tests run several apps in one process).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'harborforge_' });
  return {
    registry,
    heartbeatsAccepted: new Counter({ name: 'harborforge_heartbeats_accepted_total', help: 'Heartbeats committed', registers: [registry] }),
    heartbeatsRejected: new Counter({
      name: 'harborforge_heartbeats_rejected_total',
      help: 'Heartbeats refused, by HTTP status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    ingestBatchSize: new Histogram({
      name: 'harborforge_ingest_batch_size',
      help: 'Heartbeats committed per transaction (group commit)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
    ingestCommitSeconds: new Histogram({
      name: 'harborforge_ingest_commit_seconds',
      help: 'Time to commit one batch of heartbeats',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    overviewPushes: new Counter({
      name: 'harborforge_overview_subscription_executions_total',
      help: 'overviewUpdated results executed (shared by subscribers of the same operation)',
      registers: [registry],
    }),
    fleetChangesEvents: new Counter({
      name: 'harborforge_fleet_changes_events_total',
      help: 'fleetChanges events sent, by kind (delta or reset)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    fleetChangesDeferred: new Counter({
      name: 'harborforge_subscription_backpressure_deferrals_total',
      help: 'Subscription events held back because the connection had too many unsent bytes',
      registers: [registry],
    }),
    statusTransitions: new Counter({
      name: 'harborforge_status_transitions_total',
      help: 'Server status transitions announced',
      labelNames: ['to'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
