// Real subscription clients: graphql-ws over a WebSocket, and Yoga's GraphQL-over-SSE over fetch.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription<T = any> {
  /** Every payload received so far (data or errors). */
  received: { data?: T; errors?: any[] }[];
  /** Resolves with the first received payload (from now on, or already received) that matches. */
  waitFor(match: (payload: { data?: T; errors?: any[] }) => boolean, timeoutMs?: number): Promise<{ data?: T; errors?: any[] }>;
  /** Set when the transport refused or ended the subscription. */
  closedWith?: unknown;
  close(): Promise<void>;
}

function collector<T>(): Subscription<T> & { push(p: any): void; fail(e: unknown): void } {
  const waiters = new Set<{ match: (p: any) => boolean; resolve: (p: any) => void }>();
  const sub = {
    received: [] as any[],
    closedWith: undefined as unknown,
    push(payload: any) {
      sub.received.push(payload);
      for (const waiter of [...waiters]) if (waiter.match(payload)) (waiters.delete(waiter), waiter.resolve(payload));
    },
    fail(error: unknown) {
      sub.closedWith = error;
    },
    waitFor(match: (p: any) => boolean, timeoutMs = 10_000) {
      const found = sub.received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<any>((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) reject(new Error(`no matching event within ${timeoutMs} ms; received ${JSON.stringify(sub.received).slice(0, 2000)}; closed: ${String(sub.closedWith)}`));
        }, timeoutMs);
      });
    },
    close: async () => {},
  };
  return sub;
}

export function wsClient(url: string, token?: string): Client {
  return createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

export function subscribeWs<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Subscription<T> {
  const sub = collector<T>();
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (payload) => sub.push(payload),
      error: (error) => {
        sub.fail(error);
        sub.push({ errors: Array.isArray(error) ? error : [{ message: String((error as any)?.reason ?? (error as any)?.message ?? error), extensions: { code: (error as any)?.code } }] });
      },
      complete: () => {},
    },
  );
  sub.close = async () => dispose();
  return sub;
}

/** Yoga's GraphQL over SSE ("distinct connections" mode): POST with accept: text/event-stream. */
export function subscribeSse<T = any>(baseUrl: string, query: string, variables?: Record<string, unknown>, token?: string): Subscription<T> & { status: Promise<number> } {
  const sub = collector<T>();
  const controller = new AbortController();
  let resolveStatus!: (status: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  void (async () => {
    try {
      const response = await fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: controller.signal,
      });
      resolveStatus(response.status);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('\n');
          if (data) sub.push(JSON.parse(data));
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) sub.fail(error);
    }
  })();
  return Object.assign(sub, {
    status,
    close: async () => controller.abort(),
  });
}
