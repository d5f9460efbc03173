// The public overview as the status page uses it: one block of rows by `overview(first, offset, …)`,
// then `fleetChanges` for those rows' ids. Documents and types, exactly the fields the page shows.
import type { WindowChanges, WindowPage, WindowQuery } from '../shared/fleet-window.ts';
import type { ServerStatus } from '../shared/format.ts';
import { request } from '../shared/graphql.ts';
import type { WindowSource } from '../shared/useFleetWindow.ts';

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
  /** Alerts firing on the server (the row's mark). */
  firingAlerts?: number;
}

const ROW_FIELDS = `id identifier name status firingAlerts lastSeenAt openclawVersion pluginVersion agents { id name }
  cpuPct memPct diskPct swapPct loadAvg uptimeSeconds`;
const TOTALS = 'totals { servers online late offline pending }';

export const OVERVIEW_PAGE_QUERY = `query StatusPageBlock($first: Int!, $offset: Int!, $status: [ServerStatus!], $search: String, $orderBy: OverviewOrder) {
  overview(first: $first, offset: $offset, status: $status, search: $search, orderBy: $orderBy) {
    generatedAt version matching ${TOTALS} servers { ${ROW_FIELDS} }
  }
}`;

export const FLEET_CHANGES_SUBSCRIPTION = `subscription StatusPageChanges($ids: [ID!], $since: String, $status: [ServerStatus!], $search: String) {
  fleetChanges(ids: $ids, since: $since, status: $status, search: $search) {
    version reset generatedAt ${TOTALS} changed { ${ROW_FIELDS} } removed
  }
}`;

export const filterVariables = (query: WindowQuery) => ({
  status: query.status ? [query.status] : null,
  search: query.search.trim() || null,
});

type PageAnswer = { overview: Omit<WindowPage<OverviewServer>, 'offset'> & { generatedAt: string } };
type ChangesAnswer = { fleetChanges: WindowChanges<OverviewServer> & { generatedAt: string } };

/** Where the status page's rows come from; `onServerTime` sees every server timestamp (clock offset). */
export function overviewSource(token: () => string | null, onServerTime: (iso: string) => void): WindowSource<OverviewServer> {
  return {
    async fetchBlock(query, offset, size) {
      const variables = { first: size, offset, orderBy: query.order, ...filterVariables(query) };
      const { overview } = await request<PageAnswer>(OVERVIEW_PAGE_QUERY, variables, token());
      onServerTime(overview.generatedAt);
      return { ...overview, offset };
    },
    subscribe(connection, query, ids, since, next, error) {
      return connection.subscribe<ChangesAnswer>({
        query: FLEET_CHANGES_SUBSCRIPTION,
        variables: { ids, since, ...filterVariables(query) },
        next: ({ fleetChanges }) => {
          onServerTime(fleetChanges.generatedAt);
          next(fleetChanges);
        },
        error,
      });
    },
  };
}
