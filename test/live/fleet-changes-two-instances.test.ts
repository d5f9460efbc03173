// fleetChanges across two real server processes on PostgreSQL + Redis: changes made on A
// (heartbeats, additions, deletions, renames, silence) reach subscribers on both instances, and a
// client applying the deltas to its first page — whole fleet or filtered — ends holding exactly what
// a fresh `overview` returns from either instance. Versions are per instance (the change log is
// in memory): a version from A resumes on A, and on B it gets an explicit reset, never a delta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresSchema, postgresAvailable, redisAvailable, REDIS_URL } from '../helpers/services.ts';
import { startMain, type ServerProcess } from '../helpers/process.ts';
import { seedHeartbeat, waitFor } from '../helpers/server.ts';
import { subscribeSse, subscribeWs, wsClient, type Subscription } from '../helpers/subscriptions.ts';

const TOKEN = 'two-instances-changes-token-0123';
const available = (await postgresAvailable()) && (await redisAvailable());

const ROW = 'id identifier name status lastSeenAt cpuPct uptimeSeconds';
const TOTALS = 'totals { servers online late offline pending }';
const QUERY = `query ($status: [ServerStatus!], $search: String) {
  overview(first: 1000, status: $status, search: $search) { version ${TOTALS} servers { ${ROW} } }
}`;
const CHANGES = `subscription ($since: String, $status: [ServerStatus!], $search: String, $first: Int) {
  fleetChanges(since: $since, status: $status, search: $search, first: $first) { version reset ${TOTALS} changed { ${ROW} } removed }
}`;

/** A client of one instance: its first page, kept by applying the deltas (as the status page does). */
function follower(sub: Subscription, initial: any[]) {
  const rows = new Map<string, any>(initial.map((row) => [row.id, row]));
  let totals: any = null;
  let applied = 0;
  return {
    sub,
    sync() {
      for (; applied < sub.received.length; applied++) {
        const payload = sub.received[applied]!;
        expect(payload.errors).toBeUndefined();
        const event = payload.data.fleetChanges;
        if (event.reset) rows.clear();
        for (const row of event.changed) rows.set(row.id, row);
        for (const id of event.removed) rows.delete(id);
        totals = event.totals;
      }
      return { servers: [...rows.values()].sort((a, b) => (a.identifier < b.identifier ? -1 : 1)), totals };
    },
  };
}

