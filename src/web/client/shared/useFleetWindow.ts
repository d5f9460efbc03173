// The live block of a fleet table: fetches the rows around the scroll position with one paged
// query, keeps them current with a `fleetChanges` subscription narrowed to their ids (so a page
// costs the server what it shows, not the fleet), and refetches the block when the list may have
// shifted under it. Memory stays bounded by the block size, whatever the fleet size.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  acceptPage,
  applyChanges,
  blockFor,
  covers,
  emptyWindow,
  patchRow,
  type FleetWindow,
  type WindowChanges,
  type WindowPage,
  type WindowQuery,
  type WindowRow,
} from './fleet-window.ts';
import type { GraphQLRequestError } from './graphql.ts';
import type { LiveConnection } from './live.ts';

/** Rows fetched beyond each edge of the view. */
const MARGIN = 60;
/** The largest block ever held (and the most ids a subscription watches). */
const MAX_BLOCK = 400;
/** A stale block is refetched after this pause, and at most this often, however fast the fleet changes. */
const REFETCH_MS = 750;
const RETRY_MS = 2_000;

export interface WindowSource<T> {
  fetchBlock(query: WindowQuery, offset: number, size: number): Promise<WindowPage<T>>;
  /** fleetChanges for these ids, resuming after `since`; returns the unsubscribe function. */
  subscribe(connection: LiveConnection, query: WindowQuery, ids: string[], since: string | null, next: (event: WindowChanges<T>) => void, error: (error: GraphQLRequestError) => void): () => void;
}

export interface LiveWindow<T> {
  window: FleetWindow<T>;
  /** The first answer has arrived (for this query). */
  loaded: boolean;
  error: GraphQLRequestError | null;
  onRange(first: number, last: number): void;
  /** Refetch now (after a change made on this page, or a reconnect). */
  refresh(): void;
  /** Show a row as a mutation returned it, where the block holds it. */
  patch(row: T): void;
}

export function useFleetWindow<T extends WindowRow>(source: WindowSource<T>, query: WindowQuery, connection: LiveConnection | null): LiveWindow<T> {
  const [held, setWindow] = useState<FleetWindow<T>>(emptyWindow);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<GraphQLRequestError | null>(null);
  const current = useRef(held);
  current.current = held;
  const range = useRef({ first: 0, last: 30 });
  const queryRef = useRef(query);
  const inflight = useRef(false);
  const again = useRef(false);
  const lastFetchAt = useRef(0);
  const retry = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(retry.current), []);

  const load = useCallback(async (): Promise<void> => {
    if (inflight.current) {
      again.current = true;
      return;
    }
    inflight.current = true;
    const asked = queryRef.current;
    let failure: GraphQLRequestError | null = null;
    try {
      const want = blockFor(range.current.first, range.current.last, MARGIN);
      lastFetchAt.current = Date.now();
      const page = await source.fetchBlock(asked, want.offset, Math.min(MAX_BLOCK, want.size));
      if (asked === queryRef.current) {
        current.current = acceptPage(current.current, page);
        setWindow(current.current);
        setLoaded(true);
        setError(null);
      }
    } catch (caught) {
      failure = caught as GraphQLRequestError;
      setError(failure);
    } finally {
      inflight.current = false;
    }
    // The view moved (or the filter changed) while the answer was on its way: follow it.
    const behind = again.current || asked !== queryRef.current || !covers(current.current, range.current.first, range.current.last);
    again.current = false;
    // A network failure or an overloaded server is retried; a refusal is not (the page says why).
    if (failure && !failure.isAuthFailure && failure.code !== 'BAD_USER_INPUT') retry.current = setTimeout(() => void load(), RETRY_MS);
    else if (!failure && behind) void load();
  }, [source]);

  // A new filter or order: start over from the top.
  useEffect(() => {
    queryRef.current = query;
    range.current = { first: 0, last: range.current.last - range.current.first };
    setLoaded(false);
    setWindow(emptyWindow());
    void load();
  }, [query, load]);

  const onRange = useCallback(
    (first: number, last: number) => {
      range.current = { first, last };
      if (!covers(current.current, first, last)) void load();
    },
    [load],
  );

  // Positions may have shifted (something entered or left the list): refetch, at a bounded rate.
  useEffect(() => {
    if (!held.stale) return;
    const wait = Math.max(REFETCH_MS - (Date.now() - lastFetchAt.current), 100);
    const timer = setTimeout(() => void load(), wait);
    return () => clearTimeout(timer);
  }, [held.stale, load]);

  // Follow the block's rows. The subscription is replaced only when the set of ids changes.
  const ids = held.rows.map((row) => row.id).join(' ');
  useEffect(() => {
    if (!connection || !loaded) return;
    return source.subscribe(
      connection,
      queryRef.current,
      ids ? ids.split(' ') : [],
      current.current.version,
      (event) => setWindow((held) => applyChanges(held, event, queryRef.current)),
      setError,
    );
  }, [connection, source, ids, loaded]);

  const refresh = useCallback(() => void load(), [load]);
  const patch = useCallback((row: T) => setWindow((block) => patchRow(block, row)), []);
  return { window: held, loaded, error, onRange, refresh, patch };
}
