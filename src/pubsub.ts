// In-process pub/sub by default; with REDIS_URL, Yoga's Redis event target so that every
// instance sees every event. Channels are namespaced so that several deployments (or test runs)
// can share one Redis without hearing each other.
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
  close(): Promise<void>;
}

export async function createPubSubFor(redisUrl: string | undefined, prefix: string): Promise<PubSubHandle> {
  if (!redisUrl) return { pubsub: createPubSubOn(new EventTarget()), close: async () => {} };
  const [{ createRedisEventTarget }, { Redis }] = await Promise.all([import('@graphql-yoga/redis-event-target'), import('ioredis')]);
  const options = { maxRetriesPerRequest: null, lazyConnect: true } as const;
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  // Connect now so that a wrong REDIS_URL fails the start instead of the first publish.
  await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  const eventTarget = createRedisEventTarget<any>({ publishClient, subscribeClient });
  return {
    pubsub: createPubSubOn(namespaced(eventTarget as unknown as Target, prefix)),
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