describe.skipIf(!available)('fleetChanges across two instances on PostgreSQL + Redis', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let dropSchema: () => Promise<void>;
  const open: Subscription[] = [];
  const track = <T extends Subscription>(sub: T) => (open.push(sub), sub);

  const gql = async (instance: ServerProcess, query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(`${instance.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as any;
    expect(result.errors).toBeUndefined();
    return result.data;
  };
  const overview = async (instance: ServerProcess, filter: Record<string, unknown> = {}) => (await gql(instance, QUERY, filter)).overview;
  const addServer = async (instance: ServerProcess, identifier: string, extra: Record<string, unknown> = {}) =>
    (await gql(instance, `mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier, name: `Box ${identifier}`, ...extra } })).addServer.server
      .id as string;
  const heartbeat = async (instance: ServerProcess, key: string, body: unknown) => {
    const response = await fetch(`${instance.url}/monitor/server/heartbeat-v2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    const schema = await freshPostgresSchema('changes2');
    dropSchema = schema.drop;
    const env = {
      DATABASE_URL: schema.url,
      REDIS_URL,
      REDIS_PREFIX: `hf-test-changes-${process.pid}-${Date.now()}:`,
      HARBORFORGE_ADMIN_TOKEN: TOKEN,
      DATA_DIR: `/tmp/hf-two-changes-${process.pid}`,
      STATUS_SWEEP_MS: '100',
      FLEET_CHANGES_INTERVAL_MS: '100',
      HEARTBEAT_RATE_LIMIT: '0',
    };
    // Two TypeScript processes compiling at once on a loaded 2-core machine: room to start.
    [a, b] = await Promise.all([startMain(env, 90_000), startMain(env, 90_000)]);
    // Each instance subscribes to Redis asynchronously: wait until a server added on A shows in
    // B's overview and one added on B in A's (never a fixed pause on a loaded machine).
    const deadline = Date.now() + 30_000;
    for (let n = 0; ; n++) {
      const [onA, onB] = [`warm-a-${n}`, `warm-b-${n}`];
      await addServer(a, onA);
      await addServer(b, onB);
      const heard = await waitFor(
        async () => {
          const [fromA, fromB] = [await overview(a), await overview(b)];
          return fromB.servers.some((s: any) => s.identifier === onA) && fromA.servers.some((s: any) => s.identifier === onB);
        },
        { timeoutMs: 1500, what: 'warm-up' },
      ).catch(() => false);
      if (heard) break;
      if (Date.now() > deadline) throw new Error('the instances never heard each other through Redis');
    }
  }, 200_000);

  afterAll(async () => {
    for (const sub of open) await sub.close();
    expect(await a?.stop()).toBe(0);
    expect(await b?.stop()).toBe(0);
    await dropSchema?.();
  });

  it('subscribers on both instances, whole fleet and filtered, converge on what a fresh overview of either returns', async () => {
    // LATE 7.5 s and OFFLINE 20 s after the last heartbeat: a window wide enough to observe LATE.
    const timing = { intervalSeconds: 5, graceSeconds: 15 };
    const fleet: { id: string; identifier: string; key: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const identifier = `node-${i}`;
      const id = await addServer(a, identifier, timing);
      const key = (await gql(a, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id })).generateApiKey.apiKey;
      fleet.push({ id, identifier, key });
    }
    for (const s of fleet.slice(0, 3)) await heartbeat(a, s.key, seedHeartbeat(s.identifier, { cpu_pct: 1 }));

    // Views followed: the whole fleet on B (graphql-ws) and on A (SSE); ONLINE only and a search on B.
    const views: { name: string; filter: Record<string, unknown>; on: ServerProcess; transport: 'ws' | 'sse' }[] = [
      { name: 'whole fleet on B', filter: {}, on: b, transport: 'ws' },
      { name: 'whole fleet on A', filter: {}, on: a, transport: 'sse' },
      { name: 'ONLINE on B', filter: { status: ['ONLINE'] }, on: b, transport: 'ws' },
      { name: 'search "renamed" on B', filter: { search: 'renamed' }, on: b, transport: 'ws' },
    ];
    const followers: ((typeof views)[number] & { follow: ReturnType<typeof follower> })[] = [];
    for (const view of views) {
      const first = await overview(view.on, view.filter);
      const variables = { since: first.version, ...view.filter };
      const sub = track(view.transport === 'sse' ? subscribeSse(view.on.url, CHANGES, variables) : subscribeWs(wsClient(view.on.url), CHANGES, variables));
      const event = (await sub.waitFor((p) => !!p.data?.fleetChanges || !!p.errors)).data?.fleetChanges;
      expect(event?.reset, `${view.name}: resumed from its own instance's version`).toBe(false);
      followers.push({ ...view, follow: follower(sub, first.servers) });
    }

    /** Every follower holds what both instances answer now; `settled` says the fleet reached the step's state. */
    const converged = async (what: string, settled: (fleet: any) => boolean = () => true) => {
      let last = '';
      await waitFor(
        async () => {
          const fromA = await overview(a);
          if (!settled(fromA)) return (last = 'fleet not there yet'), false;
          for (const view of followers) {
            const held = JSON.stringify(view.follow.sync());
            const [onA, onB] = [await overview(a, view.filter), await overview(b, view.filter)];
            const fresh = (o: any) => JSON.stringify({ servers: o.servers, totals: o.totals });
            if (held !== fresh(onA) || held !== fresh(onB)) return (last = `${view.name}: holds ${held}\nA: ${fresh(onA)}\nB: ${fresh(onB)}`), false;
          }
          return true;
        },
        { what: `${what} (${last})`, timeoutMs: 20_000, everyMs: 150 },
      ).catch((error) => {
        throw new Error(`${what}: ${last || error.message}`);
      });
    };
    const row = (o: any, id: string) => o.servers.find((s: any) => s.id === id);

    await converged('start');
    for (const s of fleet) await heartbeat(a, s.key, seedHeartbeat(s.identifier, { cpu_pct: 42, uptime_seconds: 100 }));
    await converged('heartbeats on A', (o) => fleet.every((s) => row(o, s.id)?.cpuPct === 42));
    const added = await addServer(a, 'node-added');
    await converged('addition on A', (o) => !!row(o, added));
    await gql(a, `mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { id } } }`, { i: { id: fleet[1]!.id, name: 'Renamed one' } });
    await converged('rename on A (into the search)', (o) => row(o, fleet[1]!.id)?.name === 'Renamed one');
    await gql(a, `mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { id } } }`, { i: { id: fleet[1]!.id, name: 'Plain again' } });
    await converged('rename on A (out of the search)', (o) => row(o, fleet[1]!.id)?.name === 'Plain again');
    await gql(a, `mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id: fleet[0]!.id });
    await gql(a, `mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id: added });
    await converged('deletions on A', (o) => !row(o, fleet[0]!.id) && !row(o, added));
    // A heartbeat on B in between: the instance that did not receive it still serves it.
    await heartbeat(b, fleet[4]!.key, seedHeartbeat(fleet[4]!.identifier, { cpu_pct: 77 }));
    await converged('heartbeat on B', (o) => row(o, fleet[4]!.id)?.cpuPct === 77);
    const silent = fleet.slice(1, 4);
    // LATE until 20 s of silence; a machine slow enough to spend that on the steps above sees them OFFLINE already.
    await converged('silence: LATE', (o) => silent.every((s) => ['LATE', 'OFFLINE'].includes(row(o, s.id)?.status)));
    await converged('silence: OFFLINE', (o) => [...silent, fleet[4]!].every((s) => row(o, s.id)?.status === 'OFFLINE'));
    // The ONLINE view emptied of the fleet by silence alone (no request touched those servers).
    const online = followers.find((view) => view.name === 'ONLINE on B')!.follow.sync();
    expect(online.servers.filter((s: any) => fleet.some((f) => f.id === s.id))).toEqual([]);
  }, 120_000);

  it('resumes from a version on the instance that issued it; on the other instance it gets a reset, never a delta', async () => {
    const id = await addServer(a, `resume-${Date.now()}`);
    const key = (await gql(a, `mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id })).generateApiKey.apiKey;
    const [versionA, versionB] = [(await overview(a)).version, (await overview(b)).version];
    expect(versionA.split('.')[0]).not.toBe(versionB.split('.')[0]); // one change log (epoch) per instance
    const identifier = (await overview(a)).servers.find((s: any) => s.id === id).identifier;
    await heartbeat(a, key, seedHeartbeat(identifier, { cpu_pct: 9 }));
    await waitFor(async () => (await overview(b)).servers.find((s: any) => s.id === id)?.cpuPct === 9, { what: 'the heartbeat on B' });

    for (const [on, version] of [[a, versionA], [b, versionB]] as const) {
      const sub = track(subscribeWs(wsClient(on.url), CHANGES, { since: version }));
      const event = (await sub.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges;
      expect(event.reset).toBe(false);
      expect(event.changed.map((s: any) => [s.id, s.cpuPct])).toEqual([[id, 9]]);
    }

    // A's version on B (a load balancer moved the client): a reset with the first page asked for.
    const moved = track(subscribeWs(wsClient(b.url), CHANGES, { since: versionA, first: 3 }));
    const reset = (await moved.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges;
    expect(reset.reset).toBe(true);
    const firstPage = (await overview(b)).servers.slice(0, 3);
    expect(reset.changed.map((s: any) => s.id)).toEqual(firstPage.map((s: any) => s.id));
    expect(reset.version.split('.')[0]).toBe(versionB.split('.')[0]);
    // Without `first`: a reset with nothing in it (query again), not A's sequence read as B's.
    const bare = track(subscribeSse(b.url, CHANGES, { since: versionA }));
    const bareEvent = (await bare.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges;
    expect(bareEvent).toMatchObject({ reset: true, changed: [], removed: [] });
    // B's version resumes on B afterwards, from the reset's version.
    const again = track(subscribeWs(wsClient(b.url), CHANGES, { since: bareEvent.version }));
    expect((await again.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges.reset).toBe(false);
  }, 60_000);
});
