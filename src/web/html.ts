// The two HTML shells and their security headers. The pages are client-rendered: the HTML only
// names its hashed assets, so it is tiny, never cached stale (no-cache + ETag) and holds no
// inline script, which lets the CSP forbid inline scripts outright.

export interface PageAssets {
  title: string;
  script: string;
  preloads: string[];
  stylesheet: string;
  favicon: string;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

export function renderPage({ title, script, preloads, stylesheet, favicon }: PageAssets): string {
  const preloadLinks = preloads.map((href) => `<link rel="modulepreload" href="${escapeHtml(href)}">`).join('');
  return (
    '<!doctype html>' +
    '<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="color-scheme" content="light">' +
    `<title>${escapeHtml(title)}</title>` +
    `<link rel="icon" type="image/svg+xml" href="${escapeHtml(favicon)}">` +
    `<link rel="stylesheet" href="${escapeHtml(stylesheet)}">` +
    preloadLinks +
    `<script type="module" src="${escapeHtml(script)}"></script>` +
    '</head><body>' +
    '<div id="app"><p class="loading">Loading…</p></div>' +
    '<noscript><p class="notice notice-warn">This page needs JavaScript. The same data is available as JSON at ' +
    '<a href="/monitor/public/overview">/monitor/public/overview</a> and through GraphQL at /graphql.</p></noscript>' +
    '</body></html>'
  );
}

/** Only hostname characters: the Host header is client-controlled and ends up in a header. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The page's Content-Security-Policy. `connect-src 'self'` covers fetch and SSE; WebSockets to
 * the same host are listed explicitly because older browsers (CSP level 2) do not treat ws:/wss:
 * as 'self'. Styles set through CSSOM (bar widths) are not affected by style-src.
 */
export function contentSecurityPolicy(host: string): string {
  const sockets = SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const HTML_SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** A harbour crane, in the accent colour; served as a hashed asset so it caches forever. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#1f4fd1" stroke-width="2.2" ' +
  'stroke-linejoin="round" stroke-linecap="round"><path d="M3 17h18l-2 4H5zM12 3v11M12 3l6 8h-6M12 6l-5 6h5"/></svg>';
