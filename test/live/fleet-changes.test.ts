// fleetChanges over real graphql-ws and SSE: a client that applies the deltas to its first page
// holds what a fresh query returns (heartbeats, additions, deletions, silence); resume from a
// version; reset when the version is unknown or too old.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { subscribeSse, subscribeWs, wsClient, type Subscription } from '../helpers/subscriptions.ts';

const ROW = 'id identifier name status lastSeenAt cpuPct';
const QUERY = `query ($first: Int, $status: [ServerStatus!], $search: String) {
  overview(first: $first, status: $status, search: $search) { version totals { servers online late offline pending } servers { ${ROW} } }
}`;
const CHANGES = `subscription ($since: String, $status: [ServerStatus!], $search: String, $ids: [ID!], $first: Int) {
  fleetChanges(since: $since, status: $status, search: $search, ids: $ids, first: $first) { version reset totals { servers online late offline pending } changed { ${ROW} } removed }
}`;

/** What a client holds: rows by id, applied from events. */
function holder(initial: any[]) {
  const rows = new Map<string, any>(initial.map((r) => [r.id, r]));
  let totals: any = null;
  let version: string | null = null;
  return {
    rows,
    get totals() {
      return totals;
    },
    get version() {
      return version;
    },
    apply(event: any) {
      if (event.reset) rows.clear();
      for (const row of event.changed) rows.set(row.id, row);
      for (const id of event.removed) rows.delete(id);
      totals = event.totals;
      version = event.version;
    },
    sorted: () => [...rows.values()].sort((a, b) => (a.identifier < b.identifier ? -1 : 1)),
  };
}

