// The public overview: documents and types, exactly the fields the status view shows.
import type { ServerStatus } from '../shared/format.ts';

export interface Agent {
  id: string;
  name: string;
}

export interface OverviewServer {
  id: string;
  identifier: string;
  name: string;
  status: ServerStatus;
  lastSeenAt: string | null;
  openclawVersion: string | null;
  pluginVersion: string | null;
  agents: Agent[];
  cpuPct: number | null;
  memPct: number | null;
  diskPct: number | null;
  swapPct: number | null;
  loadAvg: number[] | null;
  uptimeSeconds: number | null;
}

export interface Totals {
  servers: number;
  online: number;
  late: number;
  offline: number;
  pending: number;
}

export interface Overview {
  generatedAt: string;
  totals: Totals;
  servers: OverviewServer[];
}

const FIELDS = `
  generatedAt
  totals { servers online late offline pending }
  servers {
    id identifier name status lastSeenAt openclawVersion pluginVersion agents { id name }
    cpuPct memPct diskPct swapPct loadAvg uptimeSeconds
  }`;

export const OVERVIEW_QUERY = `query StatusPageOverview { overview { ${FIELDS} } }`;
export const OVERVIEW_SUBSCRIPTION = `subscription StatusPageOverviewUpdated { overviewUpdated { ${FIELDS} } }`;

export type SortKey = 'status' | 'name' | 'lastSeen' | 'cpu' | 'mem' | 'disk';
export interface Sort {
  key: SortKey;
  descending: boolean;
}

const SEVERITY: Record<ServerStatus, number> = { OFFLINE: 0, LATE: 1, PENDING: 2, ONLINE: 3 };

function metric(server: OverviewServer, key: SortKey): number | string | null {
  switch (key) {
    case 'status':
      return SEVERITY[server.status] ?? 9;
    case 'name':
      return server.name.toLowerCase();
    case 'lastSeen':
      return server.lastSeenAt ? Date.parse(server.lastSeenAt) : null;
    case 'cpu':
      return server.cpuPct;
    case 'mem':
      return server.memPct;
    case 'disk':
      return server.diskPct;
  }
}

/** Sorts a copy; missing values always go last, and ties fall back to the name for a stable order. */
export function sortServers(servers: OverviewServer[], sort: Sort): OverviewServer[] {
  const direction = sort.descending ? -1 : 1;
  return [...servers].sort((a, b) => {
    const x = metric(a, sort.key);
    const y = metric(b, sort.key);
    if (x !== y) {
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * direction;
    }
    return a.name.localeCompare(b.name) || a.identifier.localeCompare(b.identifier);
  });
}
