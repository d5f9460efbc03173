// The SQLite writer thread: owns its own connection and commits heartbeat batches one at a time
// (see SqliteWriterThread in sqlite-store.ts for why it is a thread).
import { parentPort, workerData } from 'node:worker_threads';
import { createSqliteHeartbeatWriter, openSqlite } from './sqlite-store.ts';

const db = openSqlite((workerData as { file: string }).file);
const commit = createSqliteHeartbeatWriter(db);

parentPort!.on('message', async ({ id, batch }: { id: number; batch: Parameters<typeof commit>[0] }) => {
  try {
    parentPort!.postMessage({ id, outcomes: await commit(batch) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? `${error.message}` : String(error) });
  }
});