// Each case waits for convergence step by step (and one sends 250 heartbeats): on a loaded 2-core
// machine they take 10–30 s, so they get more than the default 30 s.
describe('fleetChanges', () => {
  let server: TestServer;
  let clockOffsetMs = 0;
  const open: Subscription[] = [];
  const track = <T extends Subscription>(sub: T) => (open.push(sub), sub);

  beforeAll(async () => {
    server = await startTestServer({ now: () => new Date(Date.now() + clockOffsetMs), statusSweepMs: 100, fleetChangesIntervalMs: 100, heartbeatRateLimit: 0, fleetChangeLogSize: 200 });
  });
  afterAll(async () => {
    for (const sub of open) await sub.close();
    await server?.stop();
  });

  const fresh = async (variables: Record<string, unknown> = {}) => (await server.gql(QUERY, { first: 1000, ...variables }, null)).data.overview;

  for (const transport of ['graphql-ws', 'SSE'] as const) {
    it(`a client applying the deltas holds what a fresh query returns (${transport})`, async () => {
      const fleet: { id: string; identifier: string; key: string }[] = [];
      for (let i = 0; i < 6; i++) {
        const created = await server.createServer(undefined, { intervalSeconds: 10, graceSeconds: 10 });
        fleet.push({ ...created, key: await server.issueKey(created.id) });
      }
      for (const s of fleet.slice(0, 4)) await server.heartbeat(s.key, seedHeartbeat(s.identifier, { cpu_pct: 1 }));
      const first = await fresh();
      const held = holder(first.servers);
      const variables = { since: first.version };
      const sub = track(transport === 'SSE' ? subscribeSse(server.url, CHANGES, variables) : subscribeWs(wsClient(server.url), CHANGES, variables));
      let applied = 0;
      const sync = () => {
        for (; applied < sub.received.length; applied++) {
          const payload = sub.received[applied]!;
          expect(payload.errors).toBeUndefined();
          held.apply(payload.data.fleetChanges);
        }
      };
      const converged = async (what: string) => {
        await waitFor(
          async () => {
            sync();
            const now = await fresh();
            return JSON.stringify(held.sorted()) === JSON.stringify(now.servers) && JSON.stringify(held.totals) === JSON.stringify(now.totals);
          },
          { what, timeoutMs: 8000 },
        );
      };
      await sub.waitFor((p) => !!p.data?.fleetChanges);
      expect(sub.received[0]!.data.fleetChanges.reset).toBe(false); // resumed from the query's version
      await converged('first event');

      for (const s of fleet) await server.heartbeat(s.key, seedHeartbeat(s.identifier, { cpu_pct: 42 }));
      await converged('heartbeats');
      const added = await server.createServer();
      await converged('addition');
      await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id: fleet[0]!.id });
      await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id: added.id });
      await converged('deletions');
      clockOffsetMs += 16_000; // LATE by silence
      await converged('silence: LATE');
      clockOffsetMs += 10_000; // OFFLINE
      await converged('silence: OFFLINE');
      expect(held.sorted().filter((r) => fleet.some((s) => s.id === r.id)).map((r) => r.status)).toEqual(fleet.slice(1).map(() => 'OFFLINE'));
      // Coalesced: far fewer events than changes, each at most one per interval.
      expect(sub.received.length).toBeLessThan(40);
      // Nothing changes: no more events (no totals drift, no repeats).
      sync();
      const quiet = sub.received.length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(sub.received.length).toBe(quiet);
    }, 90_000);
  }

  it('narrows to ids and status, and sends removed when a server leaves the status filter', async () => {
    const a = await server.createServer(undefined, { intervalSeconds: 10, graceSeconds: 10 });
    const b = await server.createServer(undefined, { intervalSeconds: 10, graceSeconds: 10 });
    const other = await server.createServer();
    const [keyA, keyB, keyOther] = [await server.issueKey(a.id), await server.issueKey(b.id), await server.issueKey(other.id)];
    await server.heartbeat(keyA, seedHeartbeat(a.identifier));
    const sub = track(subscribeWs(wsClient(server.url), CHANGES, { ids: [a.id, b.id], status: ['ONLINE'] }));
    const first = await sub.waitFor((p) => !!p.data?.fleetChanges);
    expect(first.data.fleetChanges.reset).toBe(true);
    expect(first.data.fleetChanges.changed.map((r: any) => r.id)).toEqual([a.id]);
    await server.heartbeat(keyOther, seedHeartbeat(other.identifier));
    await server.heartbeat(keyB, seedHeartbeat(b.identifier, { cpu_pct: 5 }));
    const withB = await sub.waitFor((p) => p.data?.fleetChanges.changed.some((r: any) => r.id === b.id));
    expect(withB.data.fleetChanges.changed.map((r: any) => r.id)).toEqual([b.id]);
    expect(sub.received.some((p) => p.data?.fleetChanges.changed.some((r: any) => r.id === other.id))).toBe(false);
    clockOffsetMs += 16_000;
    const gone = await sub.waitFor((p) => p.data?.fleetChanges.removed.includes(a.id));
    expect(gone.data.fleetChanges.removed.sort()).toEqual([a.id, b.id].sort());
  });

  it('does not announce as removed a new server that never matched the filter', async () => {
    const sub = track(subscribeWs(wsClient(server.url), CHANGES, { status: ['OFFLINE'] }));
    await sub.waitFor((p) => !!p.data?.fleetChanges);
    const added = await server.createServer(); // PENDING: not in this view
    await server.issueKey(added.id);
    // The totals move (one more server); the event says so without naming it.
    const counted = await sub.waitFor((p) => p.data?.fleetChanges.totals.pending >= 1 && !p.data.fleetChanges.reset && p.data.fleetChanges.totals.servers > 0);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(counted).toBeTruthy();
    expect(sub.received.some((p) => p.data?.fleetChanges.removed.includes(added.id) || p.data?.fleetChanges.changed.some((r: any) => r.id === added.id))).toBe(false);
    // (A later status change between two statuses outside the filter, e.g. PENDING -> ONLINE, is
    // announced as removed: without the subscriber's past view the server cannot tell; harmless.)
  });

  it('resumes from a version, and resets when the version is unknown or too old', async () => {
    const s = await server.createServer();
    const key = await server.issueKey(s.id);
    const { version } = await fresh();
    await server.heartbeat(key, seedHeartbeat(s.identifier, { cpu_pct: 7 }));
    const resumed = track(subscribeWs(wsClient(server.url), CHANGES, { since: version }));
    const event = (await resumed.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges;
    expect(event.reset).toBe(false);
    expect(event.changed.map((r: any) => [r.id, r.cpuPct])).toEqual([[s.id, 7]]);

    const foreign = track(subscribeWs(wsClient(server.url), CHANGES, { since: 'another-instance.12', first: 2 }));
    const reset = (await foreign.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges;
    expect(reset.reset).toBe(true);
    expect(reset.changed).toHaveLength(2); // the first page, as asked
    // Arguments written in the document (not variables) count too.
    const literal = track(subscribeWs(wsClient(server.url), `subscription { fleetChanges(first: 1, since: "x.1") { reset changed { id } } }`));
    expect((await literal.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges.changed).toHaveLength(1);

    // The change log keeps 200 versions here: 250 heartbeats later, `version` is too old.
    const old = (await fresh()).version;
    for (let i = 0; i < 250; i++) await server.heartbeat(key, seedHeartbeat(s.identifier, { cpu_pct: i % 100 }));
    const late = track(subscribeWs(wsClient(server.url), CHANGES, { since: old }));
    expect((await late.waitFor((p) => !!p.data?.fleetChanges)).data.fleetChanges.reset).toBe(true);
  }, 90_000);

  it('filtered views (status, search, ids) converge while servers move in and out of them', async () => {
    const timing = { intervalSeconds: 10, graceSeconds: 10 };
    const stem = `mover-${Date.now().toString(36)}`;
    const movers: { id: string; identifier: string; key: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await server.createServer(`${stem}-${i}`, { name: i === 0 ? 'Blue box' : 'Grey box', ...timing });
      movers.push({ ...created, key: await server.issueKey(created.id) });
    }
    for (const m of movers.slice(0, 2)) await server.heartbeat(m.key, seedHeartbeat(m.identifier));
    const watched = new Set([movers[0]!.id, movers[2]!.id]);
    // Each view: its fleetChanges arguments, and what a fresh query for it returns.
    const views: { name: string; args: Record<string, unknown>; query: () => Promise<any> }[] = [
      { name: 'ONLINE', args: { status: ['ONLINE'] }, query: () => fresh({ status: ['ONLINE'] }) },
      { name: 'LATE or OFFLINE', args: { status: ['LATE', 'OFFLINE'] }, query: () => fresh({ status: ['LATE', 'OFFLINE'] }) },
      { name: 'search "blue"', args: { search: 'blue' }, query: () => fresh({ search: 'blue' }) },
      { name: 'ONLINE and "blue"', args: { status: ['ONLINE'], search: 'BLUE' }, query: () => fresh({ status: ['ONLINE'], search: 'blue' }) },
      {
        name: 'two ids',
        args: { ids: [...watched] },
        query: async () => {
          const all = await fresh();
          return { ...all, servers: all.servers.filter((row: any) => watched.has(row.id)) };
        },
      },
    ];
    const followers: { view: (typeof views)[number]; sub: Subscription; held: ReturnType<typeof holder>; applied: number }[] = [];
    for (const view of views) {
      const first = await view.query();
      const sub = track(subscribeWs(wsClient(server.url), CHANGES, { since: first.version, ...view.args }));
      await sub.waitFor((p) => !!p.data?.fleetChanges);
      expect(sub.received[0]!.data.fleetChanges.reset, view.name).toBe(false);
      followers.push({ view, sub, held: holder(first.servers), applied: 0 });
    }
    const converged = async (what: string) => {
      let last = '';
      await waitFor(
        async () => {
          for (const follower of followers) {
            for (; follower.applied < follower.sub.received.length; follower.applied++) follower.held.apply(follower.sub.received[follower.applied]!.data.fleetChanges);
            const [held, now] = [JSON.stringify(follower.held.sorted()), JSON.stringify((await follower.view.query()).servers)];
            if (held !== now) return (last = `${follower.view.name}: holds ${held}, fresh ${now}`), false;
          }
          return true;
        },
        { what, timeoutMs: 8000 },
      ).catch(() => {
        throw new Error(`${what}: ${last}`);
      });
    };
    const rename = (m: { id: string }, name: string) =>
      server.gql(`mutation ($i: UpdateServerInput!) { updateServer(input: $i) { server { id } } }`, { i: { id: m.id, name } });

    await converged('start');
    await server.heartbeat(movers[2]!.key, seedHeartbeat(movers[2]!.identifier)); // PENDING → ONLINE: into ONLINE
    await converged('a pending server comes online');
    await rename(movers[1]!, 'Blue now'); // into the search (and ONLINE and "blue")
    await converged('renamed into the search');
    await rename(movers[0]!, 'Grey now'); // out of the search
    await converged('renamed out of the search');
    clockOffsetMs += 16_000; // the three that reported go LATE: out of ONLINE, into LATE or OFFLINE
    await converged('silence: LATE');
    await server.heartbeat(movers[0]!.key, seedHeartbeat(movers[0]!.identifier)); // back: out of LATE, into ONLINE
    await converged('a late server reports again');
    clockOffsetMs += 10_000; // LATE → OFFLINE stays in "LATE or OFFLINE" (a change, not a removal)
    await converged('silence: OFFLINE');
    const added = await server.createServer(`${stem}-blue-added`, { name: 'Blue added' });
    await converged('a server added into the search');
    await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id: movers[2]!.id });
    await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id: added.id });
    await converged('deletions, one of them watched by id');
    expect(followers.find((f) => f.view.name === 'two ids')!.held.sorted().map((row) => row.id)).toEqual([movers[0]!.id]);
  }, 90_000);
});
