// "Last seen 12 s ago" compares a server timestamp with "now". The browser's clock can be minutes
// off (laptops, VMs), which would show a healthy server as "3 min ago" or "in the future". We keep
// an estimate of (server clock - browser clock) and use it for every relative time on the page.
// Status itself is never derived here: it always comes from the server.

let offsetMs = 0;
let precise = false;

/** A server timestamp taken just before the response left (e.g. Overview.generatedAt). */
export function observeServerTime(iso: string | null | undefined): void {
  const at = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(at)) return;
  offsetMs = at - Date.now();
  precise = true;
}

/** The HTTP Date header has one-second resolution: only use it until we have something better. */
export function observeServerDate(httpDate: string | null | undefined): void {
  if (precise || !httpDate) return;
  const at = Date.parse(httpDate);
  // +500 ms: the header is truncated to the second, so the true time is on average half a second later.
  if (!Number.isNaN(at)) offsetMs = at + 500 - Date.now();
}

/** The current time on the server's clock, in epoch milliseconds. */
export function serverNow(): number {
  return Date.now() + offsetMs;
}

/** Whole seconds since `iso` on the server's clock; never negative (clock estimates jitter). */
export function secondsSince(iso: string | null | undefined, now = serverNow()): number | null {
  const at = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.floor((now - at) / 1000));
}
