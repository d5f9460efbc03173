// Which driver errors mean "the database cannot be reached or cannot commit right now" (answered
// 503 and retried by the client) rather than a bug (500). The error may come straight from pg or
// better-sqlite3, from the SQLite writer thread (as a message), or wrapped by Prisma's adapters.

/** Node socket errors: the connection could not be made or was lost. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/** SQLite: locked, full, I/O failure, unopenable or read-only file. */
const SQLITE_PREFIXES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PROTOCOL', 'SQLITE_NOLCK'];
/** Prisma: cannot reach, timed out, server closed the connection, pool timeout. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
/** Prisma adapter error kinds for a lost or refused connection. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'DatabaseDoesNotExist', 'SocketTimeout', 'ConnectionClosed', 'TooManyConnections', 'TransactionAlreadyClosed']);
const MESSAGES = [
  /connection terminated/i,
  /connection (?:refused|reset)/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /server closed the connection/i,
  /database is locked/i,
  /database or disk is full/i,
  /disk i\/o error/i,
  /unable to open database/i,
  /attempt to write a readonly database/i,
  /SQLite writer thread exited/i,
  /SQLite writer closed/i,
];

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 53 (insufficient resources: disk full,
 * out of memory, too many connections), 57P01-57P03 (shutdown, crash, starting up), 58030 (I/O).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^08...$/.test(code) || /^53...$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '58030';
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length) {
    const current = pending.pop();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const e = current as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; originalCode?: unknown; meta?: { driverAdapterError?: unknown } };
    for (const code of [e.code, e.originalCode]) {
      if (typeof code !== 'string') continue;
      if (SOCKET_CODES.has(code) || PRISMA_CODES.has(code) || isUnavailableSqlState(code)) return true;
      if (SQLITE_PREFIXES.some((prefix) => code.startsWith(prefix))) return true;
    }
    if (typeof e.kind === 'string') {
      if (ADAPTER_KINDS.has(e.kind)) return true;
      if (e.kind === 'postgres' && typeof (e as { code?: unknown }).code === 'string' && isUnavailableSqlState((e as { code: string }).code)) return true;
    }
    if (typeof e.message === 'string' && MESSAGES.some((pattern) => pattern.test(e.message as string))) return true;
    pending.push(e.cause, e.meta?.driverAdapterError);
  }
  return false;
}
