// Pure formatting helpers, shared by both pages and unit-tested without a browser.

/** "just now", "12 s ago", "4 min ago", "3 h 5 min ago", "2 d 3 h ago"; null → "never". */
export function formatAgo(seconds: number | null): string {
  if (seconds === null) return 'never';
  if (seconds < 2) return 'just now';
  return `${formatDuration(seconds)} ago`;
}

/** A compact duration with at most two units: "45 s", "12 min", "5 h 12 min", "3 d 4 h". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

export function formatUptime(seconds: number | null | undefined): string {
  return seconds == null ? '—' : formatDuration(seconds);
}

/** Percentages: one decimal below 10 % (where it matters), whole numbers above. */
export function formatPct(value: number | null | undefined): string {
  if (value == null || Number.isNaN(value)) return '—';
  const clamped = Math.min(100, Math.max(0, value));
  return `${clamped < 10 ? clamped.toFixed(1).replace(/\.0$/, '') : Math.round(clamped)}%`;
}

/** Load averages as "1.20 0.80 0.55" (1, 5, 15 min). */
export function formatLoad(load: ReadonlyArray<number> | null | undefined): string {
  if (!load || load.length === 0) return '—';
  return load.map((value) => value.toFixed(2)).join(' ');
}

/** An absolute local timestamp for tooltips and the admin table. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString();
}

/** How full a usage bar is, for colouring: the text next to it always carries the number. */
export function usageLevel(value: number | null | undefined): 'none' | 'ok' | 'high' | 'critical' {
  if (value == null || Number.isNaN(value)) return 'none';
  if (value >= 90) return 'critical';
  if (value >= 75) return 'high';
  return 'ok';
}

export type ServerStatus = 'PENDING' | 'ONLINE' | 'LATE' | 'OFFLINE';

export const STATUS_LABEL: Record<ServerStatus, string> = {
  ONLINE: 'Online',
  LATE: 'Late',
  OFFLINE: 'Offline',
  PENDING: 'Pending',
};

/** Sort order for "worst first": what needs attention comes to the top. */
export const STATUS_SEVERITY: Record<ServerStatus, number> = { OFFLINE: 0, LATE: 1, PENDING: 2, ONLINE: 3 };

/** Case-insensitive match on name or identifier, the two things a person searches by. */
export function matchesSearch(server: { name: string; identifier: string }, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return server.name.toLowerCase().includes(needle) || server.identifier.toLowerCase().includes(needle);
}
