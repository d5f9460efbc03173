// The reads and writes behind uptime (status_changes, uptime_days, fleet_uptime_days), as raw
// SQL through Prisma's client so that one module serves both providers: batched by server id,
// range-limited by the (serverId, at) and (at) indexes. Times cross this module as Unix ms.
import type { Database } from './index.ts';

export interface ChangeRow {
  serverId: string;
  toStatus: string;
  at: number;
}

export interface DayRow {
  serverId: string;
  day: number;
  upMs: number;
  downMs: number;
  endStatus: string;
}

export interface FleetDayRow {
  day: number;
  upMs: number;
  downMs: number;
  servers: number;
}

type Param = { value: unknown } | { raw: string };

/** The SQL that differs between the providers: placeholders, timestamps and id lists. */
function dialect(provider: Database['provider']) {
  const pg = provider === 'postgres';
  return {
    /** A timestamp column as Unix ms. */
    // `+ 0` makes SQLite return the stored integer instead of a column the adapter sees as DATETIME.
    ms: (column: string) => (pg ? `(EXTRACT(EPOCH FROM ${column}) * 1000)::float8` : `(${column} + 0)`),
    /** A Unix ms parameter as a timestamp. */
    ts: (value: number): Param[] => (pg ? [{ raw: '(to_timestamp(' }, { value }, { raw: '::float8 / 1000) AT TIME ZONE \'UTC\')' }] : [{ value }]),
    /** A list of ids as a subquery with one column, id. */
    ids: (ids: string[]): Param[] =>
      pg ? [{ raw: '(SELECT unnest(' }, { value: ids }, { raw: '::text[]) AS id)' }] : [{ raw: '(SELECT value AS id FROM json_each(' }, { value: JSON.stringify(ids) }, { raw: '))' }],
    /** An integer parameter inside VALUES, where PostgreSQL cannot infer its type. */
    int: (value: number): Param[] => (pg ? [{ value }, { raw: '::int' }] : [{ value }]),
    placeholder: (index: number) => (pg ? `$${index}` : '?'),
  };
}

