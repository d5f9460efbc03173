// Applies the per-client limits (src/rate-limits.ts) to every HTTP request before it is routed:
// requests without credentials count against RATE_LIMIT_ANONYMOUS; requests with a token that
// fails authentication count against RATE_LIMIT_AUTH_FAILURES, and once that is used up the
// address gets 429 for any credentials until the window passes. Probes, metrics and heartbeats
// (limited per key instead) are not counted — except /metrics with per-server gauges, whose answer
// grows with the fleet. graphql-ws connections: src/server.ts.
import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { authenticate } from './auth.ts';
import type { Services } from './services/context.ts';
import { ServiceError } from './services/errors.ts';
import { blockedFor, clientAddress, consume, type RateLimits } from './rate-limits.ts';

export interface RequestGuardDeps {
  services: Services;
  limits: RateLimits;
  trustProxy: boolean;
  adminToken?: string;
  /** METRICS_PER_SERVER: /metrics costs a pass over the fleet, so it is limited like other requests. */
  perServerMetrics?: boolean;
}

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);
const isGraphQLPath = (path: string) => path === '/graphql' || path.startsWith('/graphql/');

export const TOO_MANY_REQUESTS = 'TOO_MANY_REQUESTS';

/** 429 with Retry-After: a GraphQL error with a code on GraphQL paths, the REST error shape elsewhere. */
export function tooManyRequests(path: string, retryAfterSeconds: number, what: string): Response {
  const message = `Too many ${what} from this address; retry in ${retryAfterSeconds} s.`;
  const body = isGraphQLPath(path)
    ? { errors: [{ message, extensions: { code: TOO_MANY_REQUESTS, retryAfterSeconds } }] }
    : { error: TOO_MANY_REQUESTS, message };
  return new Response(JSON.stringify(body), {
    status: 429,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retryAfterSeconds), 'cache-control': 'no-store' },
  });
}

/**
 * Checks the credentials a client presents (an HTTP header or graphql-ws connectionParams):
 * null when it may go on, else the seconds it must wait. A failure is counted; the request itself
 * is then answered by the normal path (401 / UNAUTHENTICATED).
 */
export async function guardCredentials(deps: RequestGuardDeps, address: string, authorization: unknown): Promise<number | null> {
  const blocked = await blockedFor(deps.limits.authFailures, address);
  if (blocked !== null) return blocked;
  try {
    await authenticate(deps.services, deps.adminToken, authorization);
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'UNAUTHENTICATED') await consume(deps.limits.authFailures, address);
  }
  return null;
}

export function useRequestGuard(deps: RequestGuardDeps): Plugin {
  return {
    async onRequest({ request, url, serverContext, endResponse }) {
      const path = url.pathname;
      if ((EXEMPT.has(path) && !(path === '/metrics' && deps.perServerMetrics)) || path.startsWith('/monitor/server/')) return;
      const address = clientAddress((serverContext as { req?: IncomingMessage }).req, deps.trustProxy);
      const authorization = request.headers.get('authorization');
      if (!authorization) {
        const wait = await consume(deps.limits.anonymous, address);
        if (wait !== null) return endResponse(tooManyRequests(path, wait, 'requests'));
        return;
      }
      const wait = await guardCredentials(deps, address, authorization);
      if (wait !== null) return endResponse(tooManyRequests(path, wait, 'failed authentications'));
    },
  };
}
