// One shared one-second timer for every "12 s ago" on the page. A timer per cell would mean
// hundreds of intervals on a large fleet; one timer re-rendering only the subscribed cells is
// cheap (Preact batches the state updates into a single render).
import { useEffect, useState } from 'preact/hooks';
import { serverNow } from './clock.ts';

const listeners = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  const now = serverNow();
  for (const listener of listeners) listener(now);
}

/** The server-clock time, updated every second while the component is mounted. */
export function useServerNow(): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    listeners.add(setNow);
    if (!timer) timer = setInterval(tick, 1_000);
    return () => {
      listeners.delete(setNow);
      if (listeners.size === 0) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  }, []);
  return now;
}
