// The admin's server table with the four actions, virtualized like the status page: only the
// rows in view are in the DOM, the rows come a block at a time from the server, and search and
// the status filter run on the server. "Generate Challenge" is deliberately absent: the challenge
// flow is abandoned upstream, API keys replaced it.
import { useCallback, useMemo } from 'preact/hooks';
import { Ago, ServerNameCell, ServerSearch, StatusPill, UptimeCell, Versions } from '../shared/components.tsx';
import { rowAt } from '../shared/fleet-window.ts';
import { formatTimestamp, STATUS_LABEL, type ServerStatus } from '../shared/format.ts';
import type { LiveWindow } from '../shared/useFleetWindow.ts';
import { useUptimes } from '../shared/useUptimes.ts';
import { VirtualTable } from '../shared/VirtualTable.tsx';
import type { Server } from './api.ts';

export type ServerAction = 'generate' | 'revoke' | 'delete';

interface Props {
  list: LiveWindow<Server>;
  token: string;
  search: string;
  onSearch(search: string): void;
  status: ServerStatus | null;
  onStatus(status: ServerStatus | null): void;
  busyId: string | null;
  highlightId: string | null;
  onAction(action: ServerAction, server: Server): void;
}

const HEAD = (
  <tr>
    <th scope="col">Status</th>
    <th scope="col">Server</th>
    <th scope="col">Last seen</th>
    <th scope="col" class="num" title="Share of the last 30 days the server was ONLINE or LATE (from its status changes)">
      Uptime 30 d
    </th>
    <th scope="col">API key</th>
    <th scope="col">Check-in</th>
    <th scope="col">Versions</th>
    <th scope="col">
      <span class="offscreen">Actions</span>
    </th>
  </tr>
);

export function ServerList({ list, token, search, onSearch, status, onStatus, busyId, highlightId, onAction }: Props) {
  const { window: block, loaded } = list;
  const total = block.totals?.servers ?? 0;
  // 30-day uptime for the rows of the loaded block only, refreshed every few minutes.
  const rowIds = useMemo(() => block.rows.map((row) => row.id), [block.rows]);
  const uptimeOf = useUptimes(rowIds, token, loaded && !list.error);
  const renderRow = useCallback(
    (server: Server) => (
      <Row key={server.id} server={server} uptime30d={uptimeOf(server.id)} busy={busyId === server.id} highlight={highlightId === server.id} onAction={onAction} />
    ),
    [busyId, highlightId, onAction, uptimeOf],
  );
  return (
    <section class="card" aria-labelledby="servers-title">
      <div class="card-head">
        <h2 id="servers-title">Servers</h2>
        <ServerSearch search={search} onSearch={onSearch} shown={block.matching} total={total} />
        <label class="search">
          <span class="search-label">Status</span>
          <select aria-label="Status filter" value={status ?? ''} onChange={(event) => onStatus((event.currentTarget.value || null) as ServerStatus | null)}>
            <option value="">All</option>
            {(['ONLINE', 'LATE', 'OFFLINE', 'PENDING'] as const).map((value) => (
              <option key={value} value={value}>
                {STATUS_LABEL[value]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {loaded && total === 0 ? (
        <p class="empty">No servers yet. Add the first one above, then generate its API key.</p>
      ) : loaded && block.matching === 0 ? (
        <p class="empty">No server matches these filters.</p>
      ) : (
        <VirtualTable<Server>
          label="Registered servers"
          className="admin-servers"
          head={HEAD}
          columnCount={8}
          count={block.matching}
          rowAt={(index) => rowAt(block, index)}
          renderRow={renderRow}
          onRange={list.onRange}
        />
      )}
    </section>
  );
}

function KeyCell({ server }: { server: Server }) {
  const key = server.apiKey;
  if (!key) return <span class="muted">No key</span>;
  if (!key.active) {
    return (
      <span class="muted" title={formatTimestamp(key.revokedAt)}>
        Revoked <code>{key.prefix}…</code>
      </span>
    );
  }
  return (
    <span class="key-cell">
      <code title={`Created ${formatTimestamp(key.createdAt)}`}>{key.prefix}…</code>
      <span class="muted small">
        {key.lastUsedAt ? (
          <>
            used <Ago iso={key.lastUsedAt} />
          </>
        ) : (
          'never used'
        )}
      </span>
    </span>
  );
}

interface RowProps {
  server: Server;
  uptime30d: number | null | undefined;
  busy: boolean;
  highlight: boolean;
  onAction: Props['onAction'];
}

function Row({ server, uptime30d, busy, highlight, onAction }: RowProps) {
  const hasActiveKey = Boolean(server.apiKey?.active);
  return (
    <tr data-identifier={server.identifier} data-status={server.status} class={highlight ? 'vrow row-new' : 'vrow'}>
      <td>
        <StatusPill status={server.status} />
      </td>
      <ServerNameCell id={server.id} name={server.name} identifier={server.identifier} />
      <td class="nowrap">
        <Ago iso={server.lastSeenAt} />
      </td>
      <UptimeCell ratio={uptime30d} />
      <td>
        <KeyCell server={server} />
      </td>
      <td class="nowrap small">
        every {server.intervalSeconds} s<span class="muted"> · grace {server.graceSeconds} s</span>
      </td>
      <td class="versions">
        <Versions openclaw={server.openclawVersion} plugin={server.pluginVersion} />
      </td>
      <td class="actions">
        {/* aria-labels carry the server's name: in a long table "Delete Server" alone is ambiguous. */}
        <button
          type="button"
          class="button button-small"
          disabled={busy}
          aria-label={`Generate API Key for ${server.identifier}`}
          onClick={() => onAction('generate', server)}
        >
          Generate API Key
        </button>
        <button
          type="button"
          class="button button-small"
          disabled={busy || !hasActiveKey}
          aria-label={`Revoke API Key of ${server.identifier}`}
          title={hasActiveKey ? undefined : 'This server has no active key'}
          onClick={() => onAction('revoke', server)}
        >
          Revoke API Key
        </button>
        <button
          type="button"
          class="button button-small button-danger-quiet"
          disabled={busy}
          aria-label={`Delete Server ${server.identifier}`}
          onClick={() => onAction('delete', server)}
        >
          Delete Server
        </button>
      </td>
    </tr>
  );
}
