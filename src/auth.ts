// Authentication: one function turns a request's credentials (an HTTP Authorization header, or
// graphql-ws connectionParams.authorization) into a tagged session, the same way everywhere.
import { authenticateToken, bearerToken, type Session } from './services/admin-tokens.ts';
import type { Services } from './services/context.ts';
import { ServiceError } from './services/errors.ts';

export type { Session };

export async function authenticate(services: Services, envToken: string | undefined, authorization: unknown): Promise<Session> {
  if (authorization == null || authorization === '') return { kind: 'anonymous' };
  const token = typeof authorization === 'string' ? bearerToken(authorization) : null;
  if (!token) throw new ServiceError('UNAUTHENTICATED', 'Authorization must be "Bearer <admin token>"');
  return authenticateToken(services.db.prisma, envToken, token);
}

export function requireAdmin(session: Session, write: boolean): void {
  if (session.kind === 'anonymous') throw new ServiceError('UNAUTHENTICATED', 'Authentication required: send "Authorization: Bearer <admin token>"');
  if (write && session.scope !== 'admin') throw new ServiceError('FORBIDDEN', 'This token is read-only: an admin-scope token is required');
}
