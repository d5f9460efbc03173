// graphql-ws connections: at most WS_MAX_CONNECTIONS_PER_CLIENT open per client address on this
// instance, each upgrade counted against the anonymous request limit (credentials come later, in
// connectionParams), and failed authentications counted like on HTTP (src/request-guard.ts).
// The message size cap is the WebSocketServer's maxPayload (src/server.ts).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { clientAddress, consume } from './rate-limits.ts';
import { guardCredentials, type RequestGuardDeps } from './request-guard.ts';

export interface WsGuard {
  /** false when the upgrade was refused (the socket is answered and closed). */
  admit(request: IncomingMessage, socket: Duplex): Promise<boolean>;
  /** null when the connection may go on; else it was closed with 4429. */
  checkCredentials(request: IncomingMessage, ws: WebSocket, authorization: unknown): Promise<number | null>;
}

function refuse(socket: Duplex, retryAfterSeconds: number, message: string) {
  socket.end(
    `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${retryAfterSeconds}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

export function createWsGuard(deps: RequestGuardDeps, maxPerClient: number): WsGuard {
  const open = new Map<string, number>();
  const addressOf = (request: IncomingMessage) => clientAddress(request, deps.trustProxy);
  return {
    async admit(request, socket) {
      const address = addressOf(request);
      const count = open.get(address) ?? 0;
      if (count >= maxPerClient) {
        refuse(socket, 10, `At most ${maxPerClient} open WebSocket connections per client (WS_MAX_CONNECTIONS_PER_CLIENT).`);
        return false;
      }
      // Reserved before the first await, so that a burst of upgrades cannot all pass the check;
      // released when the socket closes, however that happens.
      open.set(address, count + 1);
      socket.once('close', () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left > 0) open.set(address, left);
        else open.delete(address);
      });
      const wait = await consume(deps.limits.anonymous, address);
      if (wait !== null) {
        refuse(socket, wait, `Too many requests from this address; retry in ${wait} s.`);
        return false;
      }
      return true;
    },
    async checkCredentials(request, ws, authorization) {
      if (authorization == null || authorization === '') return null;
      const wait = await guardCredentials(deps, addressOf(request), authorization);
      if (wait !== null) ws.close(4429, `Too many failed authentications; retry in ${wait} s`);
      return wait;
    },
  };
}
