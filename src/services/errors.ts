// Expected failures, named by the codes of the API contract. GraphQL turns them into errors with
// extensions.code, REST into the matching HTTP status. Services throw only these (or bugs).
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'SERVICE_UNAVAILABLE';

export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SERVICE_UNAVAILABLE: 503,
};

/** Seconds a client is told to wait (Retry-After) when a dependency is down. */
export const RETRY_AFTER_SECONDS = 5;

/** Prisma's known request errors, mapped in this one place. Anything else stays a bug. */
export function fromPrismaError(error: unknown, what: { notFound?: string; conflict?: string }): unknown {
  const code = (error as { code?: unknown })?.code;
  if (code === 'P2025' && what.notFound) return new ServiceError('NOT_FOUND', what.notFound);
  if (code === 'P2002' && what.conflict) return new ServiceError('CONFLICT', what.conflict);
  return error;
}
