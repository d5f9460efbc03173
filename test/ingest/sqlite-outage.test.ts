// SQLite that cannot commit (another process holds the write lock past the busy timeout): the
// heartbeat answers 503 + Retry-After, later ones fail fast until a write succeeds again, then
// everything works without a restart and the outage is in backend_downtime.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackendDowntime } from '../../src/db/backend-downtime.ts';
import { seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

describe('SQLite locked by another process', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer({ databaseProbeMs: 100 })));
  afterAll(() => server?.stop());

  it('answers 503 while it cannot commit and heals once the lock is released', async () => {
    const { id, identifier } = await server.createServer();
    const key = await server.issueKey(id);
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);

    const locker = new Database(join(server.dataDir, 'harborforge.db'));
    const lockedAt = Date.now();
    locker.exec('BEGIN EXCLUSIVE');
    try {
      // The writer thread waits out its busy timeout (10 s), then the outage opens.
      const refused = await fetch(`${server.url}/monitor/server/heartbeat-v2`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify(seedHeartbeat(identifier)),
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(await refused.json()).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });
      // Meanwhile further heartbeats are refused at once rather than queued behind the lock.
      const started = Date.now();
      expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    const releasedAt = Date.now();
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, { what: '/readyz 200 after the lock was released' });
    expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
    const periods = await listBackendDowntime(server.app.services.db.prisma, new Date(lockedAt), new Date(Date.now() + 1));
    expect(periods).toHaveLength(1);
    expect(periods[0]!.cause).toBe('DATABASE');
    expect(periods[0]!.endedAt!.getTime()).toBeGreaterThanOrEqual(releasedAt);
    // Two acknowledged heartbeats, none lost and none stored twice.
    expect((await server.gql(`query ($id: ID!) { server(id: $id) { heartbeatCount } }`, { id })).data.server.heartbeatCount).toBe(2);
  }, 45_000);
});
