// Topics and the one helper that publishes a change. Every change that a subscriber can see goes
// through `announce`, right after its database write commits.
import { createPubSub, type PubSub as YogaPubSub } from 'graphql-yoga';
import type { ServerStatus } from './status.ts';
import type { ServerView } from './views.ts';

export const FLEET_EVENT_TYPES = [
  'SERVER_ADDED',
  'SERVER_UPDATED',
  'SERVER_DELETED',
  'STATUS_CHANGED',
  'API_KEY_GENERATED',
  'API_KEY_REVOKED',
  'REBOOTED',
] as const;
export type FleetEventType = (typeof FLEET_EVENT_TYPES)[number];

export interface FleetEvent {
  type: FleetEventType;
  serverId: string;
  identifier: string;
  at: Date;
  status?: ServerStatus | null;
  previousStatus?: ServerStatus | null;
}

export type Topics = {
  /** Discrete fleet events (admin `fleetEvents`). */
  'fleet:event': [event: FleetEvent];
  /** Every heartbeat or change of any server. */
  'server:updated': [view: ServerView];
  /** The same, per server id (`serverUpdated(id:)`). */
  'server:updated:by-id': [serverId: string, view: ServerView];
};

export type PubSub = YogaPubSub<Topics>;

export function createLocalPubSub(): PubSub {
  return createPubSub<Topics>();
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
