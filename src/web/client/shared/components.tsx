// Small presentational pieces shared by the status view and the admin page.
import type { ComponentChildren } from 'preact';
import { secondsSince } from './clock.ts';
import { formatAgo, formatPct, formatTimestamp, STATUS_LABEL, usageLevel, type ServerStatus } from './format.ts';
import type { LiveStatus } from './live.ts';
import { useServerNow } from './ticker.ts';
import { formatUptimeRatio, uptimeClass } from './uptime-cache.ts';

/** Status as a coloured pill that always carries its name: colour alone fails colour-blind users. */
export function StatusPill({ status }: { status: ServerStatus }) {
  return (
    <span class={`pill pill-${status.toLowerCase()}`} data-status={status}>
      <span class="pill-dot" aria-hidden="true" />
      {STATUS_LABEL[status] ?? status}
    </span>
  );
}

/** "12 s ago", ticking every second; the exact time is in the tooltip and the datetime attribute. */
export function Ago({ iso }: { iso: string | null | undefined }) {
  const now = useServerNow();
  if (!iso) return <span class="muted">never</span>;
  return (
    <time dateTime={iso} title={formatTimestamp(iso)} class="ago">
      {formatAgo(secondsSince(iso, now))}
    </time>
  );
}

/**
 * A usage bar with its number. The width is set through the style object, which Preact applies
 * via CSSOM: that is allowed by our CSP (style-src 'self'), unlike a style="" attribute.
 */
export function UsageBar({ value }: { value: number | null | undefined }) {
  const level = usageLevel(value);
  const width = value == null ? 0 : Math.min(100, Math.max(0, value));
  return (
    <span class={`usage usage-${level}`}>
      <span class="usage-track" aria-hidden="true">
        <span class="usage-fill" style={{ width: `${width}%` }} />
      </span>
      <span class="usage-value">{formatPct(value)}</span>
    </span>
  );
}

/** OpenClaw and plugin versions, stacked; a server that never reported shows a single dash. */
export function Versions({ openclaw, plugin }: { openclaw: string | null; plugin: string | null }) {
  if (!openclaw && !plugin) return <span class="muted">—</span>;
  return (
    <>
      <span title="OpenClaw version">OpenClaw {openclaw ?? '—'}</span>
      <span class="muted" title="harborforge-monitor plugin version">
        plugin {plugin ?? '—'}
      </span>
    </>
  );
}

const LIVE_TEXT: Record<LiveStatus['state'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Live updates stopped',
};

/** The small indicator in the header; polite live region so screen readers hear changes. */
export function LiveBadge({ status }: { status: LiveStatus }) {
  const via = status.transport === 'sse' ? ' (SSE)' : '';
  return (
    <span class={`live live-${status.state}`} role="status" aria-live="polite" data-live-state={status.state}>
      <span class="live-dot" aria-hidden="true" />
      {LIVE_TEXT[status.state]}
      {status.state === 'live' && via ? <span class="muted">{via}</span> : null}
    </span>
  );
}

/** A full-width notice when the live connection is lost, so stale numbers are not mistaken for fresh ones. */
export function ConnectionNotice({ status, lastUpdate }: { status: LiveStatus; lastUpdate?: string | null }) {
  if (status.state === 'live' || status.state === 'connecting') return null;
  const since = lastUpdate ? ` Showing data as of ${formatTimestamp(lastUpdate)}.` : '';
  if (status.state === 'failed') {
    return (
      <div class="notice notice-error" role="alert">
        Live updates stopped: {status.message ?? 'the server refused the connection.'} Reload the page to try again.
      </div>
    );
  }
  return (
    <div class="notice notice-warn" data-testid="connection-lost">
      Connection to the server lost. Reconnecting…{since}
    </div>
  );
}

export function Header({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="topbar">
      {/* First in tab order, visible only when focused: keyboard users skip the header links. */}
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <div class="brand">
        <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M3 17h18l-2 4H5zM12 3v11M12 3l6 8h-6M12 6l-5 6h5" />
        </svg>
        <span class="brand-name">HarborForge Monitor</span>
        <span class="brand-sep" aria-hidden="true">/</span>
        <h1>{title}</h1>
      </div>
      <div class="topbar-side">{children}</div>
    </header>
  );
}

/** The search box and "N servers" / "N of M servers" count that both pages show above their tables. */
export function ServerSearch({ search, onSearch, shown, total }: { search: string; onSearch(value: string): void; shown: number; total: number }) {
  return (
    <>
      <label class="search">
        <span class="search-label">Search</span>
        <input
          type="search"
          value={search}
          placeholder="Name or identifier"
          autocomplete="off"
          spellcheck={false}
          onInput={(event) => onSearch(event.currentTarget.value)}
        />
      </label>
      <span class="muted" aria-live="polite">
        {shown === total ? `${total} server${total === 1 ? '' : 's'}` : `${shown} of ${total} servers`}
      </span>
    </>
  );
}

/** The server's display name, with its identifier beneath when the two differ. */
/** The server's name links to its page (/server?id=…) when its id is known. */
export function ServerNameCell({ name, identifier, id }: { name: string; identifier: string; id?: string }) {
  return (
    <td class="server-cell">
      {id ? (
        <a class="server-name" href={`/server?id=${encodeURIComponent(id)}`}>
          {name}
        </a>
      ) : (
        <span class="server-name">{name}</span>
      )}
      {name !== identifier ? <span class="server-id">{identifier}</span> : null}
    </td>
  );
}

/** Long tables render this many rows at a time, so a large fleet does not stall the page. */
export const ROW_BATCH = 250;

/** "Show N more of M remaining", below a table cut at `limit` rows; nothing when all are shown. */
export function ShowMore({ total, limit, onMore }: { total: number; limit: number; onMore(nextLimit: number): void }) {
  if (total <= limit) return null;
  return (
    <p class="more">
      <button type="button" class="button" onClick={() => onMore(limit + ROW_BATCH)}>
        Show {Math.min(ROW_BATCH, total - limit)} more of {total - limit} remaining
      </button>
    </p>
  );
}

/** A row's 30-day uptime cell (status page, admin list): "…" until fetched, "—" when nothing counts yet. */
export function UptimeCell({ ratio }: { ratio: number | null | undefined }) {
  return (
    <td class={`num nowrap ${ratio === undefined ? 'muted' : uptimeClass(ratio)}`} data-uptime30d={ratio === undefined ? 'loading' : String(ratio)}>
      {ratio === undefined ? '…' : formatUptimeRatio(ratio)}
    </td>
  );
}
