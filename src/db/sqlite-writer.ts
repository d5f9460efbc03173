// The SQLite writer thread: owns its own connection and runs one request at a time, each a
// transaction: heartbeat batches, the silence sweep and liveness marks, the history's rollup and
// pruning, and the alert engine's and outbox's writes. Every write of this process but Prisma's
// (the API's) is here, so none races another for SQLite's one write lock; Prisma's writes pause
// this thread meanwhile (hold). See SqliteWriterThread in sqlite-store.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { createSqliteFleetWriter, createSqliteHeartbeatWriter, openSqlite, type WriterRequest } from './sqlite-store.ts';
import { createSqliteAlertWriter } from './sqlite-alert-store.ts';
import { createSqliteHistoryWriter } from './sqlite-history.ts';

const db = openSqlite((workerData as { file: string }).file);
const commit = createSqliteHeartbeatWriter(db);
const operations = { ...createSqliteFleetWriter(db), ...createSqliteAlertWriter(db), ...createSqliteHistoryWriter(db) } as unknown as Record<string, (...args: unknown[]) => unknown>;

async function run(id: number, request: WriterRequest): Promise<void> {
  try {
    const result = request.kind === 'heartbeats' ? await commit(request.batch) : operations[(request as { op: string }).op]!(...(request as { args: unknown[] }).args);
    parentPort!.postMessage({ id, result });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    parentPort!.postMessage({ id, error: error instanceof Error ? `${error.message}` : String(error), ...(typeof code === 'string' ? { code } : {}) });
  }
}

// One request at a time: a heartbeat batch's transaction spans awaits, and nothing else may run
// on this connection between its BEGIN and COMMIT.
let queue: Promise<void> = Promise.resolve();
/** Holds granted to the main thread (SqliteWriterThread.hold), by request id. */
const holds = new Map<number, () => void>();
/** A hold never released (a bug, or a Prisma transaction that hangs) must not stop ingest for good. */
const HOLD_LIMIT_MS = 15_000;

function hold(id: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => holds.get(id)?.(), HOLD_LIMIT_MS);
    holds.set(id, () => {
      holds.delete(id);
      clearTimeout(timer);
      resolve();
    });
    parentPort!.postMessage({ id, result: null });
  });
}

parentPort!.on('message', (message: { id: number; request: WriterRequest } | { release: number }) => {
  if ('release' in message) return void holds.get(message.release)?.();
  const { id, request } = message;
  queue = queue.then(() => (request.kind === 'hold' ? hold(id) : run(id, request)));
});
