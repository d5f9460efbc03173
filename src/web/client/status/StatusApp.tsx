// The public status view: fleet totals, a filterable table of every server, updated live by the
// `overviewUpdated` subscription (whose first event is the current state, so a reconnect
// resynchronises by itself).
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { observeServerTime } from '../shared/clock.ts';
import { Ago, ConnectionNotice, Header, LiveBadge, ROW_BATCH, ServerNameCell, ServerSearch, ShowMore, StatusPill, UsageBar, Versions } from '../shared/components.tsx';
import { formatLoad, formatUptime, matchesSearch, STATUS_LABEL, type ServerStatus } from '../shared/format.ts';
import { GraphQLRequestError, request } from '../shared/graphql.ts';
import { LiveConnection, type LiveStatus } from '../shared/live.ts';
import { readToken } from '../shared/session.ts';
import { OVERVIEW_QUERY, OVERVIEW_SUBSCRIPTION, sortServers, type Overview, type OverviewServer, type Sort, type SortKey } from './overview.ts';

/** Rows rendered at first; a fleet of thousands stays responsive, and "Show more" reveals the rest. */
const STATUSES: ServerStatus[] = ['ONLINE', 'LATE', 'OFFLINE', 'PENDING'];

type Filter = ServerStatus | 'ALL';

/** Filters live in the query string so a filtered view can be bookmarked or shared. */
function readFiltersFromUrl(): { filter: Filter; search: string } {
  const params = new URLSearchParams(location.search);
  const status = params.get('status')?.toUpperCase() as ServerStatus | undefined;
  return { filter: status && STATUSES.includes(status) ? status : 'ALL', search: params.get('q') ?? '' };
}

function writeFiltersToUrl(filter: Filter, search: string): void {
  const params = new URLSearchParams();
  if (filter !== 'ALL') params.set('status', filter.toLowerCase());
  if (search.trim()) params.set('q', search.trim());
  const query = params.toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
}

export function StatusApp() {
  const initial = useMemo(readFiltersFromUrl, []);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<GraphQLRequestError | null>(null);
  const [live, setLive] = useState<LiveStatus>({ state: 'connecting', transport: 'websocket' });
  const [filter, setFilter] = useState<Filter>(initial.filter);
  const [search, setSearch] = useState(initial.search);
  const [sort, setSort] = useState<Sort>({ key: 'status', descending: false });
  const [limit, setLimit] = useState(ROW_BATCH);

  // Only ever move forward in time: the initial query and the subscription race each other.
  const accept = useCallback((next: Overview) => {
    observeServerTime(next.generatedAt);
    setOverview((current) =>
      current && Date.parse(current.generatedAt) > Date.parse(next.generatedAt) ? current : next,
    );
    setError(null);
  }, []);

  useEffect(() => {
    let connection: LiveConnection | null = null;
    let cancelled = false;
    // The overview is public by default, but an operator can turn that off; then the admin token
    // of this tab (if someone signed in on /admin) is the only way in.
    const start = async (token: string | null) => {
      try {
        const data = await request<{ overview: Overview }>(OVERVIEW_QUERY, {}, token);
        if (cancelled) return;
        accept(data.overview);
      } catch (caught) {
        if (cancelled) return;
        const failure = caught as GraphQLRequestError;
        if (failure.isAuthFailure && !token && readToken()) return start(readToken());
        setError(failure);
        if (failure.isAuthFailure) return; // no point in a subscription that will be refused too
      }
      connection = new LiveConnection({ token: () => token, onStatus: setLive });
      connection.subscribe<{ overviewUpdated: Overview }>({
        query: OVERVIEW_SUBSCRIPTION,
        next: (data) => accept(data.overviewUpdated),
        error: setError,
      });
    };
    void start(null);
    return () => {
      cancelled = true;
      connection?.dispose();
    };
  }, [accept]);

  useEffect(() => writeFiltersToUrl(filter, search), [filter, search]);
  useEffect(() => setLimit(ROW_BATCH), [filter, search]);

  const rows = useMemo(() => {
    if (!overview) return [];
    const visible = overview.servers.filter(
      (server) => (filter === 'ALL' || server.status === filter) && matchesSearch(server, search),
    );
    return sortServers(visible, sort);
  }, [overview, filter, search, sort]);

  useEffect(() => {
    const counts = overview?.totals;
    document.title = counts
      ? `${counts.offline ? `${counts.offline} offline · ` : ''}Fleet status · HarborForge Monitor`
      : 'Fleet status · HarborForge Monitor';
  }, [overview]);

  return (
    <>
      <Header title="Fleet status">
        <LiveBadge status={live} />
        <a class="button button-quiet" href="/admin">
          Admin
        </a>
      </Header>
      <main id="main" class="page" tabIndex={-1}>
        <ConnectionNotice status={live} lastUpdate={overview?.generatedAt} />
        {error ? <ErrorNotice error={error} /> : null}
        {overview ? (
          <>
            <Totals overview={overview} filter={filter} onFilter={setFilter} />
            <Toolbar search={search} onSearch={setSearch} shown={rows.length} total={overview.servers.length} />
            {rows.length > 0 ? (
              <ServerTable rows={rows.slice(0, limit)} sort={sort} onSort={setSort} />
            ) : (
              <EmptyState
                fleetEmpty={overview.servers.length === 0}
                onClear={() => {
                  setFilter('ALL');
                  setSearch('');
                }}
              />
            )}
            <ShowMore total={rows.length} limit={limit} onMore={setLimit} />
          </>
        ) : error ? null : (
          <p class="loading" role="status">
            Loading the fleet…
          </p>
        )}
      </main>
    </>
  );
}

