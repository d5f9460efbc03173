// Live updates for both pages: GraphQL subscriptions over graphql-ws, falling back to
// GraphQL-over-SSE when WebSockets never get through (some proxies and corporate networks strip
// the Upgrade header). No polling anywhere: a lost connection is retried with backoff, and the
// page says so while it is.
import { createClient, type Client } from 'graphql-ws/client';
import { GraphQLRequestError, toRequestError, type GraphQLErrorShape } from './graphql.ts';
import { streamSubscription } from './sse.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'failed';
export type Transport = 'websocket' | 'sse';

export interface LiveStatus {
  state: LiveState;
  transport: Transport;
  /** Set when state is 'failed': why live updates stopped for good (e.g. token rejected). */
  message?: string;
}

export interface LiveSubscription<T> {
  query: string;
  variables?: Record<string, unknown>;
  next(data: T): void;
  /** Only for errors that retrying cannot fix (auth, invalid operation). */
  error(error: GraphQLRequestError): void;
}

export interface LiveOptions {
  /** Read on every (re)connection, so a sign-out or a new token takes effect. */
  token?: () => string | null;
  onStatus(status: LiveStatus): void;
  /** Called after a lost connection is back: events may have been missed meanwhile. */
  onResync?(): void;
}

/** WebSocket attempts that must fail, without ever connecting, before we try SSE instead. */
const WS_ATTEMPTS_BEFORE_FALLBACK = 2;
/** Ping every 10 s and drop a socket whose pong is 5 s late: a dead network is otherwise silent. */
const KEEPALIVE_MS = 10_000;
const PONG_TIMEOUT_MS = 5_000;
/** graphql-ws close codes after which reconnecting would only fail again. */
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4406, 4409, 4429, 4500]);

