// Topics and the one helper that publishes a change. Every change that a subscriber can see goes
// through `announce`, right after its database write commits.
import { createPubSub, type PubSub as YogaPubSub } from 'graphql-yoga';
import type { FleetEvent } from '../db/store.ts';
import type { ServerView } from './views.ts';
import type { AlertConfigPart } from './alerts/config-events.ts';
import type { AlertEventView } from './alerts/history.ts';

// The event shape is the store's (an ingest transaction produces events); re-exported here, the
// module that publishes them.
export { FLEET_EVENT_TYPES, type FleetEvent, type FleetEventType } from '../db/store.ts';

export type Topics = {
  /** Discrete fleet events (admin `fleetEvents`). */
  'fleet:event': [event: FleetEvent];
  /** Every heartbeat or change of any server. */
  'server:updated': [view: ServerView];
  /** The same, per server id (`serverUpdated(id:)`). */
  'server:updated:by-id': [serverId: string, view: ServerView];
  /** Alert rules, channels or silences changed (every instance's evaluator reloads them). */
  'alert:config': [part: AlertConfigPart];
  /** An alert transition (admin `alertEvents`). */
  'alert:event': [event: AlertEventView];
};

type FleetWideTopic = 'server:updated' | 'fleet:event' | 'alert:config' | 'alert:event';

export type PubSub = YogaPubSub<Topics> & {
  /**
   * A plain callback for a fleet-wide topic, for in-process consumers (the overview): it costs
   * no async iterator per event, which matters on the heartbeat hot path. Returns `unlisten`.
   */
  listen<K extends FleetWideTopic>(topic: K, listener: (payload: Topics[K][0]) => void): () => void;
};

type EventTargetLike = Pick<EventTarget, 'addEventListener' | 'removeEventListener' | 'dispatchEvent'>;

/** Yoga's pub/sub over `target` (in-process, or Redis for several instances), plus `listen`. */
export function createPubSubOn(target: EventTargetLike): PubSub {
  const pubsub = createPubSub<Topics>({ eventTarget: target as EventTarget });
  return Object.assign(pubsub, {
    listen<K extends FleetWideTopic>(topic: K, listener: (payload: Topics[K][0]) => void) {
      const onEvent = (event: Event) => listener((event as CustomEvent).detail);
      target.addEventListener(topic, onEvent);
      return () => target.removeEventListener(topic, onEvent);
    },
  });
}

export interface Change {
  server?: ServerView;
  events?: FleetEvent[];
}

export function announce(pubsub: PubSub, change: Change): void {
  if (change.server) {
    pubsub.publish('server:updated', change.server);
    pubsub.publish('server:updated:by-id', change.server.id, change.server);
  }
  for (const event of change.events ?? []) pubsub.publish('fleet:event', event);
}
