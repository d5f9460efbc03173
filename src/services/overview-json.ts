// The JSON text of overview rows, written straight from the fleet index's entries. The unpaged
// overview of a large fleet is the one answer whose size is the fleet's: through the ordinary path
// (a view per row, graphql-jit's result objects, then one JSON.stringify of it all) 100,000 rows
// cost ~3-5 s of CPU, most of it garbage collection of objects that only lived to be serialized
// (`npm run bench -- scale`). Written here, a row is one short string that dies young, and the
// rows go out in chunks while the event loop keeps serving heartbeats.
//
// A writer is compiled from the fields a client selected (by name, under its response key) and
// must produce exactly what GraphQL's execution would: same keys in the same order, same scalar
// serialization (test/live/overview-json.test.ts compares them byte for byte).
import { statusOf, type FleetEntry } from './fleet-index.ts';
import type { Agent } from './views.ts';

/** A selected field of a row: its response key (alias or name), its name, and for `agents` the sub-fields. */
export interface RowSelection {
  key: string;
  name: string;
  agentFields?: { key: string; name: 'id' | 'name' | '__typename' }[];
}

const quote = (value: string) => JSON.stringify(value);
/** Versions repeat across the fleet (and are shared strings in the index): quoted once each. */
const quotedVersions = new Map<string, string>();
function quoteVersion(value: string): string {
  let quoted = quotedVersions.get(value);
  if (quoted === undefined) {
    quoted = quote(value);
    if (quotedVersions.size < 10_000) quotedVersions.set(value, quoted);
  }
  return quoted;
}

/**
 * GraphQL's Float as JSON: what String(value) gives, for a finite number (the ingest schema
 * refuses others). Telemetry mostly has at most two decimals, which are written from integers
 * here: V8's shortest round-trip formatting of a double took ~0.3 µs, five times a row.
 */
export function floatJson(value: number | null): string {
  if (value == null) return 'null';
  const hundredths = Math.round(value * 100);
  if (hundredths / 100 === value && Math.abs(hundredths) < 1e15) {
    if (hundredths % 100 === 0) return String(hundredths / 100);
    const sign = hundredths < 0 ? '-' : '';
    const abs = Math.abs(hundredths);
    const cents = abs % 100;
    return `${sign}${(abs - cents) / 100}.${cents % 10 === 0 ? cents / 10 : cents < 10 ? `0${cents}` : cents}`;
  }
  if (!Number.isFinite(value)) throw new Error(`overview row: ${value} is not a finite number`);
  return String(value);
}
const float = floatJson;

/**
 * A time as the DateTime scalar writes it (Date#toISOString), quoted. The seconds' prefix is kept
 * for the few thousand most recent seconds: a fleet's last heartbeats fall within a minute or two,
 * and formatting a Date took ~0.6 µs a row.
 */
const isoPrefixes = new Map<number, string>();
const MILLIS = Array.from({ length: 1000 }, (_, ms) => String(ms).padStart(3, '0'));
export function isoJson(ms: number): string {
  const second = Math.floor(ms / 1000);
  let prefix = isoPrefixes.get(second);
  if (prefix === undefined) {
    const iso = new Date(second * 1000).toISOString();
    if (iso.length !== 24) return `"${new Date(ms).toISOString()}"`; // years beyond 9999
    prefix = `"${iso.slice(0, 20)}`;
    if (isoPrefixes.size >= 4096) isoPrefixes.clear();
    isoPrefixes.set(second, prefix);
  }
  return `${prefix}${MILLIS[ms - second * 1000]}Z"`;
}

