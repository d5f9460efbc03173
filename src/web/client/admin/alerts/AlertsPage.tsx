// The Alerts section of /admin: firing alerts (live), recent transitions, channels, rules and
// silences.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Ago, ConnectionNotice, Header, LiveBadge } from '../../shared/components.tsx';
import { GraphQLRequestError } from '../../shared/graphql.ts';
import { fetchServerNames, type Alert, type AlertEvent, type ServerChoice } from './api.ts';
import { ChannelsCard } from './ChannelsCard.tsx';
import { RulesCard } from './RulesCard.tsx';
import { SilencesCard } from './SilencesCard.tsx';
import { useAlerts } from './useAlerts.ts';

export interface AlertsPageProps {
  token: string;
  onAuthFailure(error: GraphQLRequestError): void;
  onSignOut(): void;
}

export function AlertsPage({ token, onAuthFailure, onSignOut }: AlertsPageProps) {
  const state = useAlerts(token, onAuthFailure);
  const names = useServerNames(token, state.config ? [...state.config.rules.flatMap((rule) => rule.serverIds), ...state.config.silences.flatMap((silence) => silence.serverIds)] : []);
  const config = state.config;
  return (
    <>
      <Header title="Alerts">
        <LiveBadge status={state.live} />
        <a class="button button-quiet" href="#servers">
          Servers
        </a>
        <a class="button button-quiet" href="/">
          Status page
        </a>
        <button type="button" class="button button-quiet" onClick={onSignOut}>
          Sign out
        </button>
      </Header>
      <main id="main" class="page" tabIndex={-1}>
        <ConnectionNotice status={state.live} />
        {state.loadError ? (
          <p class="notice notice-error" role="alert">
            Could not load the alerts: {state.loadError.message}
          </p>
        ) : null}
        <FiringCard alerts={state.alerts} />
        <RecentEvents events={state.events} />
        {config ? (
          <>
            <ChannelsCard token={token} channels={config.channels} onAuthFailure={onAuthFailure} onChange={(channels) => state.update((current) => ({ ...current, channels }))} />
            <RulesCard
              token={token}
              rules={config.rules}
              channels={config.channels}
              serverNames={names.map}
              onAuthFailure={onAuthFailure}
              onServersPicked={names.add}
              onChange={(rules) => state.update((current) => ({ ...current, rules }))}
            />
            <SilencesCard
              token={token}
              silences={config.silences}
              serverNames={names.map}
              onAuthFailure={onAuthFailure}
              onServersPicked={names.add}
              onChange={(silences) => state.update((current) => ({ ...current, silences }))}
            />
          </>
        ) : state.loadError ? null : (
          <p class="loading" role="status">
            Loading alert settings…
          </p>
        )}
      </main>
    </>
  );
}

/** Identifiers for the server ids that scopes mention, fetched once per unknown id. */
function useServerNames(token: string, ids: string[]) {
  const [map, setMap] = useState(() => new Map<string, string>());
  const missing = useMemo(() => [...new Set(ids)].filter((id) => !map.has(id)), [ids.join(','), map]);
  useEffect(() => {
    if (missing.length === 0) return;
    let current = true;
    fetchServerNames(token, missing)
      .then((servers) => current && setMap((old) => new Map([...old, ...servers.map((server) => [server.id, server.identifier] as const)])))
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [token, missing.join(',')]);
  const add = (servers: ServerChoice[]) => setMap((old) => new Map([...old, ...servers.map((server) => [server.id, server.identifier] as const)]));
  return { map, add };
}

function FiringCard({ alerts }: { alerts: Alert[] | null }) {
  const firing = alerts?.filter((alert) => alert.state === 'FIRING') ?? [];
  const pending = alerts?.filter((alert) => alert.state === 'PENDING') ?? [];
  return (
    <section class="card alerts-card" aria-labelledby="firing-title">
      <div class="card-head">
        <h2 id="firing-title">Firing alerts</h2>
        <span class="muted small" aria-live="polite" data-testid="firing-count">
          {alerts ? `${firing.length} firing, ${pending.length} pending` : 'Loading…'}
        </span>
      </div>
      {alerts && alerts.length === 0 ? <p class="empty">All quiet: no alert is firing.</p> : null}
      {alerts && alerts.length > 0 ? (
        <div class="table-wrap">
          <table class="servers alert-table" aria-label="Current alerts">
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Server</th>
                <th scope="col">Rule</th>
                <th scope="col">Since</th>
                <th scope="col" class="num">
                  Value
                </th>
                <th scope="col">Notified</th>
              </tr>
            </thead>
            <tbody>
              {[...firing, ...pending].map((alert) => (
                <tr key={alert.id} data-alert-server={alert.serverIdentifier} data-state={alert.state}>
                  <td>
                    <span class={`pill ${alert.state === 'FIRING' ? 'pill-offline' : 'pill-late'}`}>
                      <span class="pill-dot" aria-hidden="true" />
                      {alert.state === 'FIRING' ? 'Firing' : 'Pending'}
                    </span>
                  </td>
                  <td class="server-cell">
                    <span class="server-name">{alert.serverName}</span>
                    {alert.serverName !== alert.serverIdentifier ? <span class="server-id">{alert.serverIdentifier}</span> : null}
                  </td>
                  <td>
                    {alert.ruleName} <span class="muted small">{alert.ruleKind}</span>
                  </td>
                  <td>
                    <Ago iso={alert.since} />
                  </td>
                  <td class="num">{alert.value == null ? '—' : Number(alert.value.toFixed(2))}</td>
                  <td>{alert.state !== 'FIRING' ? <span class="muted">—</span> : alert.notified ? 'yes' : <span class="muted">held by a silence</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

const EVENT_LABEL: Record<AlertEvent['type'], string> = {
  PENDING: 'pending',
  FIRING: 'firing',
  RESOLVED: 'resolved',
  REMINDER: 'still firing',
  CANCELLED: 'cleared before firing',
};

function RecentEvents({ events }: { events: AlertEvent[] }) {
  return (
    <section class="card activity" aria-labelledby="alert-events-title">
      <h2 id="alert-events-title">Recent alert events</h2>
      {events.length === 0 ? (
        <p class="muted small">Alert transitions appear here as they happen.</p>
      ) : (
        <ol class="events">
          {events.map((event) => (
            <li key={event.id} class={`event alert-event-${event.type.toLowerCase()}`}>
              <span>
                <strong>{event.serverIdentifier}</strong> {event.ruleName}: {EVENT_LABEL[event.type] ?? event.type}
                {event.silenced ? <span class="muted"> (silenced)</span> : null}
                {event.message ? <span class="muted small"> — {event.message}</span> : null}
              </span>
              <Ago iso={event.at} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
