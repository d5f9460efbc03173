// fleetChanges over real graphql-ws and SSE: a client that applies the deltas to its first page
// holds what a fresh query returns (heartbeats, additions, deletions, silence); resume from a
// version; reset when the version is unknown or too old.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { subscribeSse, subscribeWs, wsClient, type Subscription } from '../helpers/subscriptions.ts';

const ROW = 'id identifier name status lastSeenAt cpuPct';
const QUERY = `query ($first: Int, $status: [ServerStatus!]) { overview(first: $first, status: $status) { version totals { servers online late offline pending } servers { ${ROW} } } }`;
const CHANGES = `subscription ($since: String, $status: [ServerStatus!], $ids: [ID!], $first: Int) {
  fleetChanges(since: $since, status: $status, ids: $ids, first: $first) { version reset totals { servers online late offline pending } changed { ${ROW} } removed }
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
    });
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
  });
});
