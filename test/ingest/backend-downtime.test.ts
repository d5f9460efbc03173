// The backend's own downtime never blames the fleet (interface A): after a restart that outlasted
// interval + grace, servers that resume reporting never go LATE/OFFLINE, and a server that really
// is silent goes LATE/OFFLINE on time, counted from the restart. A test clock makes it quick.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listBackendDowntime } from '../../src/db/backend-downtime.ts';
import { freshPostgresSchema, postgresAvailable } from '../helpers/services.ts';
import { ADMIN_TOKEN, seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { subscribeWs, wsClient } from '../helpers/subscriptions.ts';

const FLEET_EVENTS = `subscription { fleetEvents { type serverId status previousStatus } }`;

const hasPostgres = await postgresAvailable();

describe.each([
  { provider: 'sqlite', skip: false },
  { provider: 'postgres', skip: !hasPostgres },
])('backend restart ($provider)', ({ provider, skip }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'harborforge-downtime-'));
  let clock = Date.now();
  const now = () => new Date(clock);
  const started: TestServer[] = [];
  let pgSchema: Awaited<ReturnType<typeof freshPostgresSchema>> | undefined;
  const start = async () => {
    if (provider === 'postgres') pgSchema ??= await freshPostgresSchema('downtime');
    const server = await startTestServer({ dataDir, now, statusSweepMs: 50, ...(pgSchema ? { databaseUrl: pgSchema.url } : {}) });
    started.push(server);
    return server;
  };
  afterAll(async () => {
    for (const server of started) await server.close();
    await pgSchema?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(skip)('a restart after more than interval + grace gives no false LATE/OFFLINE; real silence still counts from the restart', async () => {
    const first = await start();
    const resuming = await first.createServer(undefined, { intervalSeconds: 5, graceSeconds: 3 });
    const silent = await first.createServer(undefined, { intervalSeconds: 5, graceSeconds: 3 });
    const resumingKey = await first.issueKey(resuming.id);
    const silentKey = await first.issueKey(silent.id);
    expect((await first.heartbeat(resumingKey, seedHeartbeat(resuming.identifier))).status).toBe(200);
    expect((await first.heartbeat(silentKey, seedHeartbeat(silent.identifier))).status).toBe(200);
    clock += 1_000;
    await first.close();
    const stoppedAt = clock;

    // Down for a minute: far beyond interval + grace (8 s).
    clock += 60_000;
    const restartedAt = clock;
    const second = await start();
    const events = subscribeWs(wsClient(second.url, ADMIN_TOKEN), FLEET_EVENTS);
    const statusChanges = () => events.received.filter((p: any) => p.data?.fleetEvents.type === 'STATUS_CHANGED').map((p: any) => p.data.fleetEvents);
    const overviewStatus = async () => {
      const result = await second.gql(`{ overview { servers { identifier status } } }`);
      return Object.fromEntries(result.data.overview.servers.map((s: any) => [s.identifier, s.status]));
    };
    // Many sweeps run: none may move anyone.
    await new Promise((r) => setTimeout(r, 500));
    expect(statusChanges()).toEqual([]);
    expect(await overviewStatus()).toEqual({ [resuming.identifier]: 'ONLINE', [silent.identifier]: 'ONLINE' });

    const downtime = await listBackendDowntime(second.app.services.db.prisma, new Date(stoppedAt - 10_000), new Date(restartedAt + 10_000));
    expect(downtime.map(({ startedAt, endedAt, cause }) => ({ startedAt: startedAt.getTime(), endedAt: endedAt?.getTime(), cause }))).toEqual([
      { startedAt: stoppedAt, endedAt: restartedAt, cause: 'RESTART' },
    ]);

    // The resuming server reports again; the silent one does not.
    expect((await second.heartbeat(resumingKey, seedHeartbeat(resuming.identifier))).body.status).toBe('ONLINE');
    clock += 5_000;
    expect((await second.heartbeat(resumingKey, seedHeartbeat(resuming.identifier))).body.status).toBe('ONLINE');

    // restart + 1.5 x interval: the silent server is LATE, exactly then.
    clock = restartedAt + 7_400;
    await new Promise((r) => setTimeout(r, 300));
    expect(statusChanges()).toEqual([]);
    clock = restartedAt + 7_600;
    await waitFor(() => statusChanges().length === 1, { what: 'LATE' });
    // restart + interval + grace: OFFLINE.
    clock = restartedAt + 8_100;
    await waitFor(() => statusChanges().length === 2, { what: 'OFFLINE' });
    await new Promise((r) => setTimeout(r, 300));
    expect(statusChanges()).toEqual([
      { type: 'STATUS_CHANGED', serverId: silent.id, previousStatus: 'ONLINE', status: 'LATE' },
      { type: 'STATUS_CHANGED', serverId: silent.id, previousStatus: 'LATE', status: 'OFFLINE' },
    ]);
    expect(await overviewStatus()).toEqual({ [resuming.identifier]: 'ONLINE', [silent.identifier]: 'OFFLINE' });
    await events.close();
  }, 90_000);

  it.skipIf(skip)('a quick restart while another instance is alive is no downtime', async () => {
    const alive = await start();
    const other = await start();
    await other.close();
    const stoppedAt = clock;
    clock += 2_000;
    const again = await start();
    const all = await listBackendDowntime(again.app.services.db.prisma, new Date(stoppedAt), new Date(clock + 1));
    expect(all.filter((period) => period.endedAt!.getTime() > stoppedAt)).toEqual([]);
    await alive.close();
  });
});
