// The admin's view of the fleet: loaded once, then kept current by `serverUpdated` (full server
// objects on every heartbeat or status change) and `fleetEvents` (additions, deletions, key
// changes). After a lost connection the list is reloaded, since events may have been missed.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { GraphQLRequestError } from '../shared/graphql.ts';
import { LiveConnection, type LiveStatus } from '../shared/live.ts';
import {
  fetchAllServers,
  fetchServer,
  FLEET_EVENTS_SUBSCRIPTION,
  SERVER_UPDATED_SUBSCRIPTION,
  type FleetEvent,
  type Server,
} from './api.ts';

const RECENT_EVENTS = 20;

export interface Fleet {
  servers: Map<string, Server> | null;
  loadError: GraphQLRequestError | null;
  live: LiveStatus;
  events: FleetEvent[];
  upsert(server: Server): void;
  remove(id: string): void;
}

export function useFleet(token: string, onAuthFailure: (error: GraphQLRequestError) => void): Fleet {
  const [servers, setServers] = useState<Map<string, Server> | null>(null);
  const [loadError, setLoadError] = useState<GraphQLRequestError | null>(null);
  const [live, setLive] = useState<LiveStatus>({ state: 'connecting', transport: 'websocket' });
  const [events, setEvents] = useState<FleetEvent[]>([]);
  // Ids deleted in this session: a late `serverUpdated` for them must not resurrect the row.
  const deleted = useRef(new Set<string>());

  // serverUpdated fires on every heartbeat of every server: hundreds per second on a large fleet.
  // Copying the map and re-rendering per event would swamp the page, so updates are collected
  // and applied once per animation frame (the latest version of each server wins).
  const queued = useRef(new Map<string, Server>());
  const frame = useRef<number | null>(null);
  const flush = useCallback(() => {
    frame.current = null;
    const batch = queued.current;
    queued.current = new Map();
    setServers((current) => {
      const next = new Map(current ?? []);
      for (const server of batch.values()) if (!deleted.current.has(server.id)) next.set(server.id, server);
      return next;
    });
  }, []);
  const upsert = useCallback(
    (server: Server) => {
      if (deleted.current.has(server.id)) return;
      queued.current.set(server.id, server);
      frame.current ??= requestAnimationFrame(flush);
    },
    [flush],
  );
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

  const remove = useCallback((id: string) => {
    deleted.current.add(id);
    queued.current.delete(id);
    setServers((current) => {
      if (!current?.has(id)) return current;
      const next = new Map(current);
      next.delete(id);
      return next;
    });
  }, []);

  const fail = useCallback(
    (error: GraphQLRequestError) => {
      if (error.isAuthFailure) onAuthFailure(error);
      else setLoadError(error);
    },
    [onAuthFailure],
  );

  const load = useCallback(async () => {
    try {
      const list = await fetchAllServers(token);
      setServers(new Map(list.filter((server) => !deleted.current.has(server.id)).map((server) => [server.id, server])));
      setLoadError(null);
    } catch (error) {
      fail(error as GraphQLRequestError);
    }
  }, [token, fail]);

  const refresh = useCallback(
    async (id: string) => {
      try {
        const server = await fetchServer(token, id);
        if (server) upsert(server);
        else remove(id);
      } catch (error) {
        if ((error as GraphQLRequestError).code === 'NOT_FOUND') remove(id);
        else fail(error as GraphQLRequestError);
      }
    },
    [token, upsert, remove, fail],
  );

  useEffect(() => {
    void load();
    const connection = new LiveConnection({ token: () => token, onStatus: setLive, onResync: () => void load() });
    connection.subscribe<{ serverUpdated: Server }>({
      query: SERVER_UPDATED_SUBSCRIPTION,
      next: (data) => upsert(data.serverUpdated),
      error: fail,
    });
    connection.subscribe<{ fleetEvents: FleetEvent }>({
      query: FLEET_EVENTS_SUBSCRIPTION,
      next: ({ fleetEvents: event }) => {
        setEvents((current) => [event, ...current].slice(0, RECENT_EVENTS));
        switch (event.type) {
          case 'SERVER_DELETED':
            remove(event.serverId);
            break;
          case 'STATUS_CHANGED':
          case 'REBOOTED':
            // serverUpdated carries the full server for these; nothing to fetch.
            break;
          default:
            // Added, updated, key generated or revoked: fetch the server's current facts.
            void refresh(event.serverId);
        }
      },
      error: fail,
    });
    return () => connection.dispose();
  }, [token, load, refresh, upsert, remove, fail]);

  return { servers, loadError, live, events, upsert, remove };
}
