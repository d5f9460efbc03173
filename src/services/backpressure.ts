// How many bytes a subscriber's connection still has to send: graphql-ws's WebSocket
// (`bufferedAmount`, which includes the TCP socket's buffer) or, for SSE, the HTTP response
// (`writableLength` plus its socket's). Subscriptions hold events back while this is high, so a
// client that stops reading never makes the server buffer without bound.
import type { ServerResponse } from 'node:http';

interface Initial {
  socket?: { bufferedAmount?: number };
  res?: ServerResponse;
}

export function backlogOf(initial: unknown): (() => number) | undefined {
  const { socket, res } = (initial ?? {}) as Initial;
  if (socket && typeof socket.bufferedAmount === 'number') return () => socket.bufferedAmount ?? 0;
  if (res && typeof res.writableLength === 'number') return () => res.writableLength + (res.socket?.writableLength ?? 0);
  return undefined;
}
