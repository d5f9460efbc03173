// The admin page: sign-in, then Add Server and the server list with its actions, kept live by
// the admin subscriptions.
import { useCallback, useMemo, useState } from 'preact/hooks';
import { Ago, ConnectionNotice, Header, LiveBadge } from '../shared/components.tsx';
import type { WindowQuery } from '../shared/fleet-window.ts';
import { STATUS_LABEL, type ServerStatus } from '../shared/format.ts';
import { useDebounced } from '../shared/useDebounced.ts';
import { GraphQLRequestError } from '../shared/graphql.ts';
import { clearToken, readToken, saveToken } from '../shared/session.ts';
import { AddServerForm } from './AddServerForm.tsx';
import { AlertsTab, useAdminTab } from './alerts/index.tsx';
import { deleteServer, generateApiKey, revokeApiKey, type FleetEvent, type Server } from './api.ts';
import { ConfirmDialog, KeyDialog } from './dialogs.tsx';
import { ServerList, type ServerAction } from './ServerList.tsx';
import { SignIn } from './SignIn.tsx';
import { useFleet, type Fleet } from './useFleet.ts';

export function AdminApp() {
  const [token, setToken] = useState<string | null>(readToken);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((reason: string | null) => {
    clearToken();
    setToken(null);
    setNotice(reason);
  }, []);

  if (!token) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(accepted) => {
          saveToken(accepted);
          setNotice(null);
          setToken(accepted);
        }}
      />
    );
  }
  return <Dashboard token={token} onSignOut={signOut} />;
}

type Pending =
  | { kind: 'confirm-generate' | 'revoke' | 'delete'; server: Server }
  | { kind: 'key'; server: Server; apiKey: string };

