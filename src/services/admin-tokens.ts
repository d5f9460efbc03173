// Named admin tokens (scope admin or read-only), created by the CLI and stored as SHA-256 hashes.
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Prisma } from '../db/index.ts';
import { newSecret } from './api-keys.ts';
import { ServiceError, fromPrismaError } from './errors.ts';
import { hashSecret } from './heartbeats.ts';
import { parseInput } from './servers.ts';

export const ADMIN_TOKEN_PREFIX = 'hfa_';
export const TOKEN_SCOPES = ['admin', 'read-only'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export type Session =
  | { kind: 'admin'; scope: TokenScope; tokenName: string }
  | { kind: 'anonymous' };

const createTokenSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scope: z.enum(TOKEN_SCOPES, { message: 'must be "admin" or "read-only"' }),
});

export async function createAdminToken(prisma: Prisma, rawInput: { name: string; scope: string }) {
  const input = parseInput(createTokenSchema, rawInput);
  const secret = newSecret(ADMIN_TOKEN_PREFIX);
  const row = await prisma.adminToken
    .create({ data: { name: input.name, scope: input.scope, hash: secret.hash, prefix: secret.displayPrefix } })
    .catch((error) => {
      throw fromPrismaError(error, { conflict: `name: a token named "${input.name}" already exists` });
    });
  return { token: secret.plaintext, name: row.name, scope: row.scope as TokenScope, prefix: row.prefix };
}

export async function listAdminTokens(prisma: Prisma) {
  return prisma.adminToken.findMany({
    orderBy: { createdAt: 'asc' },
    select: { name: true, scope: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
  });
}

export async function revokeAdminToken(prisma: Prisma, name: string) {
  const result = await prisma.adminToken.updateMany({ where: { name, revokedAt: null }, data: { revokedAt: new Date() } });
  if (result.count === 0) throw new ServiceError('NOT_FOUND', `no active token named "${name}"`);
}

export async function countActiveAdminTokens(prisma: Prisma): Promise<number> {
  return prisma.adminToken.count({ where: { revokedAt: null } });
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(hashSecret(a), 'hex');
  const right = Buffer.from(hashSecret(b), 'hex');
  return timingSafeEqual(left, right);
}

/** Bearer token → session. The env token is always admin; others are looked up by hash. */
export async function authenticateToken(prisma: Prisma, envToken: string | undefined, token: string | null): Promise<Session> {
  if (!token) return { kind: 'anonymous' };
  if (envToken && sameSecret(token, envToken)) return { kind: 'admin', scope: 'admin', tokenName: 'HARBORFORGE_ADMIN_TOKEN' };
  const row = await prisma.adminToken.findUnique({ where: { hash: hashSecret(token) } });
  if (!row || row.revokedAt) throw new ServiceError('UNAUTHENTICATED', 'the bearer token is unknown or revoked');
  // Like API keys, lastUsedAt is informative: write it at most once a minute.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await prisma.adminToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { kind: 'admin', scope: row.scope as TokenScope, tokenName: row.name };
}

/** "Bearer abc" → "abc"; anything else (no header, other scheme) → null. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}
