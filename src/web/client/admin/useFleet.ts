// The admin's view of the fleet: one block of the server list around the scroll position (see
// useFleetWindow), kept live by `fleetChanges` for those rows, plus `fleetEvents` for what
// fleetChanges does not carry (keys generated or revoked, settings changed) and for the activity
// list. After a lost connection the block is refetched, since events may have been missed.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { observeServerTime } from '../shared/clock.ts';
import type { WindowQuery } from '../shared/fleet-window.ts';
import { GraphQLRequestError } from '../shared/graphql.ts';
import { LiveConnection, type LiveStatus } from '../shared/live.ts';
import { useFleetWindow, type LiveWindow } from '../shared/useFleetWindow.ts';
import { adminListSource, fetchServer, FLEET_EVENTS_SUBSCRIPTION, type FleetEvent, type Server } from './api.ts';

const RECENT_EVENTS = 20;

export interface Fleet {
  list: LiveWindow<Server>;
  live: LiveStatus;
  events: FleetEvent[];
}

export function useFleet(token: string, onAuthFailure: (error: GraphQLRequestError) => void, query: WindowQuery): Fleet {
  const [live, setLive] = useState<LiveStatus>({ state: 'connecting', transport: 'websocket' });
  const [events, setEvents] = useState<FleetEvent[]>([]);
  const [connection, setConnection] = useState<LiveConnection | null>(null);
  const source = useMemo(() => adminListSource(token, observeServerTime), [token]);
  const list = useFleetWindow(source, query, connection);
  const { refresh, patch } = list;

  useEffect(() => {
    if (list.error?.isAuthFailure) onAuthFailure(list.error);
  }, [list.error, onAuthFailure]);

  const reload = useCallback(
    async (id: string) => {
      try {
        const server = await fetchServer(token, id);
        if (server) patch(server);
      } catch (error) {
        if ((error as GraphQLRequestError).isAuthFailure) onAuthFailure(error as GraphQLRequestError);
      }
    },
    [token, patch, onAuthFailure],
  );

  useEffect(() => {
    const connection = new LiveConnection({ token: () => token, onStatus: setLive, onResync: refresh });
    setConnection(connection);
    connection.subscribe<{ fleetEvents: FleetEvent }>({
      query: FLEET_EVENTS_SUBSCRIPTION,
      next: ({ fleetEvents: event }) => {
        setEvents((current) => [event, ...current].slice(0, RECENT_EVENTS));
        switch (event.type) {
          case 'SERVER_ADDED':
          case 'SERVER_DELETED':
            refresh(); // the list may have shifted around the block
            break;
          case 'STATUS_CHANGED':
          case 'REBOOTED':
            break; // fleetChanges carries these
          default:
            void reload(event.serverId); // key or settings changed: fields fleetChanges does not carry
        }
      },
      error: (error) => (error.isAuthFailure ? onAuthFailure(error) : undefined),
    });
    return () => {
      connection.dispose();
      setConnection(null);
    };
  }, [token, refresh, reload, onAuthFailure]);

  return { list, live, events };
}
