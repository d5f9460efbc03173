// Folds each closed UTC day of status_changes into uptime_days (per server) and fleet_uptime_days,
// so that uptime over long ranges and the fleet's availability read a few rows. A day is rolled
// once it ended SETTLE_MS ago (transitions are written at or before "now"); each run rolls at most
// a few days, so catching up after an upgrade or a long stop is spread over several runs. Rolling
// a day is idempotent: instances doing it at once write the same rows.
import type { Services } from './context.ts';
import { backendDowntime, forgetRolledDay, groupByServer, uptimeStore } from './uptime.ts';
import { DAY_MS, dayStart, tallyBuckets } from './uptime-tally.ts';
import type { DayRow } from '../db/uptime-store.ts';

export const SETTLE_MS = 5 * 60_000;

/** Rolls up to `maxDays` closed days; returns how many it rolled. */
export async function rollUpUptime(services: Services, maxDays = 7): Promise<number> {
  const store = uptimeStore(services);
  const now = services.now().getTime();
  const last = await store.lastRolledDay();
  let day: number;
  if (last != null) day = last + DAY_MS;
  else {
    const first = await store.firstChangeAt();
    if (first == null) return 0;
    day = dayStart(first);
  }
  if (day + DAY_MS + SETTLE_MS > now) return 0;

  const existing = new Set(await store.serverIds());
  // The status each server starts the day with: the end of its previous rolled day, or (first run,
  // or a server without a row that day) its last transition before the day.
  let starting = new Map<string, string>();
  if (last != null) for (const row of await store.days([...existing], last, last + DAY_MS)) starting.set(row.serverId, row.endStatus);
  const missing = [...existing].filter((id) => !starting.has(id));
  for (const [id, status] of await store.statusBefore(missing, day)) starting.set(id, status);

  let rolled = 0;
  for (; rolled < maxDays && day + DAY_MS + SETTLE_MS <= now; rolled++, day += DAY_MS) {
    const [changes, downtime] = await Promise.all([store.changesBetween(null, day, day + DAY_MS), backendDowntime(services, day, day + DAY_MS)]);
    const byServer = groupByServer(changes);
    const rows: DayRow[] = [];
    const fleet = { day, upMs: 0, downMs: 0, servers: 0 };
    for (const id of new Set([...starting.keys(), ...byServer.keys()])) {
      if (!existing.has(id)) continue;
      const { buckets, endStatus } = tallyBuckets(starting.get(id) ?? null, byServer.get(id) ?? [], [day, day + DAY_MS], downtime);
      if (endStatus == null) continue;
      const { upMs, downMs } = buckets[0]!;
      rows.push({ serverId: id, day, upMs, downMs, endStatus });
      fleet.upMs += upMs;
      fleet.downMs += downMs;
      if (upMs + downMs > 0) fleet.servers++;
    }
    await store.writeDay(day, rows, fleet);
    forgetRolledDay(services);
    starting = new Map(rows.map((row) => [row.serverId, row.endStatus]));
  }
  return rolled;
}

export function startUptimeRollup(services: Services, everyMs: number): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return;
    running = rollUpUptime(services)
      .then((days) => void (days && services.logger.info({ days }, 'rolled up uptime')))
      .catch((error) => services.logger.error({ err: error }, 'uptime rollup failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(run, everyMs);
  timer.unref();
  const first = setTimeout(run, Math.min(everyMs, 5_000));
  first.unref();
  return {
    async stop() {
      clearInterval(timer);
      clearTimeout(first);
      await running;
    },
  };
}
