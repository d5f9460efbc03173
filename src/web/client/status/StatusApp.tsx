// The public status view: fleet totals and a virtualized table of the servers. It holds one
// block of rows at a time (the ones around the scroll position, fetched by `overview(first,
// offset, status, search)`), kept live by `fleetChanges` for those rows; the totals are live for
// the whole fleet. Search, status filter and order are applied by the server, so the page costs
// the same at 100 servers and at 100,000.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { observeServerTime } from '../shared/clock.ts';
import { ConnectionNotice, Header, LiveBadge, ServerSearch } from '../shared/components.tsx';
import type { WindowOrder, WindowQuery } from '../shared/fleet-window.ts';
import { rowAt } from '../shared/fleet-window.ts';
import { STATUS_LABEL, type ServerStatus } from '../shared/format.ts';
import { GraphQLRequestError } from '../shared/graphql.ts';
import { LiveConnection, type LiveStatus } from '../shared/live.ts';
import { readToken } from '../shared/session.ts';
import { useDebounced } from '../shared/useDebounced.ts';
import { useFleetWindow } from '../shared/useFleetWindow.ts';
import { useUptimes } from '../shared/useUptimes.ts';
import { VirtualTable } from '../shared/VirtualTable.tsx';
import { overviewSource, type OverviewServer } from './overview.ts';
import { COLUMNS, StatusHead, StatusRow } from './StatusRow.tsx';
import type { Totals as FleetTotals } from '../shared/fleet-window.ts';

const STATUSES: ServerStatus[] = ['ONLINE', 'LATE', 'OFFLINE', 'PENDING'];

type Filter = ServerStatus | 'ALL';

/** `order=` in the page's address for each order but the default. */
const ORDER_PARAM: Partial<Record<WindowOrder, string>> = { IDENTIFIER_DESC: 'desc', PROBLEMS_FIRST: 'problems' };

/** Filters live in the query string so a filtered view can be bookmarked or shared. */
function readFiltersFromUrl(): { filter: Filter; search: string; order: WindowOrder } {
  const params = new URLSearchParams(location.search);
  const status = params.get('status')?.toUpperCase() as ServerStatus | undefined;
  const order = (Object.keys(ORDER_PARAM) as WindowOrder[]).find((key) => ORDER_PARAM[key] === params.get('order'));
  return {
    filter: status && STATUSES.includes(status) ? status : 'ALL',
    search: params.get('q') ?? '',
    order: order ?? 'IDENTIFIER_ASC',
  };
}

function writeFiltersToUrl(filter: Filter, search: string, order: WindowOrder): void {
  const params = new URLSearchParams();
  if (filter !== 'ALL') params.set('status', filter.toLowerCase());
  if (search.trim()) params.set('q', search.trim());
  if (ORDER_PARAM[order]) params.set('order', ORDER_PARAM[order]!);
  const query = params.toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
}

export function StatusApp() {
  const initial = useMemo(readFiltersFromUrl, []);
  const [live, setLive] = useState<LiveStatus>({ state: 'connecting', transport: 'websocket' });
  const [filter, setFilter] = useState<Filter>(initial.filter);
  const [search, setSearch] = useState(initial.search);
  const [order, setOrder] = useState<WindowOrder>(initial.order);
  // The overview is public by default, but an operator can turn that off; then the admin token
  // of this tab (if someone signed in on /admin) is the only way in.
  const [token, setToken] = useState<string | null>(null);
  const [connection, setConnection] = useState<LiveConnection | null>(null);
  const debouncedSearch = useDebounced(search, 200);

  const query = useMemo<WindowQuery>(
    () => ({ status: filter === 'ALL' ? null : filter, search: debouncedSearch.trim(), order }),
    [filter, debouncedSearch, order],
  );
  const source = useMemo(() => overviewSource(() => token, observeServerTime), [token]);
  const fleet = useFleetWindow(source, query, connection);
  const { window: block, loaded, error } = fleet;
  const refused = error?.isAuthFailure ?? false;

  // One live connection for the page, opened once the first block came through (so a refused
  // anonymous request does not open a doomed socket); a reconnect may have missed events: refetch.
  const [reachable, setReachable] = useState(false);
  useEffect(() => void (loaded && setReachable(true)), [loaded]);
  useEffect(() => {
    if (!reachable) return;
    const live = new LiveConnection({ token: () => token, onStatus: setLive, onResync: fleet.refresh });
    setConnection(live);
    return () => {
      live.dispose();
      setConnection(null);
    };
  }, [reachable, token, fleet.refresh]);

  useEffect(() => {
    if (refused && !token && readToken()) setToken(readToken());
  }, [refused, token]);

  useEffect(() => writeFiltersToUrl(filter, search, order), [filter, search, order]);

  const totals = block.totals;
  useEffect(() => {
    document.title = totals
      ? `${totals.offline ? `${totals.offline} offline · ` : ''}Fleet status · HarborForge Monitor`
      : 'Fleet status · HarborForge Monitor';
  }, [totals?.offline]);

  // 30-day uptime for the rows of the loaded block only (bounded: the block, not the fleet).
  const rowIds = useMemo(() => block.rows.map((row) => row.id), [block.rows]);
  const uptimeOf = useUptimes(rowIds, token, loaded && !error);
  const renderRow = useCallback(
    (server: OverviewServer, index: number) => <StatusRow key={server.id} server={server} index={index} uptime30d={uptimeOf(server.id)} />,
    [uptimeOf],
  );
  const clear = () => {
    setFilter('ALL');
    setSearch('');
  };

  return (
    <>
      <Header title="Fleet status">
        <LiveBadge status={live} />
        <a class="button button-quiet" href="/admin">
          Admin
        </a>
      </Header>
      <main id="main" class="page" tabIndex={-1} data-block={`${block.offset}+${block.rows.length}/${block.matching}${block.stale ? ' stale' : ''}`}>
        <ConnectionNotice status={live} />
        {error && !(refused && !token && readToken()) ? <ErrorNotice error={error} /> : null}
        {totals ? (
          <>
            <TotalCards totals={totals} filter={filter} onFilter={setFilter} />
            <div class="toolbar">
              <ServerSearch search={search} onSearch={setSearch} shown={block.matching} total={totals.servers} />
            </div>
            {loaded && block.matching === 0 ? (
              <EmptyState fleetEmpty={totals.servers === 0} onClear={clear} />
            ) : (
              <VirtualTable<OverviewServer>
                label="Servers"
                head={<StatusHead order={order} onOrder={setOrder} />}
                columnCount={COLUMNS.length}
                count={block.matching}
                rowAt={(index) => rowAt(block, index)}
                renderRow={renderRow}
                onRange={fleet.onRange}
                resetKey={query}
              />
            )}
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

function TotalCards({ totals, filter, onFilter }: { totals: FleetTotals; filter: Filter; onFilter(filter: Filter): void }) {
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
