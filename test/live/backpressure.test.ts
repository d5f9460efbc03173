// A subscriber that stops reading (graphql-ws and SSE) must not make the server buffer without
// bound: fleetChanges holds its events back (then sends one coalesced event or a reset) and
// overviewUpdated keeps only the latest overview for it. The fleet is bulk-inserted; its changes
// arrive through the real pub/sub (as heartbeats on another instance would), fast, and large
// enough that every event is hundreds of kilobytes.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerView } from '../../src/services/views.ts';
import { insertBulkFleet } from '../helpers/bulk-fleet.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

const FLEET = 3000;
const ROW = 'id identifier name status lastSeenAt cpuPct agents { id name }';
const CHANGES = `subscription { fleetChanges { version reset totals { servers } changed { ${ROW} } removed } }`;
const OVERVIEW = `subscription { overviewUpdated { totals { servers } servers { ${ROW} } } }`;

/** Server i of the bulk fleet (test/helpers/bulk-fleet.ts), as a heartbeat in round `round` would show it. */
function view(i: number, round: number): ServerView {
  const now = new Date();
  return {
    id: `bp-id-${i}`,
    identifier: `bp-${String(i).padStart(6, '0')}`,
    name: `Backpressure server ${i} `.padEnd(180, 'x'),
    createdAt: now,
    intervalSeconds: 30,
    graceSeconds: 60,
    status: 'ONLINE',
    lastSeenAt: now,
    heartbeatCount: round + 1,
    openclawVersion: '2026.9.6',
    pluginVersion: '0.1.0',
    agents: [{ id: 'alpha', name: 'alpha' }],
    cpuPct: round % 100,
    memPct: 1,
    diskPct: 1,
    swapPct: 0,
    loadAvg: [0.1],
    uptimeSeconds: 10,
    apiKey: null,
  };
}

/** A graphql-ws client on a raw socket that can stop reading (TCP backpressure reaches the server). */
function rawWs(url: string, query: string) {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
  const state = { bytes: 0, events: [] as any[] };
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
  ws.on('message', (data: Buffer) => {
    state.bytes += data.length;
    const message = JSON.parse(String(data));
    if (message.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
    if (message.type === 'next') state.events.push(message.payload.data);
  });
  const socket = () => (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  return { state, stall: () => socket().pause(), resume: () => socket().resume(), close: () => ws.terminate() };
}

/** GraphQL over SSE with node:http, whose response can be paused. */
function rawSse(url: string, query: string) {
  const state = { bytes: 0, events: [] as any[] };
  let response: IncomingMessage | undefined;
  let buffer = '';
  const req = httpRequest(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } }, (res) => {
    response = res;
    res.on('data', (chunk: Buffer) => {
      state.bytes += chunk.length;
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer.slice(0, end).split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('');
        buffer = buffer.slice(end + 2);
        if (data.trim()) state.events.push(JSON.parse(data).data);
      }
    });
  });
  req.end(JSON.stringify({ query }));
  return { state, stall: () => response!.pause(), resume: () => response!.resume(), close: () => req.destroy() };
}

/** Bytes held in Buffers (socket write queues hold their frames there), in MB. */
const bufferedMb = () => process.memoryUsage().arrayBuffers / 1024 / 1024;

