// The admin's server table with the four actions. "Generate Challenge" is deliberately absent:
// the challenge flow is abandoned upstream, API keys replaced it.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Ago, ROW_BATCH, ServerNameCell, ServerSearch, ShowMore, StatusPill, Versions } from '../shared/components.tsx';
import { formatTimestamp, matchesSearch } from '../shared/format.ts';
import type { Server } from './api.ts';

export type ServerAction = 'generate' | 'revoke' | 'delete';

interface Props {
  servers: Server[];
  busyId: string | null;
  highlightId: string | null;
  onAction(action: ServerAction, server: Server): void;
}

/** Rows rendered at first; "Show more" reveals the rest, so a fleet of thousands stays responsive. */

export function ServerList({ servers, busyId, highlightId, onAction }: Props) {
  const [search, setSearch] = useState('');
  const [limit, setLimit] = useState(ROW_BATCH);
  useEffect(() => setLimit(ROW_BATCH), [search]);
  const rows = useMemo(
    () =>
      servers
        .filter((server) => matchesSearch(server, search))
        .sort((a, b) => a.name.localeCompare(b.name) || a.identifier.localeCompare(b.identifier)),
    [servers, search],
  );
  return (
    <section class="card" aria-labelledby="servers-title">
      <div class="card-head">
        <h2 id="servers-title">Servers</h2>
        <ServerSearch search={search} onSearch={setSearch} shown={rows.length} total={servers.length} />
      </div>
      {servers.length === 0 ? (
        <p class="empty">No servers yet. Add the first one above, then generate its API key.</p>
      ) : rows.length === 0 ? (
        <p class="empty">No server matches “{search}”.</p>
      ) : (
        <div class="table-wrap">
          <table class="servers admin-servers" aria-label="Registered servers">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Server</th>
                <th scope="col">Last seen</th>
                <th scope="col">API key</th>
                <th scope="col">Check-in</th>
                <th scope="col">Versions</th>
                <th scope="col">
                  <span class="offscreen">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, limit).map((server) => (
                <Row key={server.id} server={server} busy={busyId === server.id} highlight={highlightId === server.id} onAction={onAction} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ShowMore total={rows.length} limit={limit} onMore={setLimit} />
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

function Row({ server, busy, highlight, onAction }: { server: Server; busy: boolean; highlight: boolean; onAction: Props['onAction'] }) {
  const hasActiveKey = Boolean(server.apiKey?.active);
  return (
    <tr data-identifier={server.identifier} data-status={server.status} class={highlight ? 'row-new' : undefined}>
      <td>
        <StatusPill status={server.status} />
      </td>
      <ServerNameCell id={server.id} name={server.name} identifier={server.identifier} />
      <td class="nowrap">
        <Ago iso={server.lastSeenAt} />
      </td>
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