function ErrorNotice({ error }: { error: GraphQLRequestError }) {
  if (error.isAuthFailure) {
    return (
      <div class="notice notice-error" role="alert">
        The fleet overview is not public on this server. <a href="/admin">Sign in on the admin page</a>, then come
        back here in the same tab.
      </div>
    );
  }
  return (
    <div class="notice notice-error" role="alert">
      Could not load the fleet: {error.message}
    </div>
  );
}

function Totals({ overview, filter, onFilter }: { overview: Overview; filter: Filter; onFilter(filter: Filter): void }) {
  const { totals } = overview;
  const cards: Array<{ key: Filter; label: string; count: number }> = [
    { key: 'ALL', label: 'All servers', count: totals.servers },
    { key: 'ONLINE', label: STATUS_LABEL.ONLINE, count: totals.online },
    { key: 'LATE', label: STATUS_LABEL.LATE, count: totals.late },
    { key: 'OFFLINE', label: STATUS_LABEL.OFFLINE, count: totals.offline },
    { key: 'PENDING', label: STATUS_LABEL.PENDING, count: totals.pending },
  ];
  return (
    <section class="totals" aria-label="Fleet totals; choose one to filter the table">
      {cards.map((card) => (
        <button
          key={card.key}
          type="button"
          class={`total total-${card.key.toLowerCase()}`}
          aria-pressed={filter === card.key}
          data-testid={`total-${card.key.toLowerCase()}`}
          onClick={() => onFilter(filter === card.key ? 'ALL' : card.key)}
        >
          <span class="total-count">{card.count}</span>
          <span class="total-label">{card.label}</span>
        </button>
      ))}
    </section>
  );
}

function Toolbar({ search, onSearch, shown, total }: { search: string; onSearch(value: string): void; shown: number; total: number }) {
  return (
    <div class="toolbar">
      <ServerSearch search={search} onSearch={onSearch} shown={shown} total={total} />
    </div>
  );
}

const COLUMNS: Array<{ label: string; sortKey?: SortKey; className?: string }> = [
  { label: 'Status', sortKey: 'status' },
  { label: 'Server', sortKey: 'name' },
  { label: 'Last seen', sortKey: 'lastSeen' },
  { label: 'CPU', sortKey: 'cpu', className: 'col-usage' },
  { label: 'Memory', sortKey: 'mem', className: 'col-usage' },
  { label: 'Disk', sortKey: 'disk', className: 'col-usage' },
  { label: 'Swap', className: 'col-usage' },
  { label: 'Load 1/5/15', className: 'num' },
  { label: 'Uptime', className: 'num' },
  { label: 'Versions' },
  { label: 'Agents' },
];

function ServerTable({ rows, sort, onSort }: { rows: OverviewServer[]; sort: Sort; onSort(sort: Sort): void }) {
  return (
    <div class="table-wrap">
      <table class="servers" aria-label="Servers">
        <thead>
          <tr>
            {COLUMNS.map((column) => {
              const active = column.sortKey === sort.key;
              return (
                <th
                  key={column.label}
                  scope="col"
                  class={column.className}
                  aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : undefined}
                >
                  {column.sortKey ? (
                    <button
                      type="button"
                      class="sort"
                      onClick={() =>
                        onSort({ key: column.sortKey!, descending: active ? !sort.descending : column.sortKey !== 'name' && column.sortKey !== 'status' })
                      }
                    >
                      {column.label}
                      <span class="sort-mark" aria-hidden="true">
                        {active ? (sort.descending ? '▼' : '▲') : ''}
                      </span>
                    </button>
                  ) : (
                    column.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((server) => (
            <ServerRow key={server.id} server={server} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ServerRow({ server }: { server: OverviewServer }) {
  const agents = server.agents.map((agent) => agent.name);
  return (
    <tr data-identifier={server.identifier} data-status={server.status}>
      <td>
        <StatusPill status={server.status} />
      </td>
      <ServerNameCell name={server.name} identifier={server.identifier} />
      <td class="nowrap">
        <Ago iso={server.lastSeenAt} />
      </td>
      <td class="col-usage">
        <UsageBar value={server.cpuPct} />
      </td>
      <td class="col-usage">
        <UsageBar value={server.memPct} />
      </td>
      <td class="col-usage">
        <UsageBar value={server.diskPct} />
      </td>
      <td class="col-usage">
        <UsageBar value={server.swapPct} />
      </td>
      <td class="num nowrap">{formatLoad(server.loadAvg)}</td>
      <td class="num nowrap">{formatUptime(server.uptimeSeconds)}</td>
      <td class="versions">
        <Versions openclaw={server.openclawVersion} plugin={server.pluginVersion} />
      </td>
      <td class="agents" title={agents.join(', ')}>
        {agents.length === 0 ? (
          <span class="muted">none</span>
        ) : (
          <>
            {agents.slice(0, 3).join(', ')}
            {agents.length > 3 ? <span class="muted"> +{agents.length - 3} more</span> : null}
          </>
        )}
      </td>
    </tr>
  );
}

function EmptyState({ fleetEmpty, onClear }: { fleetEmpty: boolean; onClear(): void }) {
  if (fleetEmpty) {
    return (
      <div class="empty">
        <p>No servers are registered yet.</p>
        <p class="muted">
          An administrator adds them on the <a href="/admin">admin page</a>, then installs the harborforge-monitor
          plugin with the generated API key.
        </p>
      </div>
    );
  }
  return (
    <div class="empty">
      <p>No servers match these filters.</p>
      <button type="button" class="button" onClick={onClear}>
        Clear filters
      </button>
    </div>
  );
}