const SCALARS: Record<string, (entry: FleetEntry, status: string) => string> = {
  __typename: () => '"OverviewServer"',
  id: (e) => quote(e.id),
  identifier: (e) => quote(e.identifier),
  name: (e) => quote(e.name),
  status: (_e, status) => `"${status}"`,
  lastSeenAt: (e) => (e.lastSeenAt == null ? 'null' : isoJson(e.lastSeenAt)),
  openclawVersion: (e) => (e.openclawVersion == null ? 'null' : quoteVersion(e.openclawVersion)),
  pluginVersion: (e) => (e.pluginVersion == null ? 'null' : quoteVersion(e.pluginVersion)),
  cpuPct: (e) => float(e.cpuPct),
  memPct: (e) => float(e.memPct),
  diskPct: (e) => float(e.diskPct),
  swapPct: (e) => float(e.swapPct),
  uptimeSeconds: (e) => float(e.uptimeSeconds),
  loadAvg: (e) => (e.loadAvg == null ? 'null' : `[${e.loadAvg.map(float).join(',')}]`),
};

/** The fields a writer can produce (plus `agents` with id/name/__typename, and `tags`). */
export const ROW_FIELDS: ReadonlySet<string> = new Set([...Object.keys(SCALARS), 'agents', 'tags']);

export interface RowWriterOptions {
  /** A server's tags, or null where the caller may not see them (`tags: null`). */
  tagsOf(entry: FleetEntry): readonly string[] | null;
}

/**
 * Compiles the selection into a function of (entry, now) that returns the row's JSON object. Agent
 * lists are shared between servers that report the same agents (fleet-index.ts), so their JSON is
 * kept per list.
 */
export function compileRowWriter(selection: readonly RowSelection[], options: RowWriterOptions): (entry: FleetEntry, now: number) => string {
  // One concatenation per row, generated from the selection (keys are GraphQL names, embedded as
  // JSON string literals): ~2x faster than a closure per field, and far less short-lived garbage.
  const helpers: unknown[] = [];
  const helper = (fn: unknown) => `h[${helpers.push(fn) - 1}]`;
  const terms = selection.map((field, i) => {
    const head = JSON.stringify(`${i ? ',' : '{'}${JSON.stringify(field.key)}:`);
    if (field.name === 'agents') {
      const sub = field.agentFields ?? [];
      const cache = new WeakMap<readonly Agent[], string>();
      const write = (agents: readonly Agent[]) =>
        `[${agents.map((agent) => `{${sub.map((f) => `${quote(f.key)}:${f.name === '__typename' ? '"Agent"' : quote(agent[f.name])}`).join(',')}}`).join(',')}]`;
      const agentsJson = (agents: readonly Agent[]) => {
        let json = cache.get(agents);
        if (json === undefined) cache.set(agents, (json = write(agents)));
        return json;
      };
      return `${head} + ${helper(agentsJson)}(e.agents)`;
    }
    if (field.name === 'tags') {
      const tagsJson = (entry: FleetEntry) => {
        const tags = options.tagsOf(entry);
        return tags == null ? 'null' : JSON.stringify(tags);
      };
      return `${head} + ${helper(tagsJson)}(e)`;
    }
    const scalar = SCALARS[field.name];
    if (!scalar) throw new Error(`overview row: no writer for field ${field.name}`);
    return `${head} + ${helper(scalar)}(e, status)`;
  });
  const body = terms.length ? `return ${terms.join(' + ')} + "}";` : 'return "{}";';
  const row = new Function('h', 'statusOf', `return function row(e, now) { const status = statusOf(e, now); ${body} };`)(helpers, statusOf);
  return row as (entry: FleetEntry, now: number) => string;
}

/**
 * Rows per chunk of text: small enough that the strings a chunk is built from die young (with
 * 2,000 rows a chunk they outlived the young generation and garbage collection tripled the cost).
 */
export const ROWS_PER_CHUNK = 250;

/** The rows as a JSON array, in chunks of text (to be encoded and sent as they come). */
export function* rowChunks(entries: readonly FleetEntry[], now: number, write: (entry: FleetEntry, now: number) => string): Generator<string> {
  if (entries.length === 0) {
    yield '[]';
    return;
  }
  for (let start = 0; start < entries.length; start += ROWS_PER_CHUNK) {
    let text = start === 0 ? '[' : ',';
    const end = Math.min(entries.length, start + ROWS_PER_CHUNK);
    for (let i = start; i < end; i++) text += (i > start ? ',' : '') + write(entries[i]!, now);
    yield end === entries.length ? text + ']' : text;
  }
}
