// Issuing and revoking a server's API key. The plaintext exists once, in the answer to
// generateApiKey; only its SHA-256 and a display prefix are stored.
import { randomBytes } from 'node:crypto';
import type { Services } from './context.ts';
import { ServiceError } from './errors.ts';
import { announce } from './events.ts';
import { hashSecret } from './heartbeats.ts';
import { getServer } from './servers.ts';
import type { ServerView } from './views.ts';

export const API_KEY_PREFIX = 'hfm_';

export function newSecret(prefix: string): { plaintext: string; hash: string; displayPrefix: string } {
  const plaintext = prefix + randomBytes(32).toString('base64url');
  return { plaintext, hash: hashSecret(plaintext), displayPrefix: plaintext.slice(0, prefix.length + 8) };
}

/** Replaces the server's key: the previous one is revoked in the same transaction. */
export async function generateApiKey(services: Services, serverId: string): Promise<{ apiKey: string; prefix: string; server: ServerView }> {
  const secret = newSecret(API_KEY_PREFIX);
  const now = services.now();
  await services.db.prisma.$transaction(async (tx) => {
    const server = await tx.monitoredServer.findUnique({ where: { id: serverId }, select: { id: true } });
    if (!server) throw new ServiceError('NOT_FOUND', `no server with id "${serverId}"`);
    await tx.apiKey.updateMany({ where: { serverId, revokedAt: null }, data: { revokedAt: now } });
    await tx.apiKey.create({ data: { serverId, hash: secret.hash, prefix: secret.displayPrefix, createdAt: now } });
  });
  const server = (await getServer(services, serverId))!;
  announce(services.pubsub, { server, events: [{ type: 'API_KEY_GENERATED', serverId, identifier: server.identifier, at: now, status: server.status }] });
  return { apiKey: secret.plaintext, prefix: secret.displayPrefix, server };
}

export async function revokeApiKey(services: Services, serverId: string): Promise<ServerView> {
  const now = services.now();
  const revoked = await services.db.prisma.$transaction(async (tx) => {
    const server = await tx.monitoredServer.findUnique({ where: { id: serverId }, select: { id: true } });
    if (!server) throw new ServiceError('NOT_FOUND', `no server with id "${serverId}"`);
    return tx.apiKey.updateMany({ where: { serverId, revokedAt: null }, data: { revokedAt: now } });
  });
  if (revoked.count === 0) throw new ServiceError('NOT_FOUND', `server "${serverId}" has no active API key to revoke`);
  const server = (await getServer(services, serverId))!;
  announce(services.pubsub, { server, events: [{ type: 'API_KEY_REVOKED', serverId, identifier: server.identifier, at: now, status: server.status }] });
  return server;
}
