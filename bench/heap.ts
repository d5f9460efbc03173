// `npm run bench -- heap`: how much V8 heap a running server holds per server of its fleet, and in
// what. Prints figures; asserts nothing.
//
// In this process (so that a full GC can be forced before each reading): the server starts on an
// empty SQLite database (the baseline), then on one holding BENCH_HEAP_FLEET servers (default
// 20,000) written directly with their first report, and once more after every server sent one
// heartbeat over HTTP (views from events, as in a running fleet). Each reading is the heap used
// after GC once the overview and the alert engine have loaded; the difference over the fleet size
// is the heap per server. A heap snapshot of the last state, summed by constructor, says where it goes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString, getHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { insertBulkFleet } from '../test/helpers/bulk-fleet.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { driveHeartbeats, fmt } from './lib.ts';

const FLEET = Number(process.env.BENCH_HEAP_FLEET ?? 20_000);
const TOKEN = 'bench-admin-token-0123456789';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function heapUsedAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

async function start(dataDir: string): Promise<RunningServer> {
  const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', adminToken: TOKEN, logLevel: 'silent', web: false });
  await server.app.overview.ready();
  await server.alerting.engine.start();
  await server.app.services.tags.ready();
  return server;
}

interface HeapNodeGroup {
  count: number;
  bytes: number;
}

/** Self sizes of the heap snapshot's nodes, summed by type and constructor name. */
async function snapshotByConstructor(): Promise<Map<string, HeapNodeGroup>> {
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as string);
  const snapshot = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const groups = new Map<string, HeapNodeGroup>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    const named = type === 'object' || type === 'closure' || type === 'array';
    const key = named ? `${type} ${snapshot.strings[snapshot.nodes[i + nameAt]!]!.slice(0, 60)}` : `(${type})`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += snapshot.nodes[i + sizeAt]!;
    groups.set(key, group);
  }
  return groups;
}

export async function benchHeap(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-bench-heap-'));
  console.log(`HarborForge heap per server — ${fmt(FLEET)} servers, in-process, heap used after a full GC`);
  try {
    let server = await start(dataDir); // creates and migrates the database
    const empty = await heapUsedAfterGc();
    await server.close();
    const emptyGroups = await snapshotByConstructor();

    const members = insertBulkFleet(dataDir, FLEET, { withKeys: true, intervalSeconds: 3_600 });
    server = await start(dataDir);
    const loaded = await heapUsedAfterGc();
    // One heartbeat per member (driveHeartbeats rotates over the fleet; its uptimes are ahead of the written ones: no reboot).
    const report = await driveHeartbeats(server.url, members, { connections: 32, amount: members.length });
    const refused = report.non2xx + report.errors;
    // Let the alert engine and the overview take the last events in.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await server.alerting.engine.idle();
    const reported = await heapUsedAfterGc();
    const groups = await snapshotByConstructor();
    await server.close();

    const perServer = (bytes: number) => fmt((bytes - empty) / FLEET);
    console.log(`heap used, empty fleet: ${fmt(empty / 1048576, 1)} MB`);
    console.log(`loaded from the database: ${fmt(loaded / 1048576, 1)} MB, ${perServer(loaded)} B per server`);
    console.log(`after one heartbeat each: ${fmt(reported / 1048576, 1)} MB, ${perServer(reported)} B per server${refused ? ` (${refused} heartbeats refused)` : ''}`);
    console.log(`at 100,000 servers that is ~${fmt(((reported - empty) / FLEET) * 100_000 / 1048576)} MB of heap for the fleet`);
    console.log('\nwhere it goes (heap snapshot after the heartbeats, minus the empty server; per server, largest first):');
    const rows = [...groups]
      .map(([name, group]) => {
        const before = emptyGroups.get(name) ?? { count: 0, bytes: 0 };
        return { name, count: (group.count - before.count) / FLEET, bytes: (group.bytes - before.bytes) / FLEET };
      })
      .filter((row) => row.bytes >= 8)
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 20);
    for (const row of rows) console.log(`  ${fmt(row.bytes).padStart(6)} B  ${fmt(row.count, 1).padStart(5)} x  ${row.name}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