describe('backpressure', () => {
  let server: TestServer;
  let round = 0;
  const publishAll = () => {
    round++;
    for (let i = 0; i < FLEET; i++) server.app.services.pubsub.publish('server:updated', view(i, round));
  };
  /**
   * Every server changes, `rounds` times, 50 ms apart: unbounded buffering would queue ~1 MB per
   * round per stalled client. Counted in rounds, not time, so that a slow machine still produces
   * more than the socket buffers can hold; few enough that the stall stays shorter than
   * graphql-ws's keep-alive (a client that answers no ping for 12 s is disconnected).
   */
  const churn = async (rounds: number) => {
    for (let i = 0; i < rounds; i++) {
      publishAll();
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    server = await startTestServer({ fleetChangesIntervalMs: 100, fleetChangeLogSize: 4_000, subscriberMaxBacklogBytes: 256 * 1024 });
    insertBulkFleet(server.dataDir, FLEET, { prefix: 'bp' });
    server.app.overview.resync();
    await server.app.overview.ready();
    publishAll();
  });
  afterAll(async () => server?.stop());

  it('fleetChanges: a stalled graphql-ws or SSE client gets nothing while stalled, then a reset; a reading client keeps up', { timeout: 90_000 }, async () => {
    const stalledWs = rawWs(server.url, CHANGES);
    const stalledSse = rawSse(server.url, CHANGES);
    const reader = rawWs(server.url, CHANGES);
    try {
      await waitFor(() => stalledWs.state.events.length > 0 && stalledSse.state.events.length > 0 && reader.state.events.length > 0, { what: 'first events' });
      stalledWs.stall();
      stalledSse.stall();
      const readerBefore = reader.state.events.length;
      const memoryBefore = bufferedMb();
      await churn(15);
      const growth = bufferedMb() - memoryBefore;
      // ~50 events of ~1 MB each were due to each stalled client: none of them piled up in the
      // server (the kernel's socket buffers, bounded by the OS, hold what was in flight).
      expect(growth).toBeLessThan(20);
      // The reading client is not held up by the stalled ones: it reaches the latest version.
      const latest = server.app.overview.log.version();
      await waitFor(() => reader.state.events.length > readerBefore && reader.state.events.at(-1)?.fleetChanges.version === latest, { what: 'the reader at the latest version', timeoutMs: 15_000 });

      const wsBytes = stalledWs.state.bytes;
      const sseBytes = stalledSse.state.bytes;
      stalledWs.resume();
      stalledSse.resume();
      for (const [name, client] of [['graphql-ws', stalledWs], ['SSE', stalledSse]] as const) {
        // The ring (4,000 changes) overflowed while it was stalled: it is told to start over.
        await waitFor(() => client.state.events.some((e, i) => i > 0 && e.fleetChanges.reset), { what: `a reset after the stall (${name})`, timeoutMs: 15_000 }).catch(
          (error) => {
            throw new Error(`${error.message}: ${JSON.stringify(client.state.events.map((e) => [e.fleetChanges.version, e.fleetChanges.reset, e.fleetChanges.changed.length]))} now ${server.app.overview.log.version()}`);
          },
        );
      }
      // What reached each client after the stall is bounded by the socket buffers plus a few events, not ~50 MB.
      expect(stalledWs.state.bytes - wsBytes).toBeLessThan(25 * 1024 * 1024);
      expect(stalledSse.state.bytes - sseBytes).toBeLessThan(25 * 1024 * 1024);
      // After the reset it follows deltas again.
      const resets = stalledWs.state.events.length;
      await waitFor(
        () => {
          publishAll();
          return stalledWs.state.events.slice(resets).some((e) => e.fleetChanges.reset === false && e.fleetChanges.changed.length > 0);
        },
        { what: 'deltas again', everyMs: 500, timeoutMs: 15_000 },
      );
    } finally {
      for (const c of [stalledWs, stalledSse, reader]) c.close();
    }
  });

  it('overviewUpdated: a stalled client costs one pending overview, not a queue', { timeout: 90_000 }, async () => {
    const stalled = rawWs(server.url, OVERVIEW);
    const reader = rawWs(server.url, OVERVIEW);
    try {
      await waitFor(() => stalled.state.events.length > 0 && reader.state.events.length > 0, { what: 'first overviews' });
      stalled.stall();
      const memoryBefore = bufferedMb();
      const readerBefore = reader.state.events.length;
      // Pushes are coalesced by time, so on a busy machine one churn may yield only a few: churn on
      // (bounded) until the reading client has seen several, while the stalled one must stay cheap.
      for (let round = 0; round < 4 && (round === 0 || reader.state.events.length - readerBefore <= 5); round++) await churn(15);
      expect(bufferedMb() - memoryBefore).toBeLessThan(20);
      const pushes = reader.state.events.length - readerBefore;
      expect(pushes).toBeGreaterThan(5);
      stalled.resume();
      // It catches up with the latest overview (whatever the socket buffers held arrives first).
      await waitFor(() => stalled.state.events.at(-1)?.overviewUpdated.servers[0].cpuPct === reader.state.events.at(-1)?.overviewUpdated.servers[0].cpuPct, { what: 'the latest overview' });
      expect(stalled.state.events.at(-1).overviewUpdated.servers[0].cpuPct).toBe(reader.state.events.at(-1).overviewUpdated.servers[0].cpuPct);
    } finally {
      stalled.close();
      reader.close();
    }
  });
});
