// In-process pub/sub by default; with REDIS_URL, Yoga's Redis event target so that every
// instance sees every event (and its own first, so a Redis outage costs only the others'). Channels are namespaced so that several deployments (or test runs)
// can share one Redis without hearing each other.
import { randomUUID } from 'node:crypto';
import type { Logger } from './logger.ts';
import { createPubSubOn, type PubSub } from './services/events.ts';

type Target = Pick<EventTarget, 'addEventListener' | 'removeEventListener' | 'dispatchEvent'>;

function namespaced(target: Target, prefix: string): Target {
  return {
    dispatchEvent: (event: Event) => target.dispatchEvent(new CustomEvent(prefix + event.type, { detail: (event as CustomEvent).detail })),
    addEventListener: (type: string, listener: any) => target.addEventListener(prefix + type, listener),
    removeEventListener: (type: string, listener: any) => target.removeEventListener(prefix + type, listener),
  } as Target;
}

export interface PubSubHandle {
  pubsub: PubSub;
  /**
   * Calls `listener` when events from other instances may have been missed: this instance's Redis
   * connection came back, or another instance announced that its own did. Returns `unlisten`.
   */
  onResync(listener: () => void): () => void;
  close(): Promise<void>;
}

/** Control channel: "my Redis link was down; events I published meanwhile never reached you". */
const RECONNECTED = 'pubsub:reconnected';

/**
 * Events reach this instance's listeners directly and other instances through Redis, tagged with
 * their origin so that an instance ignores its own echo. A Redis outage then costs only the
 * cross-instance part: this instance keeps serving its own subscribers, and what it publishes
 * meanwhile is dropped instead of queued without bound (the others resynchronise on reconnect).
 */
function localFirst(redis: Target, origin: string, connected: () => boolean): Target {
  const local = new EventTarget();
  const bridges = new Map<string, { listeners: number; bridge: (event: Event) => void }>();
  return {
    dispatchEvent(event: Event) {
      const detail = (event as CustomEvent).detail;
      local.dispatchEvent(new CustomEvent(event.type, { detail }));
      if (connected()) redis.dispatchEvent(new CustomEvent(event.type, { detail: { origin, detail } }));
      return true;
    },
    addEventListener(type: string, listener: any) {
      local.addEventListener(type, listener);
      let entry = bridges.get(type);
      if (!entry) {
        const bridge = (event: Event) => {
          const message = (event as CustomEvent).detail as { origin?: string; detail?: unknown } | null;
          if (message?.origin !== origin) local.dispatchEvent(new CustomEvent(type, { detail: message?.detail }));
        };
        entry = { listeners: 0, bridge };
        bridges.set(type, entry);
        redis.addEventListener(type, bridge);
      }
      entry.listeners++;
    },
    removeEventListener(type: string, listener: any) {
      local.removeEventListener(type, listener);
      const entry = bridges.get(type);
      if (!entry || --entry.listeners > 0) return;
      bridges.delete(type);
      redis.removeEventListener(type, entry.bridge);
    },
  } as Target;
}

export async function createPubSubFor(redisUrl: string | undefined, prefix: string, logger?: Pick<Logger, 'warn' | 'info'>): Promise<PubSubHandle> {
  if (!redisUrl) return { pubsub: createPubSubOn(new EventTarget()), onResync: () => () => {}, close: async () => {} };
  const [{ createRedisEventTarget }, { Redis }] = await Promise.all([import('@graphql-yoga/redis-event-target'), import('ioredis')]);
  const options = { maxRetriesPerRequest: null, lazyConnect: true } as const;
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  // Connect now so that a wrong REDIS_URL fails the start instead of the first publish.
  await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  const origin = randomUUID();
  // Yoga's target leaves the promises of publish/subscribe/unsubscribe unhandled; a command that
  // fails with the connection (an outage, a shutdown) must not become an unhandled rejection.
  const ignoreFailure = (error: Error) => logger?.warn({ err: error }, 'Redis command failed');
  const safePublisher = { publish: (channel: string, message: string) => publishClient.publish(channel, message).catch(ignoreFailure) };
  const safeSubscriber = {
    on: subscribeClient.on.bind(subscribeClient),
    subscribe: (channel: string) => subscribeClient.subscribe(channel).catch(ignoreFailure),
    unsubscribe: (channel: string) => subscribeClient.unsubscribe(channel).catch(ignoreFailure),
  };
  const eventTarget = createRedisEventTarget<any>({ publishClient: safePublisher as never, subscribeClient: safeSubscriber as never });
  const redis = namespaced(eventTarget as unknown as Target, prefix);
  const resyncListeners = new Set<() => void>();
  const resync = () => {
    for (const listener of resyncListeners) listener();
  };

  // ioredis reconnects by itself (and resubscribes); what it cannot know is what was missed.
  let lost = false;
  for (const client of [publishClient, subscribeClient]) {
    client.on('error', (error: Error) => {
      if (!lost) logger?.warn({ err: error }, 'Redis connection lost: serving this instance only until it returns');
      lost = true;
    });
    client.on('close', () => (lost = true));
    client.on('ready', () => {
      if (!lost || publishClient.status !== 'ready' || subscribeClient.status !== 'ready') return;
      lost = false;
      logger?.info('Redis connection back: resynchronising');
      redis.dispatchEvent(new CustomEvent(RECONNECTED, { detail: { origin } }));
      resync();
    });
  }
  const onPeerReconnected = (event: Event) => {
    if ((event as CustomEvent).detail?.origin !== origin) resync();
  };
  redis.addEventListener(RECONNECTED, onPeerReconnected);

  return {
    pubsub: createPubSubOn(localFirst(redis, origin, () => publishClient.status === 'ready')),
    onResync(listener) {
      resyncListeners.add(listener);
      return () => resyncListeners.delete(listener);
    },
    async close() {
      redis.removeEventListener(RECONNECTED, onPeerReconnected);
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
