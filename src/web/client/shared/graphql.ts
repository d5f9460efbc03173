// A deliberately tiny GraphQL-over-HTTP client. The page only ever sends a handful of fixed
// documents, so a caching client (Apollo, urql) would cost more bytes than it saves.
import { observeServerDate } from './clock.ts';

export const GRAPHQL_PATH = '/graphql';

/** The error codes the backend promises in `extensions.code`, plus our own transport failures. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'NETWORK'
  | 'UNEXPECTED';

export interface GraphQLErrorShape {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

export class GraphQLRequestError extends Error {
  readonly code: ErrorCode;
  /**
   * Messages per input field, when the server named fields: it reports validation as
   * "identifier: may contain only …; intervalSeconds: must be at least 5 seconds".
   */
  readonly fieldErrors: Readonly<Record<string, string>>;

  constructor(message: string, code: ErrorCode, fieldErrors: Record<string, string> = {}) {
    super(message);
    this.name = 'GraphQLRequestError';
    this.code = code;
    this.fieldErrors = fieldErrors;
  }

  get isAuthFailure(): boolean {
    return this.code === 'UNAUTHENTICATED' || this.code === 'FORBIDDEN';
  }
}

/**
 * Splits "a.b: text; c: text" into { b: "text", c: "text" }. Paths may be nested
 * ("input.identifier") depending on where the validator ran; the last segment is the field.
 */
export function parseFieldErrors(message: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of message.split(/;\s+(?=[\w.[\]]+:\s)/)) {
    const match = /^([\w.[\]]+):\s+([\s\S]*)$/.exec(part.trim());
    if (!match) return {}; // not the "field: message" shape: treat the message as a whole
    const field = match[1].split('.').pop()!.replace(/\[\d+\]$/, '');
    fields[field] = fields[field] ? `${fields[field]}; ${match[2]}` : match[2];
  }
  return fields;
}

const KNOWN_CODES = new Set<ErrorCode>(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT']);

/** Turns the first GraphQL error into a typed error (the backend reports one at a time). */
export function toRequestError(errors: ReadonlyArray<GraphQLErrorShape>): GraphQLRequestError {
  const first = errors[0] ?? { message: 'Unexpected error.' };
  const rawCode = typeof first.extensions?.code === 'string' ? first.extensions.code : '';
  const code: ErrorCode = KNOWN_CODES.has(rawCode as ErrorCode) ? (rawCode as ErrorCode) : 'UNEXPECTED';
  const fieldErrors = code === 'BAD_USER_INPUT' || code === 'CONFLICT' ? parseFieldErrors(first.message) : {};
  return new GraphQLRequestError(first.message, code, fieldErrors);
}

export function authHeader(token: string | null | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** POSTs one operation and returns `data`, or throws a GraphQLRequestError. */
export async function request<T>(
  query: string,
  variables: Record<string, unknown> = {},
  token?: string | null,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...authHeader(token) },
      body: JSON.stringify({ query, variables }),
      // Never let an intermediary or the browser hand us a stale answer for live data.
      cache: 'no-store',
    });
  } catch {
    throw new GraphQLRequestError('Cannot reach the server. Check your connection and try again.', 'NETWORK');
  }
  observeServerDate(response.headers.get('date'));
  let body: { data?: T | null; errors?: GraphQLErrorShape[] } | undefined;
  try {
    body = await response.json();
  } catch {
    // A proxy error page or an empty 502: say what happened instead of "Unexpected token <".
    throw new GraphQLRequestError(`The server answered ${response.status} ${response.statusText}.`.trim(), 'NETWORK');
  }
  if (body?.errors?.length) throw toRequestError(body.errors);
  if (!response.ok || body?.data == null) {
    throw new GraphQLRequestError(`The server answered ${response.status} without data.`, 'UNEXPECTED');
  }
  return body.data;
}
