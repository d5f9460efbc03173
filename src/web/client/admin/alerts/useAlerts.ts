// The Alerts section's data: channels, rules and silences (loaded once, updated by our own
// mutations), current incidents and recent transitions kept live by `alertEvents`. Each event
// triggers one reload of the incident list (coalesced), never a reload per row.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { GraphQLRequestError } from '../../shared/graphql.ts';
import { LiveConnection, type LiveStatus } from '../../shared/live.ts';
import {
  ALERT_EVENTS_SUBSCRIPTION,
  fetchAlertConfig,
  fetchAlerts,
  fetchRecentAlertEvents,
  type Alert,
  type AlertEvent,
  type AlertsData,
} from './api.ts';

const RECENT_EVENTS = 20;
/** Events arriving together (a storm) cause one reload. */
const RELOAD_DELAY_MS = 250;
/** Channel health changes when the outbox sends, a moment after the transition. */
const HEALTH_RELOAD_DELAY_MS = 3000;

export interface AlertsState {
  config: AlertsData | null;
  alerts: Alert[] | null;
  events: AlertEvent[];
  live: LiveStatus;
  loadError: GraphQLRequestError | null;
  update(change: (config: AlertsData) => AlertsData): void;
  reloadConfig(): void;
}

export function useAlerts(token: string, onAuthFailure: (error: GraphQLRequestError) => void): AlertsState {
  const [config, setConfig] = useState<AlertsData | null>(null);
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [events, setEvents] = useState<AlertEvent[]>([]);
  const [live, setLive] = useState<LiveStatus>({ state: 'connecting', transport: 'websocket' });
  const [loadError, setLoadError] = useState<GraphQLRequestError | null>(null);
  const timers = useRef<{ alerts?: ReturnType<typeof setTimeout>; config?: ReturnType<typeof setTimeout> }>({});

  const fail = useCallback(
    (error: unknown) => {
      const failure = error as GraphQLRequestError;
      if (failure.isAuthFailure) onAuthFailure(failure);
      else setLoadError(failure);
    },
    [onAuthFailure],
  );

  const loadConfig = useCallback(() => fetchAlertConfig(token).then(setConfig, fail), [token, fail]);
  const loadAlerts = useCallback(() => fetchAlerts(token).then(setAlerts, fail), [token, fail]);
  const loadAll = useCallback(() => {
    void loadConfig();
    void loadAlerts();
    fetchRecentAlertEvents(token).then(setEvents, fail);
  }, [token, loadConfig, loadAlerts, fail]);

  const later = useCallback((which: 'alerts' | 'config', delay: number, work: () => unknown) => {
    timers.current[which] ??= setTimeout(() => {
      timers.current[which] = undefined;
      work();
    }, delay);
  }, []);

  useEffect(() => {
    loadAll();
    const connection = new LiveConnection({ token: () => token, onStatus: setLive, onResync: loadAll });
    connection.subscribe<{ alertEvents: AlertEvent }>({
      query: ALERT_EVENTS_SUBSCRIPTION,
      next: ({ alertEvents: event }) => {
        setEvents((current) => [event, ...current.filter((item) => item.id !== event.id)].slice(0, RECENT_EVENTS));
        later('alerts', RELOAD_DELAY_MS, loadAlerts);
        later('config', HEALTH_RELOAD_DELAY_MS, loadConfig);
      },
      error: fail,
    });
    const pending = timers.current;
    return () => {
      connection.dispose();
      clearTimeout(pending.alerts);
      clearTimeout(pending.config);
    };
  }, [token, loadAll, loadAlerts, loadConfig, later, fail]);

  const update = useCallback((change: (config: AlertsData) => AlertsData) => setConfig((current) => (current ? change(current) : current)), []);
  return { config, alerts, events, live, loadError, update, reloadConfig: () => void loadConfig() };
}
