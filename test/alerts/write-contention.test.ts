// On SQLite the alert engine, the outbox worker and the API write to the same file as the ingest.
// Heartbeats must never be refused because of them: every write of the process goes through the
// ingest's writer thread (or pauses it, for Prisma's), so none fails for want of the lock, and no
// "database unavailable" outage opens. Here every heartbeat is an alert transition (a metric rule
// without forSeconds whose value flips each round, notified through a webhook) while servers and
// keys are added through the API at the same time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackendDowntime } from '../../src/db/backend-downtime.ts';
import { seedHeartbeat, startTestServer, uniqueIdentifier, type TestServer } from '../helpers/server.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const SERVERS = 150;
const ROUNDS = 8;

describe('SQLite: alert and API writes beside the ingest', () => {
  let server: TestServer;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ alertDigestWindowMs: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('refuses no heartbeat and opens no outage while every heartbeat is an alert transition and the API writes', async () => {
    const startedAt = new Date();
    const tag = uniqueIdentifier('busy');
    const channel = (await server.gql(`mutation ($i: CreateAlertChannelInput!) { createAlertChannel(input: $i) { channel { id } } }`, { i: { name: 'hook', kind: 'WEBHOOK', settings: { url: receiver.url } } }))
      .data.createAlertChannel.channel.id;
    const rule = await server.gql(`mutation ($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { rule { id } } }`, {
      i: { name: 'cpu', kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 50, clearThreshold: 40, tags: [tag], channelIds: [channel] },
    });
    expect(rule.errors).toBeUndefined();
    const fleet: { identifier: string; key: string }[] = [];
    for (let i = 0; i < SERVERS; i += 25) {
      fleet.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(25, SERVERS - i) }, async () => {
            const identifier = uniqueIdentifier('busy');
            const { id } = await server.createServer(identifier, { tags: [tag] });
            return { identifier, key: await server.issueKey(id) };
          }),
        )),
      );
    }
    const committedBefore = server.alerting.engine.committed;

    const statuses = new Map<number, number>();
    let apiWrites = 0;
    let reporting = true;
    const api = (async () => {
      // The API's writes (Prisma transactions that read, then write) meanwhile.
      while (reporting) {
        const { id } = await server.createServer(uniqueIdentifier('extra'), { tags: ['extra'] });
        await server.issueKey(id);
        apiWrites++;
      }
    })();
    for (let round = 0; round < ROUNDS; round++) {
      const cpu = round % 2 === 0 ? 90 : 10;
      const answers = await Promise.all(fleet.map(({ identifier, key }) => server.heartbeat(key, seedHeartbeat(identifier, { cpu_pct: cpu }))));
      for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      // Time for the engine to commit the round's transitions and the outbox to send them.
      await new Promise((r) => setTimeout(r, 300));
    }
    reporting = false;
    await api;
    await server.alerting.engine.idle();

    expect(Object.fromEntries(statuses)).toEqual({ 200: SERVERS * ROUNDS });
    expect(server.app.services.availability.up).toBe(true);
    expect(await listBackendDowntime(server.app.services.db.prisma, startedAt, new Date(Date.now() + 1))).toEqual([]);
    // The load was real: most heartbeats were transitions, and the API wrote throughout.
    expect(server.alerting.engine.committed - committedBefore).toBeGreaterThan(SERVERS * (ROUNDS - 2));
    expect(apiWrites).toBeGreaterThan(0);
    console.log(`write contention: ${SERVERS * ROUNDS} heartbeats accepted, ${server.alerting.engine.committed - committedBefore} alert transitions, ${apiWrites} servers + keys added meanwhile, ${receiver.received.length} webhook requests`);
  }, 120_000);
});
