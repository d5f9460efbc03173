// GraphQL over Server-Sent Events, "distinct connections" mode: one POST per subscription with
// `accept: text/event-stream`, answered by a stream of `event: next` / `event: complete` blocks.
// We use fetch rather than EventSource because EventSource cannot send an Authorization header,
// which the admin subscriptions need.
import { authHeader, GRAPHQL_PATH, GraphQLRequestError, toRequestError, type GraphQLErrorShape } from './graphql.ts';

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Splits a buffer into complete events and the unfinished remainder. Events end with a blank
 * line; `data:` lines join with "\n"; lines starting with ":" are keep-alive comments.
 */
export function parseSseBuffer(buffer: string): { events: SseEvent[]; rest: string } {
  const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/);
  const rest = blocks.pop() ?? '';
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      // The spec strips exactly one space after the colon.
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'event') event = value;
      else if (name === 'data') data.push(value);
    }
    if (data.length > 0 || event !== 'message') events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

export interface SseHandlers {
  /** The server accepted the subscription (HTTP 200 with an event stream). */
  onOpen(): void;
  onResult(result: { data?: unknown; errors?: GraphQLErrorShape[] }): void;
}

/**
 * Runs one subscription until the stream ends. Resolves when the server completes or the
 * connection drops (the caller decides whether to reconnect); rejects with a
 * GraphQLRequestError when the server refuses the operation, which retrying would not fix.
 */
export async function streamSubscription(
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
  signal: AbortSignal,
  handlers: SseHandlers,
): Promise<void> {
  const response = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeader(token) },
    body: JSON.stringify({ query, variables }),
    cache: 'no-store',
    signal,
  });
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) {
    // A refusal comes back as a plain GraphQL JSON response (e.g. 401 with UNAUTHENTICATED).
    const body = (await response.json().catch(() => null)) as { errors?: GraphQLErrorShape[] } | null;
    if (body?.errors?.length) throw toRequestError(body.errors);
    if (response.status >= 400 && response.status < 500) {
      throw new GraphQLRequestError(`The server refused the live connection (${response.status}).`, 'UNEXPECTED');
    }
    return; // 5xx or a proxy hiccup: let the caller retry.
  }
  if (!response.body) return;
  handlers.onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const parsed = parseSseBuffer(buffer);
    buffer = parsed.rest;
    for (const { event, data } of parsed.events) {
      if (event === 'complete') {
        await reader.cancel().catch(() => {});
        return;
      }
      if ((event === 'next' || event === 'message') && data) handlers.onResult(JSON.parse(data));
    }
  }
}