export function createUptimeStore(db: Database) {
  const d = dialect(db.provider);
  /** Tagged template: strings are SQL, interpolated Param arrays are expanded, anything else is a parameter. */
  const build = (strings: TemplateStringsArray, values: unknown[]) => {
    let text = strings[0]!;
    const params: unknown[] = [];
    const put = (part: Param) => {
      if ('raw' in part) text += part.raw;
      else text += d.placeholder(params.push(part.value));
    };
    values.forEach((value, i) => {
      if (Array.isArray(value) && value.every((v) => v && typeof v === 'object' && ('raw' in v || 'value' in v))) value.forEach(put);
      else put({ value });
      text += strings[i + 1]!;
    });
    return { text, params };
  };
  const query = async <T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]> => {
    const { text, params } = build(strings, values);
    return db.prisma.$queryRawUnsafe<T[]>(text, ...params);
  };
  const execute = (client: Pick<Database['prisma'], '$executeRawUnsafe'>, strings: TemplateStringsArray, ...values: unknown[]) => {
    const { text, params } = build(strings, values);
    return client.$executeRawUnsafe(text, ...params);
  };
  const raw = (sql: string): Param[] => [{ raw: sql }];

  return {
    /** Each server's status just before `at` (servers with no row yet are absent). */
    async statusBefore(serverIds: string[], at: number): Promise<Map<string, string>> {
      if (serverIds.length === 0) return new Map();
      const rows = await query<{ serverId: string; status: string | null }>`
        SELECT i.id AS "serverId",
               (SELECT "toStatus" FROM status_changes c WHERE c."serverId" = i.id AND c.at < ${d.ts(at)} ORDER BY c.at DESC, c.id DESC LIMIT 1) AS status
        FROM ${d.ids(serverIds)} AS i`;
      return new Map(rows.filter((r) => r.status != null).map((r) => [r.serverId, r.status!]));
    },

    /** Transitions with from <= at < to, of the given servers (or of all), in order per server. */
    async changesBetween(serverIds: string[] | null, from: number, to: number, limit = 1_000_000): Promise<ChangeRow[]> {
      const rows = await query<{ serverId: string; toStatus: string; at: number | bigint }>`
        SELECT "serverId", "toStatus", ${raw(d.ms('at'))} AS at FROM status_changes
        WHERE at >= ${d.ts(from)} AND at < ${d.ts(to)} ${serverIds ? [...raw('AND "serverId" IN '), ...d.ids(serverIds)] : raw('')}
        ORDER BY "serverId", at, id LIMIT ${limit}`;
      return rows.map((r) => ({ serverId: r.serverId, toStatus: r.toStatus, at: Number(r.at) }));
    },

    /**
     * For each [start, end) span: the given servers' transitions in it, each server's led by its
     * last transition before `start` (the status it enters the span with). One statement for every
     * span, each span an index range per server; rows come grouped by server, then span, in order.
     */
    async changesInSpans(serverIds: string[], spans: [number, number][]): Promise<(ChangeRow & { span: number })[]> {
      if (serverIds.length === 0 || spans.length === 0) return [];
      const parts: Param[] = [];
      spans.forEach(([start, end], span) => {
        if (span) parts.push({ raw: ' UNION ALL ' });
        parts.push(
          { raw: `SELECT c."serverId", ${span} AS span, c."toStatus", ${d.ms('c.at')} AS at, c.id FROM status_changes c JOIN ` },
          ...d.ids(serverIds),
          { raw: ' AS i ON c."serverId" = i.id WHERE c.at >= coalesce((SELECT max(b.at) FROM status_changes b WHERE b."serverId" = i.id AND b.at < ' },
          ...d.ts(start),
          { raw: '), ' },
          ...d.ts(start),
          { raw: ') AND c.at < ' },
          ...d.ts(end),
        );
      });
      const rows = await query<{ serverId: string; span: number | bigint; toStatus: string; at: number | bigint }>`${parts} ORDER BY 1, 2, 4, 5`;
      return rows.map((r) => ({ serverId: r.serverId, span: Number(r.span), toStatus: r.toStatus, at: Number(r.at) }));
    },

    /** Up and down time of the rolled-up days fromDay <= day < toDay, summed per server. */
    async daySums(serverIds: string[], fromDay: number, toDay: number): Promise<{ serverId: string; upMs: number; downMs: number }[]> {
      if (serverIds.length === 0 || toDay <= fromDay) return [];
      const rows = await query<Record<string, number | bigint | string>>`
        SELECT "serverId", SUM("upMs") AS "upMs", SUM("downMs") AS "downMs" FROM uptime_days
        WHERE "serverId" IN ${d.ids(serverIds)} AND day >= ${d.ts(fromDay)} AND day < ${d.ts(toDay)} GROUP BY "serverId"`;
      return rows.map((r) => ({ serverId: String(r.serverId), upMs: Number(r.upMs), downMs: Number(r.downMs) }));
    },

    /** The newest transitions of one server in [from, to), with their cause, newest first. */
    async recentChanges(serverId: string, from: number, to: number, limit: number) {
      const rows = await query<{ id: number | bigint; fromStatus: string | null; toStatus: string; at: number | bigint; cause: string }>`
        SELECT id, "fromStatus", "toStatus", ${raw(d.ms('at'))} AS at, cause FROM status_changes
        WHERE "serverId" = ${serverId} AND at >= ${d.ts(from)} AND at < ${d.ts(to)}
        ORDER BY at DESC, id DESC LIMIT ${limit}`;
      return rows.map((r) => ({ id: String(r.id), fromStatus: r.fromStatus, toStatus: r.toStatus, at: new Date(Number(r.at)), cause: r.cause }));
    },

    async countChanges(serverId: string, from: number, to: number): Promise<number> {
      const [row] = await query<{ n: number | bigint }>`
        SELECT COUNT(*) AS n FROM status_changes WHERE "serverId" = ${serverId} AND at >= ${d.ts(from)} AND at < ${d.ts(to)}`;
      return Number(row?.n ?? 0);
    },

    /** The rolled-up days of the given servers with fromDay <= day < toDay. */
    async days(serverIds: string[], fromDay: number, toDay: number): Promise<DayRow[]> {
      if (serverIds.length === 0 || toDay <= fromDay) return [];
      const rows = await query<Record<string, number | bigint | string>>`
        SELECT "serverId", ${raw(d.ms('day'))} AS day, "upMs", "downMs", "endStatus" FROM uptime_days
        WHERE "serverId" IN ${d.ids(serverIds)} AND day >= ${d.ts(fromDay)} AND day < ${d.ts(toDay)}`;
      return rows.map((r) => ({ serverId: String(r.serverId), day: Number(r.day), upMs: Number(r.upMs), downMs: Number(r.downMs), endStatus: String(r.endStatus) }));
    },

    async fleetDays(fromDay: number, toDay: number): Promise<FleetDayRow[]> {
      const rows = await query<Record<string, number | bigint | string>>`
        SELECT ${raw(d.ms('day'))} AS day, "upMs", "downMs", servers FROM fleet_uptime_days
        WHERE day >= ${d.ts(fromDay)} AND day < ${d.ts(toDay)} ORDER BY day`;
      return rows.map((r) => ({ day: Number(r.day), upMs: Number(r.upMs), downMs: Number(r.downMs), servers: Number(r.servers) }));
    },

    /** The start of the last rolled-up day, or null before the first rollup. */
    async lastRolledDay(): Promise<number | null> {
      const [row] = await query<{ day: number | bigint | null }>`SELECT MAX(${raw(d.ms('day'))}) AS day FROM fleet_uptime_days`;
      return row?.day == null ? null : Number(row.day);
    },

    async firstChangeAt(): Promise<number | null> {
      const [row] = await query<{ at: number | bigint | null }>`SELECT MIN(${raw(d.ms('at'))}) AS at FROM status_changes`;
      return row?.at == null ? null : Number(row.at);
    },

    async serverIds(): Promise<string[]> {
      return (await query<{ id: string }>`SELECT id FROM monitored_servers`).map((r) => r.id);
    },

    /**
     * Writes one day's rows and then its fleet row (which marks the day done) in one transaction.
     * Idempotent: instances that roll the same day at once write the same values.
     */
    async writeDay(day: number, rows: DayRow[], fleet: FleetDayRow): Promise<void> {
      const upsert = db.provider === 'postgres' ? 'ON CONFLICT ("serverId", day) DO UPDATE SET "upMs" = EXCLUDED."upMs", "downMs" = EXCLUDED."downMs", "endStatus" = EXCLUDED."endStatus"' : '';
      const verb = db.provider === 'postgres' ? 'INSERT' : 'INSERT OR REPLACE';
      await db.prisma.$transaction(
        async (tx) => {
          for (let i = 0; i < rows.length; i += 500) {
            const chunk = rows.slice(i, i + 500);
            const values: Param[] = [];
            chunk.forEach((row, j) => {
              values.push({ raw: j ? ', (' : '(' }, { value: row.serverId }, { raw: ', ' }, ...d.ts(day), { raw: ', ' });
              values.push(...d.int(row.upMs), { raw: ', ' }, ...d.int(row.downMs), { raw: ', ' }, { value: row.endStatus }, { raw: ')' });
            });
            // Servers deleted meanwhile are skipped rather than failing the day.
            await execute(tx, [
              `${verb} INTO uptime_days ("serverId", day, "upMs", "downMs", "endStatus") SELECT * FROM (VALUES `,
              ` ) AS v WHERE EXISTS (SELECT 1 FROM monitored_servers s WHERE s.id = v.column1) ${upsert}`,
            ] as unknown as TemplateStringsArray, values);
          }
          await execute(tx, [
            `${verb} INTO fleet_uptime_days (day, "upMs", "downMs", servers) VALUES (`,
            ', ',
            ', ',
            ', ',
            `) ${db.provider === 'postgres' ? 'ON CONFLICT (day) DO UPDATE SET "upMs" = EXCLUDED."upMs", "downMs" = EXCLUDED."downMs", servers = EXCLUDED.servers' : ''}`,
          ] as unknown as TemplateStringsArray, d.ts(day), fleet.upMs, fleet.downMs, fleet.servers);
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
    },
  };
}

export type UptimeStore = ReturnType<typeof createUptimeStore>;
