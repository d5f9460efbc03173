// Per-server Prometheus gauges (METRICS_PER_SERVER=true), rendered in the text exposition format
// from a snapshot of the in-memory fleet index: a scrape reads no database row, whatever the
// fleet's size. The text is produced in chunks so that /metrics can stream it and yield to the
// event loop between them (a 100,000-server scrape is tens of MB; heartbeats must not wait on it).
//
// Every series carries `server_id` and `identifier` (both unique; `server_id` is what the API and
// the server page's URL use, `identifier` what people read). Name and versions are on
// `harborforge_server_info` only, so that renaming a server or upgrading its plugin does not
// start new series for every metric. A value the server never reported is left out, not 0.
import { statusOf, type FleetEntry } from './fleet-index.ts';
import type { ServerStatus } from './status.ts';

interface Family {
  name: string;
  help: string;
  /** The sample's value for this server, or null to leave it out. */
  value(entry: FleetEntry, status: ServerStatus): number | null;
  /** Labels after the server's own (already escaped, starting with a comma). */
  extraLabels?(entry: FleetEntry, status: ServerStatus): string;
}

const UP: Record<ServerStatus, number | null> = { ONLINE: 1, LATE: 1, OFFLINE: 0, PENDING: null };

/** Label value escaping of the text format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

const load = (i: number) => (entry: FleetEntry) => entry.loadAvg?.[i] ?? null;

export const SERVER_GAUGES: readonly Family[] = [
  {
    name: 'harborforge_server_info',
    help: 'Always 1; labels carry the server\'s name and the OpenClaw and plugin versions it last reported',
    value: () => 1,
    extraLabels: (entry) =>
      `,name="${escapeLabelValue(entry.name)}",openclaw_version="${escapeLabelValue(entry.openclawVersion ?? '')}",plugin_version="${escapeLabelValue(entry.pluginVersion ?? '')}"`,
  },
  { name: 'harborforge_server_status', help: 'Always 1, labelled with the server\'s current status (PENDING, ONLINE, LATE, OFFLINE)', value: () => 1, extraLabels: (_e, status) => `,status="${status}"` },
  { name: 'harborforge_server_up', help: '1 while ONLINE or LATE, 0 while OFFLINE; absent while PENDING (the uptime rule)', value: (_e, status) => UP[status] },
  { name: 'harborforge_server_last_seen_timestamp_seconds', help: 'Unix time of the last heartbeat received (backend clock)', value: (entry) => (entry.lastSeenAt == null ? null : entry.lastSeenAt / 1000) },
  { name: 'harborforge_server_cpu_percent', help: 'CPU use in % at the last heartbeat', value: (entry) => entry.cpuPct },
  { name: 'harborforge_server_memory_percent', help: 'Memory use in % at the last heartbeat', value: (entry) => entry.memPct },
  { name: 'harborforge_server_disk_percent', help: 'Disk use in % at the last heartbeat', value: (entry) => entry.diskPct },
  { name: 'harborforge_server_swap_percent', help: 'Swap use in % at the last heartbeat', value: (entry) => entry.swapPct },
  { name: 'harborforge_server_load1', help: '1-minute load average at the last heartbeat', value: load(0) },
  { name: 'harborforge_server_load5', help: '5-minute load average at the last heartbeat', value: load(1) },
  { name: 'harborforge_server_load15', help: '15-minute load average at the last heartbeat', value: load(2) },
  { name: 'harborforge_server_uptime_seconds', help: 'Host uptime in seconds as reported by the last heartbeat', value: (entry) => entry.uptimeSeconds },
];

/** Bytes per chunk: a few ms of work between two turns of the event loop. */
const CHUNK_BYTES = 256 * 1024;

/**
 * The per-server gauges for `entries` (a snapshot: the caller copies the index's entries once, so
 * every family describes the same fleet), statuses as of `now`, as UTF-8 chunks in order.
 *
 * Written straight into buffers: at 100,000 servers the text is over 100 MB, and building it as
 * strings cost three times the CPU (template strings, then flattening and encoding them).
 */
export function* serverGaugeChunks(entries: readonly FleetEntry[], now: number): Generator<Buffer> {
  // Filled during the first family's pass, so that no step of the scrape walks the whole fleet at once.
  const statuses: ServerStatus[] = new Array(entries.length);
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  for (const family of SERVER_GAUGES) {
    const name = Buffer.from(family.name);
    const head = `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} gauge\n`;
    // i = -1 is the family's HELP/TYPE head; 0… its servers.
    for (let i = -1; i < entries.length; i++) {
      let tail = head;
      let prefix = 0;
      if (i >= 0) {
        const entry = entries[i]!;
        const status = (statuses[i] ??= statusOf(entries[i]!, now));
        const value = family.value(entry, status);
        if (value == null || !Number.isFinite(value)) continue;
        // Not kept between families: at 100,000 servers a cache of the labels is tens of MB of heap
        // for the scrape's duration, and the heap is what a large fleet runs short of.
        tail = `{server_id="${escapeLabelValue(entry.id)}",identifier="${escapeLabelValue(entry.identifier)}"${family.extraLabels ? family.extraLabels(entry, status) : ''}} ${value}\n`;
        prefix = name.length;
      }
      // Room for the line (a UTF-16 code unit is at most 3 bytes of UTF-8), else the next chunk.
      const need = prefix + tail.length * 3;
      if (used + need > chunk.length) {
        if (used > 0) yield chunk.subarray(0, used);
        chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
        used = 0;
      }
      if (i >= 0) used += name.copy(chunk, used);
      used += chunk.write(tail, used);
    }
  }
  if (used > 0) yield chunk.subarray(0, used);
}
