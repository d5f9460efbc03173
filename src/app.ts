// Builds the whole HTTP application: GraphQL (Yoga), the seed's REST endpoints, the web page,
// health and metrics. src/server.ts binds it to a port; tests use either.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, maskError as yogaMaskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { authenticate } from './auth.ts';
import type { Context } from './builder.ts';
import { DEFAULT_HISTORY, type Config } from './config.ts';
import { requestLimitsFrom, requestLimitsSchema, type RequestLimitsConfig } from './config-limits.ts';
import { useOperationLimits } from './operation-limits.ts';
import { useGraphQLSse } from './graphql-sse.ts';
import type { Database } from './db/index.ts';
import type { Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { handleMetrics, type MetricsEndpointDeps } from './metrics-endpoint.ts';
import type { Redis } from 'ioredis';
import { createRateLimits } from './rate-limits.ts';
import { useRequestGuard, type RequestGuardDeps } from './request-guard.ts';
import { HEARTBEAT_PATH, handleHeartbeat, type HeartbeatDeps } from './rest/heartbeat.ts';
import { handleRest } from './rest/routes.ts';
import { schema } from './schema/index.ts';
import { useSharedSubscriptions } from './shared-subscriptions.ts';
import type { Services } from './services/context.ts';
import type { Availability } from './services/availability.ts';
import { RETRY_AFTER_SECONDS, ServiceError } from './services/errors.ts';
import type { PubSub } from './services/events.ts';
import { MAX_HEARTBEAT_BYTES } from './services/heartbeat-schema.ts';
import { HeartbeatIngestor } from './services/heartbeats.ts';
import { Gauge } from 'prom-client';
import { OverviewFeed } from './services/overview.ts';
import { useOverviewRowStream } from './overview-rows-stream.ts';
import { backlogOf } from './services/backpressure.ts';
import { ServerTagIndex } from './services/server-tags.ts';
import { FiringIndex } from './services/alerts/firing-index.ts';

export interface AppOptions {
  config: Partial<RequestLimitsConfig> &
    Partial<Pick<Config, 'redisPrefix' | 'redisUrl'>> &
    Pick<Config, 'adminToken' | 'publicOverview' | 'heartbeatRateLimit'> &
    Partial<Pick<Config, 'publicOverviewTags' | 'fleetChangesIntervalMs' | 'fleetChangeLogSize' | 'subscriberMaxBacklogBytes' | 'history' | 'metricsPerServer'>> &
    Partial<Pick<Config, 'alertSendTimeoutMs' | 'alertDigestWindowMs' | 'alertRetryHours' | 'telegramApiBase' | 'smtp'>>;
  db: Database;
  pubsub: PubSub;
  logger: Logger;
  availability: Availability;
  now?: () => Date;
  /** Serves `/` and `/admin`; null means the request is not a web page. */
  webHandler?: (request: Request) => Promise<Response | null> | Response | null;
  /** With REDIS_URL: where the rate-limit counters live (src/rate-limits.ts). */
  rateLimitStore?: Redis;
}

export type App = ReturnType<typeof createApp>;

/** The request body, or null once it grows past `limit` (the rest is left unread). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        resolve(null);
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

export function createApp(options: AppOptions) {
  const { db, pubsub, logger } = options;
  // Tests may pass only what they care about; the limits default as in the environment's table.
  const config = { ...requestLimitsFrom(z.object(requestLimitsSchema).parse({})), ...options.config };
  const metrics = createMetrics();
  const services: Services = { db, pubsub, logger, metrics, availability: options.availability, now: options.now ?? (() => new Date()), tags: new ServerTagIndex(db, pubsub, logger), firing: new FiringIndex(db, pubsub, logger), history: config.history ?? DEFAULT_HISTORY };
  const ingestor = new HeartbeatIngestor(services);
  const overview = new OverviewFeed(services, {
    changesIntervalMs: config.fleetChangesIntervalMs,
    changeLogSize: config.fleetChangeLogSize,
    maxBacklogBytes: config.subscriberMaxBacklogBytes,
    // Events cross instances through Redis, which resyncs on every reconnect; what remains is an
    // instance dying between commit and publish: a rare 5-minute reload covers it. Without Redis a
    // PostgreSQL instance may share the database with others it cannot hear, so it reloads every
    // minute; an embedded single process publishes every change it commits and needs no reload.
    resyncMs: config.redisUrl ? 300_000 : db.provider === 'postgres' ? 60_000 : null,
  });
  const limits = createRateLimits(config, options.rateLimitStore);
  const perServerMetrics = config.metricsPerServer ?? false;
  const guard: RequestGuardDeps = { services, limits, trustProxy: config.trustProxy, adminToken: config.adminToken, perServerMetrics };
  services.firing.onChange((serverId) => overview.touch(serverId));
  new Gauge({
    name: 'harborforge_fleet_changes_largest_backlog_bytes',
    help: 'Unsent bytes on the fleetChanges subscriber connection that holds the most (a client that stops reading stays near SUBSCRIBER_MAX_BACKLOG_BYTES; events wait, nothing else grows)',
    registers: [metrics.registry],
    collect() {
      this.set(overview.hub.largestBacklogBytes());
    },
  });
  const heartbeat: HeartbeatDeps = {
    ingestor,
    metrics,
    limiter: limits.heartbeat,
  };
  const restDeps = { services, heartbeat, overview, envAdminToken: config.adminToken, publicOverview: config.publicOverview, publicOverviewTags: config.publicOverviewTags ?? false };
  const metricsDeps: MetricsEndpointDeps = { metrics, services, overview, perServer: perServerMetrics, publicOverview: config.publicOverview, envAdminToken: config.adminToken };

  const maskError = (error: unknown, message: string, isDev?: boolean): Error => {
    const cause = error instanceof GraphQLError ? error.originalError : error;
    const original = options.availability.reportFailure(cause) ?? cause;
    if (original instanceof ServiceError) {
      const graphQLError = error instanceof GraphQLError ? error : undefined;
      return new GraphQLError(original.message, {
        nodes: graphQLError?.nodes,
        path: graphQLError?.path,
        extensions: { code: original.code },
      });
    }
    // A GraphQLError of its own (validation, auth) is expected; anything else is a bug: log it in full.
    if (original !== undefined && !(original instanceof GraphQLError)) logger.error({ err: original }, 'unexpected error in GraphQL operation');
    return yogaMaskError(error, message, isDev);
  };

  let graphiqlPage: Promise<string> | undefined;

  const otherRoutes: Plugin = {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname === '/healthz') return endResponse(Response.json({ status: 'ok' }));
      if (url.pathname === '/readyz') {
        try {
          options.availability.assertUp();
          await db.store.ping();
          return endResponse(Response.json({ status: 'ready', database: db.provider }));
        } catch (error) {
          logger.warn({ err: error }, 'readiness check failed');
          return endResponse(Response.json({ status: 'unavailable', database: db.provider }, { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } }));
        }
      }
      if (url.pathname === '/metrics') return endResponse(await handleMetrics(metricsDeps, request));
      const rest = await handleRest(restDeps, request);
      if (rest) return endResponse(rest);
      if (url.pathname !== '/graphql' && options.webHandler) {
        const page = await options.webHandler(request);
        if (page) return endResponse(page);
      }
    },
  };

  const yoga: YogaServerInstance<Record<string, unknown>, Context> = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: config.graphiql ? { title: 'HarborForge Monitor', subscriptionsProtocol: 'WS' } : false,
    // Yoga's default GraphiQL page loads its scripts from a public CDN, which locked-down and
    // offline machines cannot reach; this one carries them inline (loaded on first use: ~9 MB).
    renderGraphiQL: async (options) => {
      graphiqlPage ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options));
      return graphiqlPage;
    },
    maskedErrors: { maskError },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
    // graphql-jit compiles each operation once: the overview of 10,000 servers is ~170,000 field
    // resolutions, and graphql-js's interpreter made that query several times slower (bench/).
    plugins: [useRequestGuard(guard), useGraphQLSse(), otherRoutes, ...useOperationLimits(config, () => overview.index.size), useGraphQlJit(), useSharedSubscriptions(), useOverviewRowStream('/graphql')],
    context: async (initial): Promise<Context> => {
      // graphql-ws puts its connectionParams on the initial context (src/server.ts); HTTP and SSE use the header.
      const connectionParams = initial.connectionParams as Record<string, unknown> | undefined;
      const request = initial.request as Request | undefined;
      const authorization = connectionParams ? (connectionParams.authorization ?? connectionParams.Authorization) : request?.headers.get('authorization');
      const session = await authenticate(services, config.adminToken, authorization);
      return { services, session, overview, ingestor, config, backlog: backlogOf(initial) } as Context;
    },
  });

  /**
   * node:http entry. Heartbeats take a lean path around the fetch machinery (they are the hot
   * path: see bench/); everything else goes through Yoga.
   */
  function handleNodeRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === HEARTBEAT_PATH && req.method === 'POST') {
      void handleNodeHeartbeat(req, res);
      return;
    }
    void yoga.requestListener(req, res);
  }

  async function handleNodeHeartbeat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      const payload = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    try {
      const declared = Number(req.headers['content-length'] ?? 0);
      const body = declared > MAX_HEARTBEAT_BYTES ? null : await readBody(req, MAX_HEARTBEAT_BYTES);
      const apiKey = req.headers['x-api-key'];
      const reply = await handleHeartbeat(heartbeat, {
        apiKey: typeof apiKey === 'string' && apiKey !== '' ? apiKey : null,
        contentType: req.headers['content-type'] ?? null,
        body,
      });
      // A refused oversized body is not drained: close the connection instead of reading 64 KiB+.
      if (body === null) res.setHeader('connection', 'close');
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      send(reply.status, reply.body);
    } catch (error) {
      const unavailable = options.availability.reportFailure(error);
      if (unavailable) {
        metrics.heartbeatsRejected.inc({ status: '503' });
        if (!res.headersSent) res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
        if (!res.headersSent) send(503, { error: unavailable.code, message: unavailable.message });
        return;
      }
      logger.error({ err: error }, 'heartbeat failed');
      if (!res.headersSent) send(500, { error: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' });
    }
  }

  return {
    yoga,
    services,
    ingestor,
    overview,
    metrics,
    handleNodeRequest,
    guard,
    fetch: (request: Request) => yoga.fetch(request),
    async close() {
      await ingestor.idle();
      overview.close();
      services.tags.close();
      services.firing.close();
    },
  };
}