function Dashboard({ token, onSignOut }: { token: string; onSignOut(reason: string | null): void }) {
  const onAuthFailure = useCallback(
    (_error: GraphQLRequestError) => onSignOut('Your token is no longer accepted (revoked or changed). Sign in again.'),
    [onSignOut],
  );
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<ServerStatus | null>(null);
  const debouncedSearch = useDebounced(search, 200);
  const query = useMemo<WindowQuery>(() => ({ status, search: debouncedSearch.trim(), order: 'IDENTIFIER_ASC' }), [status, debouncedSearch]);
  const fleet = useFleet(token, onAuthFailure, query);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [flash, setFlash] = useState<{ text: string; server?: Server; error?: boolean } | null>(null);
  const [highlightId, setHighlightId] = useState<string | null>(null);

  const tab = useAdminTab();
  if (tab === 'alerts') return <AlertsTab token={token} onAuthFailure={onAuthFailure} onSignOut={() => onSignOut(null)} />;

  /** Runs a mutation; auth failures sign out, other errors surface in the dialog or the flash line. */
  const guard = async <T,>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (caught) {
      if ((caught as GraphQLRequestError).isAuthFailure) onAuthFailure(caught as GraphQLRequestError);
      throw caught;
    }
  };

  const generate = async (server: Server) => {
    const result = await guard(() => generateApiKey(token, server.id));
    fleet.list.patch(result.server);
    setPending({ kind: 'key', server: result.server, apiKey: result.apiKey });
  };

  const onAction = async (action: ServerAction, server: Server) => {
    setFlash(null);
    if (action === 'revoke' || action === 'delete') return setPending({ kind: action, server });
    // Replacing a working key cuts the plugin off until it is reconfigured: ask first.
    if (server.apiKey?.active) return setPending({ kind: 'confirm-generate', server });
    setBusyId(server.id);
    try {
      await generate(server);
    } catch (caught) {
      setFlash({ text: `Could not generate a key for ${server.identifier}: ${(caught as Error).message}`, error: true });
    } finally {
      setBusyId(null);
    }
  };

  return (
    <>
      <Header title="Admin">
        <LiveBadge status={fleet.live} />
        <a class="button button-quiet" href="#alerts">
          Alerts
        </a>
        <a class="button button-quiet" href="/">
          Status page
        </a>
        <button type="button" class="button button-quiet" onClick={() => onSignOut(null)}>
          Sign out
        </button>
      </Header>
      <main id="main" class="page" tabIndex={-1}>
        <ConnectionNotice status={fleet.live} />
        <AddServerForm
          token={token}
          onAuthFailure={onAuthFailure}
          onAdded={(server) => {
            fleet.list.refresh(); // the new row takes its place in the list
            setHighlightId(server.id);
            setFlash({ text: `Added ${server.identifier}. Next, generate its API key for the plugin.`, server });
          }}
        />
        <div class="flash-slot" role="status">
          {flash ? (
            <p class={flash.error ? 'notice notice-error' : 'notice notice-ok'}>
              {flash.text}
              {flash.server ? (
                <>
                  {' '}
                  <button type="button" class="button button-small" onClick={() => onAction('generate', rowById(fleet, flash.server!))}>
                    Generate API Key now
                  </button>
                </>
              ) : null}
            </p>
          ) : null}
        </div>
        {fleet.list.error && !fleet.list.error.isAuthFailure ? (
          <p class="notice notice-error" role="alert">
            Could not load the servers: {fleet.list.error.message}
          </p>
        ) : null}
        {fleet.list.window.totals ? (
          <ServerList
            list={fleet.list}
            token={token}
            search={search}
            onSearch={setSearch}
            status={status}
            onStatus={setStatus}
            busyId={busyId}
            highlightId={highlightId}
            onAction={onAction}
          />
        ) : fleet.list.error ? null : (
          <p class="loading" role="status">
            Loading servers…
          </p>
        )}
        <Activity events={fleet.events} />
      </main>
      {pending?.kind === 'key' ? (
        <KeyDialog server={pending.server} apiKey={pending.apiKey} onClose={() => setPending(null)} />
      ) : null}
      {pending?.kind === 'confirm-generate' ? (
        <ConfirmDialog
          title={`Replace the API key of ${pending.server.identifier}?`}
          confirmLabel="Generate new key"
          onCancel={() => setPending(null)}
          onConfirm={() => generate(pending.server)}
        >
          <p>
            The current key (<code>{pending.server.apiKey?.prefix}…</code>) stops working as soon as the new one is
            generated. Until the plugin on {pending.server.identifier} is given the new key, its heartbeats are refused
            and the server goes Late, then Offline.
          </p>
        </ConfirmDialog>
      ) : null}
      {pending?.kind === 'revoke' ? (
        <ConfirmDialog
          title={`Revoke the API key of ${pending.server.identifier}?`}
          confirmLabel="Revoke API Key"
          onCancel={() => setPending(null)}
          onConfirm={async () => {
            const server = await guard(() => revokeApiKey(token, pending.server.id));
            fleet.list.patch(server);
            setPending(null);
            setFlash({ text: `Revoked the API key of ${server.identifier}. Its heartbeats are now refused.` });
          }}
        >
          <p>
            Heartbeats sent with <code>{pending.server.apiKey?.prefix}…</code> are refused from now on, so the server
            will turn Late, then Offline. You can generate a new key at any time.
          </p>
        </ConfirmDialog>
      ) : null}
      {pending?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${pending.server.identifier}?`}
          confirmLabel="Delete Server"
          onCancel={() => setPending(null)}
          onConfirm={async () => {
            await guard(() => deleteServer(token, pending.server.id));
            fleet.list.refresh();
            setPending(null);
            setFlash({ text: `Deleted ${pending.server.identifier}.` });
          }}
        >
          <p>
            This removes <strong>{pending.server.name}</strong>, its API key and its telemetry history. This cannot be
            undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/** The freshest copy of a server the list holds (a key may have changed since the flash appeared). */
function rowById(fleet: Fleet, server: Server): Server {
  return fleet.list.window.rows.find((row) => row.id === server.id) ?? server;
}

function describeEvent(event: FleetEvent): string {
  const who = event.identifier;
  switch (event.type) {
    case 'SERVER_ADDED':
      return `${who} was added`;
    case 'SERVER_UPDATED':
      return `${who} was updated`;
    case 'SERVER_DELETED':
      return `${who} was deleted`;
    case 'STATUS_CHANGED':
      return `${who} is ${event.status ? STATUS_LABEL[event.status] : 'unknown'}${
        event.previousStatus ? ` (was ${STATUS_LABEL[event.previousStatus]})` : ''
      }`;
    case 'API_KEY_GENERATED':
      return `New API key for ${who}`;
    case 'API_KEY_REVOKED':
      return `API key of ${who} revoked`;
    case 'REBOOTED':
      return `${who} rebooted`;
    default:
      return `${who}: ${String(event.type)}`;
  }
}

function Activity({ events }: { events: FleetEvent[] }) {
  return (
    <section class="card activity" aria-labelledby="activity-title">
      <h2 id="activity-title">Recent activity</h2>
      {events.length === 0 ? (
        <p class="muted small">Events from the whole fleet appear here as they happen.</p>
      ) : (
        <ol class="events">
          {events.map((event, index) => (
            <li key={`${event.at}-${event.serverId}-${event.type}-${index}`} class={`event event-${event.type.toLowerCase()}`}>
              <span>{describeEvent(event)}</span>
              <Ago iso={event.at} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
