// HTTP hygiene: 1,000 connections dribbling their headers do not stop heartbeats from being
// accepted promptly, and are cut off after HTTP_HEADERS_TIMEOUT_MS; a long-lived SSE stream is not
// cut by HTTP_REQUEST_TIMEOUT_MS (that bounds receiving the request, not the answer).
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { subscribeSse } from '../helpers/subscriptions.ts';

const SLOW = 1000;
const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 2500;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('slow connections', () => {
  let server: TestServer;
  const sockets: Socket[] = [];
  let dribble: NodeJS.Timeout | undefined;
  beforeAll(async () => {
    server = await startTestServer({ httpHeadersTimeoutMs: HEADERS_TIMEOUT_MS, httpRequestTimeoutMs: REQUEST_TIMEOUT_MS });
  });
  afterAll(async () => {
    clearInterval(dribble);
    for (const socket of sockets) socket.destroy();
    await server?.stop();
  });

  it(`${SLOW} connections dribbling headers: heartbeats are still accepted promptly, and the slow ones are cut off`, async () => {
    const { id, identifier } = await server.createServer();
    const key = await server.issueKey(id);
    const { port } = new URL(server.url);
    const timedHeartbeats = async (count: number) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        const reply = await server.heartbeat(key, seedHeartbeat(identifier, { uptime_seconds: 1000 + times.length }));
        expect(reply.status).toBe(200);
        times.push(performance.now() - started);
      }
      return times;
    };
    const before = await timedHeartbeats(20);

    let closed = 0;
    await Promise.all(
      Array.from(
        { length: SLOW },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = connect(Number(port), '127.0.0.1', () => {
              socket.write('POST /monitor/server/heartbeat-v2 HTTP/1.1\r\nHost: 127.0.0.1\r\n');
              resolve();
            });
            socket.on('error', () => {});
            socket.once('close', () => closed++);
            socket.once('error', reject);
            sockets.push(socket);
          }),
      ),
    );
    // One header line per socket every 500 ms, never the blank line that ends them (bounded: afterAll stops it).
    let n = 0;
    dribble = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed) socket.write(`X-Slow-${n}: ${n}\r\n`);
      n++;
    }, 500);

    const during = await timedHeartbeats(40);
    const shown = `before ${before.map((t) => t.toFixed(0)).join(',')} ms; during ${during.map((t) => t.toFixed(0)).join(',')} ms`;
    expect(closed, 'slow connections still open while heartbeats were sent').toBeLessThan(SLOW);
    // Promptly: the median stays within a small multiple of the quiet median (or under 100 ms),
    // and no heartbeat waits seconds.
    expect(median(during) < Math.max(100, 5 * median(before)), shown).toBe(true);
    expect(Math.max(...during), shown).toBeLessThan(2000);

    // Node checks the header deadline every second (connectionsCheckingInterval): all are cut soon after it.
    await waitFor(() => closed === SLOW, { timeoutMs: HEADERS_TIMEOUT_MS + 5000, what: `all ${SLOW} slow connections closed (closed ${closed})` });
  });

  it('keeps an SSE subscription open past HTTP_REQUEST_TIMEOUT_MS', async () => {
    const sub = subscribeSse(server.url, 'subscription { overviewUpdated { totals { servers } } }');
    try {
      const first = await sub.waitFor((p) => p.data?.overviewUpdated);
      await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS + 1500));
      await server.createServer();
      const servers = first.data.overviewUpdated.totals.servers;
      await sub.waitFor((p) => p.data?.overviewUpdated.totals.servers === servers + 1);
    } finally {
      await sub.close();
    }
  });
});
