// Server tags (issue 11): stored in server_tags, and kept in memory per instance so that the
// overview filter, the Server.tags field and alert scoping cost no query. Other instances learn
// of a change through the SERVER_UPDATED / SERVER_DELETED events that every change publishes.
import { z } from 'zod';
import type { Database } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import type { PubSub } from './events.ts';

export const tagSchema = z
  .string()
  .trim()
  .min(1, 'a tag must not be empty')
  .max(64, 'a tag must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:\/-]*$/, 'a tag may contain only letters, digits, ".", "_", ":", "/" and "-"');
export const tagListSchema = z.array(tagSchema).max(50, 'at most 50 tags').transform((tags) => [...new Set(tags)].sort());

const NO_TAGS: readonly string[] = Object.freeze([]);

export class ServerTagIndex {
  private readonly byServer = new Map<string, readonly string[]>();
  private readonly listeners = new Set<(serverId: string) => void>();
  private readonly loading: Promise<void>;
  private readonly unlisten: () => void;

  constructor(
    private readonly db: Database,
    pubsub: PubSub,
    private readonly logger: Logger,
  ) {
    this.loading = this.load().catch((error) => logger.error({ err: error }, 'loading server tags failed'));
    this.unlisten = pubsub.listen('fleet:event', (event) => {
      if (event.type === 'SERVER_DELETED') this.byServer.delete(event.serverId);
      else if (event.type === 'SERVER_UPDATED' || event.type === 'SERVER_ADDED') void this.refresh(event.serverId);
    });
  }

  private async load(): Promise<void> {
    const rows = await this.db.prisma.serverTag.findMany({ orderBy: [{ serverId: 'asc' }, { tag: 'asc' }] });
    const grouped = new Map<string, string[]>();
    for (const row of rows) (grouped.get(row.serverId) ?? grouped.set(row.serverId, []).get(row.serverId)!).push(row.tag);
    for (const [serverId, tags] of grouped) this.byServer.set(serverId, tags);
  }

  /** Re-reads one server's tags (a change made on another instance). */
  async refresh(serverId: string): Promise<void> {
    try {
      const rows = await this.db.prisma.serverTag.findMany({ where: { serverId }, orderBy: { tag: 'asc' } });
      this.set(serverId, rows.map((row) => row.tag));
    } catch (error) {
      this.logger.warn({ err: error, serverId }, 'refreshing server tags failed');
    }
  }

  ready(): Promise<void> {
    return this.loading;
  }

  get(serverId: string): readonly string[] {
    return this.byServer.get(serverId) ?? NO_TAGS;
  }

  set(serverId: string, tags: readonly string[]): void {
    const before = this.get(serverId);
    if (tags.length) this.byServer.set(serverId, tags);
    else this.byServer.delete(serverId);
    if (before.length === tags.length && before.every((tag, i) => tag === tags[i])) return;
    for (const listener of this.listeners) listener(serverId);
  }

  /** Calls `listener` with a server's id whenever its tags change here (the overview re-announces its row). */
  onChange(listener: (serverId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True when the server carries every one of `tags`. */
  hasAll(serverId: string, tags: readonly string[]): boolean {
    if (tags.length === 0) return true;
    const own = this.get(serverId);
    return tags.every((tag) => own.includes(tag));
  }

  /** True when the server carries at least one of `tags`. */
  hasAny(serverId: string, tags: readonly string[]): boolean {
    const own = this.get(serverId);
    return tags.some((tag) => own.includes(tag));
  }

  close(): void {
    this.unlisten();
  }
}

/** Replaces a server's tags inside the caller's transaction. */
export async function writeServerTags(tx: Pick<Database['prisma'], 'serverTag'>, serverId: string, tags: readonly string[]): Promise<void> {
  await tx.serverTag.deleteMany({ where: { serverId } });
  if (tags.length) await tx.serverTag.createMany({ data: tags.map((tag) => ({ serverId, tag })) });
}
