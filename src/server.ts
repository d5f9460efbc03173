// Starts HarborForge on a port: database (migrated), pub/sub, the app, graphql-ws on /graphql,
// the status sweeper and the history jobs (rollup, retention). main.ts calls it with the environment's config; tests
// call it with their own.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GraphQLError } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { createApp, type App } from './app.ts';
import { authenticate } from './auth.ts';
import { loadConfig, type Config } from './config.ts';
import { openDatabase } from './db/index.ts';
import { createLogger, type Logger } from './logger.ts';
import { createPubSubFor } from './pubsub.ts';
import { countActiveAdminTokens, createAdminToken } from './services/admin-tokens.ts';
import { Availability } from './services/availability.ts';
import { startHistoryJobs } from './services/history.ts';
import { startStatusSweeper } from './services/status-sweeper.ts';
import { startAlerting, type Alerting } from './services/alerts/index.ts';
import { startUptimeRollup } from './services/uptime-rollup.ts';
import { isAbandonedEndpoint } from './rest/routes.ts';
import { createWebHandler } from './web/assets.ts';
import { openRateLimitStore } from './rate-limits.ts';
import { createWsGuard } from './ws-guard.ts';

export interface StartOptions extends Partial<Config> {
  /** Clock override for tests. */
  now?: () => Date;
  /** Serve the web page (default true). */
  web?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  config: Config;
  app: App;
  logger: Logger;
  /** Set when this start created the first admin token (printed once by main.ts). */
  initialAdminToken?: { token: string; file: string };
  alerting: Alerting;
  close(): Promise<void>;
}

export function resolveConfig(options: StartOptions, env: Record<string, string | undefined> = {}): Config {
  const base = loadConfig(env);
  const dataDir = options.dataDir ?? base.dataDir;
  const databaseUrl = options.databaseUrl ?? (env.DATABASE_URL ? base.databaseUrl : `file:${join(dataDir, 'harborforge.db')}`);
  const merged = { ...base, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)), dataDir, databaseUrl };
  return { ...merged, provider: databaseUrl.startsWith('file:') ? 'sqlite' : 'postgres' } as Config;
}

async function loadWebHandler(logger: Logger) {
  try {
    return await createWebHandler();
  } catch (error) {
    logger.warn({ err: error }, 'web page unavailable');
    return undefined;
  }
}

/**
 * A fresh install has no admin token at all: create one so that the first `npm start` is usable,
 * save it where only this user can read it, and let main.ts print it once.
 */
async function ensureAdminToken(app: App, config: Config): Promise<RunningServer['initialAdminToken']> {
  if (config.adminToken) return undefined;
  const prisma = app.services.db.prisma;
  if ((await countActiveAdminTokens(prisma)) > 0) return undefined;
  const file = join(config.dataDir, 'admin-token');
  const created = await createAdminToken(prisma, { name: `initial-${Date.now()}`, scope: 'admin' });
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, created.token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token: created.token, file };
}

export async function startServer(options: StartOptions = {}, env: Record<string, string | undefined> = {}): Promise<RunningServer> {
  const config = resolveConfig(options, env);
  const logger = createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true });
  const db = await openDatabase(config.databaseUrl, logger);
  if (db.appliedMigrations.length) logger.info({ migrations: db.appliedMigrations }, 'database migrated');
  const { pubsub, onResync, close: closePubSub } = await createPubSubFor(config.redisUrl, config.redisPrefix, logger);
  const webHandler = options.web === false ? undefined : await loadWebHandler(logger);
  // Before the overview loads and the sweep starts: after a full restart, silence counts from now.
  const availability = new Availability(db, logger, options.now ?? (() => new Date()), { probeMs: config.databaseProbeMs });
  await availability.start();
  const rateLimitStore = config.redisUrl ? await openRateLimitStore(config.redisUrl) : undefined;
  const app = createApp({ config, db, pubsub, logger, availability, now: options.now, webHandler, rateLimitStore });
  // Events may have been missed: reload the overview now rather than at its next periodic resync.
  availability.onRecovered(() => app.overview.resync());
  onResync(() => app.overview.resync());
  const initialAdminToken = await ensureAdminToken(app, config);

  // Explicit timeouts: a client that dribbles its headers or body is cut off (checked every second,
  // not Node's default 30 s), so that slow connections cannot pile up.
  const httpServer: Server = createServer(
    {
      headersTimeout: config.httpHeadersTimeoutMs,
      // Node requires requestTimeout >= headersTimeout.
      requestTimeout: Math.max(config.httpRequestTimeoutMs, config.httpHeadersTimeoutMs),
      connectionsCheckingInterval: 1000,
    },
    app.handleNodeRequest,
  );
  httpServer.keepAliveTimeout = config.httpKeepAliveTimeoutMs;
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: config.wsMaxPayloadBytes });
  const wsGuard = createWsGuard(app.guard, config.wsMaxConnectionsPerClient);
  httpServer.on('upgrade', async (request, socket, head) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (path === '/graphql') {
      if (!(await wsGuard.admit(request, socket))) return;
      wsServer.handleUpgrade(request, socket, head, (ws) => wsServer.emit('connection', ws, request));
    } else {
      const status = isAbandonedEndpoint(path) ? '410 Gone' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
  });

  // graphql-ws over Yoga's envelop, as in Yoga's graphql-ws example: the same schema, context,
  // auth and error masking as HTTP and SSE.
  const wsCleanup = useServer(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onConnect: async (ctx) => {
        // A wrong token closes the socket with 4403 at once instead of failing every operation later.
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        if ((await wsGuard.checkCredentials(ctx.extra.request, ctx.extra.socket, authorization)) !== null) return false;
        try {
          await authenticate(app.services, config.adminToken, authorization);
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = app.yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          connectionParams: ctx.connectionParams ?? {},
        });
        // Operation limits refuse by throwing a GraphQLError from parse or validate (src/operation-limits.ts):
        // an error message for this operation, not a closed socket.
        try {
          const args = {
            schema,
            operationName: params.operationName,
            document: parse(params.query),
            variableValues: params.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
          const errors = validate(args.schema, args.document);
          if (errors.length) return errors;
          return args;
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
      },
    },
    wsServer,
  );

  const sweeper = startStatusSweeper(app.services, config.statusSweepMs);
  const alerting = startAlerting(app.services, app.overview, config);
  const uptimeRollup = startUptimeRollup(app.services, config.uptimeRollupMs);
  const historyJobs = startHistoryJobs(app.services);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const url = `http://${hostForUrl}:${port}`;
  logger.info({ url, database: db.provider, pubsub: config.redisUrl ? 'redis' : 'in-process' }, 'HarborForge Monitor listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    config,
    app,
    logger,
    initialAdminToken,
    alerting,
    close() {
      closing ??= (async () => {
        await historyJobs.stop();
        await alerting.stop();
        await sweeper.stop();
        await availability.stop();
        await uptimeRollup.stop();
        await wsCleanup.dispose();
        wsServer.close();
        httpServer.closeIdleConnections();
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        setTimeout(() => httpServer.closeAllConnections(), 2_000).unref();
        await closed;
        await app.close();
        await closePubSub();
        rateLimitStore?.disconnect();
        await db.close();
      })();
      return closing;
    },
  };
}

