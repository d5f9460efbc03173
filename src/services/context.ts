import type { HistoryConfig } from '../config.ts';
import type { Database } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import type { PubSub } from './events.ts';
import type { Metrics } from '../metrics.ts';
import type { Availability } from './availability.ts';
import type { ServerTagIndex } from './server-tags.ts';
import type { FiringIndex } from './alerts/firing-index.ts';

/** What every service function may use. The clock is injectable so status rules are testable. */
export interface Services {
  db: Database;
  pubsub: PubSub;
  logger: Logger;
  now: () => Date;
  metrics: Metrics;
  /** Whether the database can take writes; classifies failures as outages (503). */
  availability: Availability;
  tags: ServerTagIndex;
  /** FIRING alerts per server, for the overview rows' `firingAlerts`. */
  firing: FiringIndex;
  /** Retention per history tier and the rollup cadence. */
  history: HistoryConfig;
}
