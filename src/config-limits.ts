// The request-surface limits (operation limits, rate limits, HTTP/WebSocket hygiene), kept apart
// from src/config.ts so that they read as one table. Defaults let a newcomer's status page,
// admin page and GraphiQL work unchanged; README lists them.
import { z } from 'zod';

export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
const count = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

export const requestLimitsSchema = {
  GRAPHQL_MAX_ALIASES: count(0, 15),
  GRAPHQL_MAX_DEPTH: count(1, 10),
  GRAPHQL_MAX_TOKENS: count(10, 2000),
  GRAPHQL_MAX_DIRECTIVES: count(0, 50),
  /** Estimated fields resolved: each field counts once per item of the lists it sits in. */
  GRAPHQL_MAX_COST: count(1, 1_000_000),
  GRAPHQL_INTROSPECTION: booleanFlag.default(true),
  GRAPHIQL: booleanFlag.default(true),
  /** Requests a minute per client address without credentials (GraphQL, public REST, web pages); 0 = off. */
  RATE_LIMIT_ANONYMOUS: count(0, 600),
  /** Failed admin authentications per client address in 10 minutes before it gets 429; 0 = off. */
  RATE_LIMIT_AUTH_FAILURES: count(0, 10),
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  TRUST_PROXY: booleanFlag.default(false),
  HTTP_HEADERS_TIMEOUT_MS: count(1000, 10_000),
  HTTP_REQUEST_TIMEOUT_MS: count(1000, 30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: count(1000, 65_000),
  WS_MAX_PAYLOAD_BYTES: count(1024, 64 * 1024),
  WS_MAX_CONNECTIONS_PER_CLIENT: count(1, 50),
};

type Values = { [K in keyof typeof requestLimitsSchema]: z.infer<(typeof requestLimitsSchema)[K]> };

export function requestLimitsFrom(values: Values) {
  return {
    graphqlMaxAliases: values.GRAPHQL_MAX_ALIASES,
    graphqlMaxDepth: values.GRAPHQL_MAX_DEPTH,
    graphqlMaxTokens: values.GRAPHQL_MAX_TOKENS,
    graphqlMaxDirectives: values.GRAPHQL_MAX_DIRECTIVES,
    graphqlMaxCost: values.GRAPHQL_MAX_COST,
    graphqlIntrospection: values.GRAPHQL_INTROSPECTION,
    graphiql: values.GRAPHIQL,
    rateLimitAnonymous: values.RATE_LIMIT_ANONYMOUS,
    rateLimitAuthFailures: values.RATE_LIMIT_AUTH_FAILURES,
    trustProxy: values.TRUST_PROXY,
    httpHeadersTimeoutMs: values.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: values.HTTP_REQUEST_TIMEOUT_MS,
    httpKeepAliveTimeoutMs: values.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    wsMaxPayloadBytes: values.WS_MAX_PAYLOAD_BYTES,
    wsMaxConnectionsPerClient: values.WS_MAX_CONNECTIONS_PER_CLIENT,
  };
}

export type RequestLimitsConfig = ReturnType<typeof requestLimitsFrom>;