export function backoffMs(attempt: number): number {
  const base = Math.min(10_000, 500 * 2 ** attempt);
  return base + Math.random() * base * 0.3;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

function closeCode(value: unknown): number | undefined {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number'
    ? value.code
    : undefined;
}

function describeSinkError(value: unknown): GraphQLRequestError {
  if (Array.isArray(value)) return toRequestError(value as GraphQLErrorShape[]);
  const code = closeCode(value);
  if (code === 4403 || code === 4401) {
    return new GraphQLRequestError('The server refused the live connection: sign in again.', 'FORBIDDEN');
  }
  const reason = typeof value === 'object' && value && 'reason' in value ? String(value.reason) : '';
  return new GraphQLRequestError(reason || 'The live connection failed.', 'UNEXPECTED');
}

/**
 * graphql-ws's dispose() awaits the pending connection attempt and rejects with its CloseEvent
 * when that attempt fails; nobody is left to care at that point, so swallow it rather than
 * surface an unhandled rejection.
 */
function disposeQuietly(client: Client | null): void {
  if (client) Promise.resolve(client.dispose()).catch(() => {});
}

interface Entry {
  sub: LiveSubscription<unknown>;
  stop?: () => void;
  /** SSE only: whether this entry's stream is currently open. */
  open: boolean;
  /** Consecutive restarts after graphql-ws gave up, for the backoff. */
  retries: number;
}

export class LiveConnection {
  private readonly options: LiveOptions;
  private readonly entries = new Set<Entry>();
  private transport: Transport = 'websocket';
  private client: Client | null = null;
  private everConnected = false;
  private lostSinceConnected = false;
  private failedAttempts = 0;
  private state: LiveState = 'connecting';
  private disposed = false;

  constructor(options: LiveOptions) {
    this.options = options;
  }

  subscribe<T>(sub: LiveSubscription<T>): () => void {
    const entry: Entry = { sub: sub as LiveSubscription<unknown>, open: false, retries: 0 };
    this.entries.add(entry);
    this.start(entry);
    this.report();
    return () => {
      entry.stop?.();
      this.entries.delete(entry);
    };
  }

  dispose(): void {
    this.disposed = true;
    for (const entry of this.entries) entry.stop?.();
    this.entries.clear();
    disposeQuietly(this.client);
    this.client = null;
  }

  private start(entry: Entry): void {
    if (this.transport === 'websocket') this.startWebSocket(entry);
    else this.startSse(entry);
  }

  private setState(state: LiveState, message?: string): void {
    if (this.disposed) return; // late socket events after the page let go of us
    const wasLive = this.state === 'live';
    if (state === 'live' && this.lostSinceConnected) {
      this.lostSinceConnected = false;
      this.options.onResync?.();
    }
    if (wasLive && state !== 'live') this.lostSinceConnected = true;
    this.state = state;
    this.options.onStatus({ state, transport: this.transport, message });
  }

  private report(): void {
    this.options.onStatus({ state: this.state, transport: this.transport });
  }

  private fail(entry: Entry, error: GraphQLRequestError): void {
    entry.stop?.();
    this.entries.delete(entry);
    this.setState('failed', error.message);
    entry.sub.error(error);
  }

  // --- graphql-ws ---------------------------------------------------------------------------

  private wsClient(): Client {
    if (this.client) return this.client;
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
    let pongTimer: ReturnType<typeof setTimeout> | undefined;
    let socket: WebSocket | null = null;
    this.client = createClient({
      url,
      connectionParams: () => {
        const token = this.options.token?.();
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      retryAttempts: Infinity,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, backoffMs(retries))),
      // Network failures are worth retrying forever; an explicit refusal is not.
      shouldRetry: (event) => !FATAL_CLOSE_CODES.has(closeCode(event) ?? 0),
      keepAlive: KEEPALIVE_MS,
      on: {
        connecting: () => this.setState(this.everConnected ? 'reconnecting' : 'connecting'),
        connected: (connected) => {
          socket = connected as WebSocket;
          this.everConnected = true;
          this.failedAttempts = 0;
          this.setState('live');
        },
        ping: (received) => {
          if (received) return;
          pongTimer = setTimeout(() => {
            // 4408 is not fatal, so graphql-ws reconnects right away.
            if (socket?.readyState === WebSocket.OPEN) socket.close(4408, 'Pong timeout');
          }, PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
        closed: (event) => {
          clearTimeout(pongTimer);
          socket = null;
          if (this.disposed || this.entries.size === 0) return;
          if (!this.everConnected && !FATAL_CLOSE_CODES.has(closeCode(event) ?? 0)) {
            this.failedAttempts += 1;
            if (this.failedAttempts >= WS_ATTEMPTS_BEFORE_FALLBACK) {
              // Not from inside graphql-ws's own event dispatch: let it finish handling the close.
              setTimeout(() => this.transport === 'websocket' && this.switchToSse(), 0);
              return;
            }
          }
          this.setState(this.everConnected ? 'reconnecting' : 'connecting');
        },
      },
    });
    return this.client;
  }

  private startWebSocket(entry: Entry): void {
    const { sub } = entry;
    entry.stop = this.wsClient().subscribe(
      { query: sub.query, variables: sub.variables ?? {} },
      {
        next: (result) => {
          entry.retries = 0;
          if (result.errors?.length && !result.data) this.fail(entry, toRequestError(result.errors as GraphQLErrorShape[]));
          else if (result.data) sub.next(result.data);
        },
        error: (error) => {
          const code = closeCode(error);
          // graphql-ws gives up for good on some close codes that a proxy or a restarting server
          // can produce (1011, 4500…). Only a refused token is final for us; retry the rest.
          if (code !== undefined && code !== 4401 && code !== 4403 && !this.disposed) {
            this.setState(this.everConnected ? 'reconnecting' : 'connecting');
            setTimeout(() => {
              if (!this.disposed && this.entries.has(entry) && this.transport === 'websocket') this.startWebSocket(entry);
            }, backoffMs(entry.retries++));
            return;
          }
          this.fail(entry, describeSinkError(error));
        },
        // The server ended the subscription (e.g. it is shutting down): start it again, after a
        // pause so that a server which completes at once cannot make us spin.
        complete: () => {
          setTimeout(() => {
            if (!this.disposed && this.entries.has(entry) && this.transport === 'websocket') this.startWebSocket(entry);
          }, 1_000);
        },
      },
    );
  }

  private switchToSse(): void {
    this.transport = 'sse';
    const client = this.client;
    this.client = null;
    for (const entry of this.entries) {
      const stopWs = entry.stop;
      entry.stop = undefined;
      stopWs?.();
    }
    disposeQuietly(client);
    for (const entry of this.entries) this.startSse(entry);
    this.setState('connecting');
  }

  // --- SSE ----------------------------------------------------------------------------------

  private startSse(entry: Entry): void {
    const controller = new AbortController();
    entry.stop = () => controller.abort();
    void this.runSse(entry, controller.signal);
  }

  private async runSse(entry: Entry, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      try {
        await streamSubscription(entry.sub.query, entry.sub.variables ?? {}, this.options.token?.() ?? null, signal, {
          onOpen: () => {
            attempt = 0;
            entry.open = true;
            this.everConnected = true;
            this.updateSseState();
          },
          onResult: (result) => {
            if (result.errors?.length && !result.data) throw toRequestError(result.errors);
            if (result.data) entry.sub.next(result.data);
          },
        });
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof GraphQLRequestError && error.code !== 'NETWORK') {
          this.fail(entry, error);
          return;
        }
      }
      entry.open = false;
      if (signal.aborted) return;
      this.updateSseState();
      await sleep(backoffMs(attempt++), signal);
    }
  }

  private updateSseState(): void {
    const all = [...this.entries];
    if (all.length > 0 && all.every((entry) => entry.open)) this.setState('live');
    else this.setState(this.everConnected ? 'reconnecting' : 'connecting');
  }
}
