// The 30-day uptime of the rows a fleet table holds, through `uptimes(serverIds, from, to)`:
// asked for once the block has settled (not on every scroll frame), refreshed every few minutes,
// one request at a time. What the public may see follows the overview's setting on the server.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { serverNow } from './clock.ts';
import { request } from './graphql.ts';
import { UPTIME_RANGE_MS, UptimeCache } from './uptime-cache.ts';

const UPTIMES_QUERY = `query RowUptimes($ids: [ID!]!, $from: DateTime!, $to: DateTime!) {
  uptimes(serverIds: $ids, from: $from, to: $to) { serverId ratio }
}`;
/** Scrolling settles before anything is asked. */
const SETTLE_MS = 300;
/** How often the held rows are checked for figures older than the cache's ttl. */
const CHECK_MS = 60_000;

/** `ratioOf(id)`: the row's 30-day uptime, null when none counts yet, undefined while loading. */
export function useUptimes(ids: readonly string[], token: string | null, enabled: boolean): (id: string) => number | null | undefined {
  const cache = useRef(new UptimeCache()).current;
  const [version, setVersion] = useState(0);
  const latest = useRef({ ids, token, enabled, busy: false, again: false, mounted: true });
  Object.assign(latest.current, { ids, token, enabled });
  const key = ids.join(' ');

  const load = useCallback(async (): Promise<void> => {
    const state = latest.current;
    if (!state.enabled || !state.mounted) return;
    if (state.busy) {
      state.again = true; // the rows changed while a batch was on its way: look again after it
      return;
    }
    state.busy = true;
    try {
      for (const batch of cache.due(state.ids, Date.now())) {
        const to = serverNow();
        const answer = await request<{ uptimes: { serverId: string; ratio: number | null }[] }>(
          UPTIMES_QUERY,
          { ids: batch, from: new Date(to - UPTIME_RANGE_MS).toISOString(), to: new Date(to).toISOString() },
          state.token,
        );
        cache.store(batch, answer.uptimes, Date.now());
        if (state.mounted) setVersion((v) => v + 1);
      }
    } catch {
      state.again = false; // the figures are an extra: the rows stay, the next check asks again
    } finally {
      state.busy = false;
    }
    if (state.again) {
      state.again = false;
      void load();
    }
  }, [cache]);

  useEffect(() => {
    const settle = setTimeout(() => void load(), SETTLE_MS);
    return () => clearTimeout(settle);
  }, [key, token, enabled, load]);

  useEffect(() => {
    const check = setInterval(() => void load(), CHECK_MS);
    return () => {
      clearInterval(check);
      latest.current.mounted = false;
    };
  }, [load]);

  return useMemo(() => (id: string) => cache.ratioOf(id), [version, cache]);
}
