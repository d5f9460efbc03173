// How the pages are served: bundle size per page, cache headers, CSP, compression, ETags. Runs
// against the handler directly (what the server mounts), no browser needed.
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWebHandler, type WebHandler } from '../../src/web/assets.ts';
import { contentSecurityPolicy } from '../../src/web/html.ts';

const ORIGIN = 'http://127.0.0.1:4000';
const BUDGET_GZIP_BYTES = 150 * 1024;
let handle: WebHandler;

async function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  const response = await handle(new Request(ORIGIN + path, { method, headers }));
  if (!response) throw new Error(`no response for ${path}`);
  return response;
}

/** Every script a first load of `page` fetches: the entry, its modulepreloads, and their static imports. */
async function scriptsOf(page: string): Promise<string[]> {
  const html = await (await get(page)).text();
  const found = new Set<string>();
  for (const match of html.matchAll(/<script[^>]*\ssrc="([^"]+)"|<link rel="modulepreload" href="([^"]+)"/g)) found.add(match[1] ?? match[2]);
  const queue = [...found];
  while (queue.length) {
    const url = queue.pop()!;
    const source = await (await get(url)).text();
    // Minified static imports look like `from"./chunk-X.js"` or `import"./chunk-X.js"`.
    for (const match of source.matchAll(/(?:from|import)\s*"(\.\/[^"]+\.js)"/g)) {
      const next = new URL(match[1], ORIGIN + url).pathname;
      if (!found.has(next)) {
        found.add(next);
        queue.push(next);
      }
    }
  }
  return [...found];
}

beforeAll(async () => {
  handle = await createWebHandler();
});

describe('built-in web pages', () => {
  it.each(['/', '/admin'])('serves %s as HTML with no-cache, an ETag, a CSP and no inline script', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('etag')).toMatch(/^W\/".+"$/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:4000 wss://127.0.0.1:4000");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await response.text();
    // Every <script> must have a src: inline code would be blocked by the CSP anyway.
    expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
    expect(html).toMatch(/<script type="module" src="\/assets\/(status|admin)-[A-Z0-9]+\.js">/);
  });

  it('answers a matching If-None-Match with 304', async () => {
    const first = await get('/admin');
    const etag = first.headers.get('etag')!;
    const second = await get('/admin', { 'if-none-match': etag });
    expect(second.status).toBe(304);
    expect(second.headers.get('etag')).toBe(etag);
    expect(await second.text()).toBe('');
  });

  it('serves hashed assets as immutable, compressed when the client accepts it', async () => {
    const [script] = await scriptsOf('/');
    const plain = await get(script);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('content-encoding')).toBeNull();
    const source = await plain.text();

    const gzipped = await get(script, { 'accept-encoding': 'gzip, deflate' });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('vary')).toBe('accept-encoding');
    expect(gunzipSync(Buffer.from(await gzipped.arrayBuffer())).toString()).toBe(source);

    const brotli = await get(script, { 'accept-encoding': 'gzip, br' });
    expect(brotli.headers.get('content-encoding')).toBe('br');
    expect(await get(script, { 'accept-encoding': 'br;q=0, gzip' }).then((r) => r.headers.get('content-encoding'))).toBe('gzip');

    const head = await get(script, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(Buffer.byteLength(source));
  });

  it.each(['/', '/admin'])('keeps the JavaScript of %s under 150 KB gzip', async (page) => {
    const scripts = await scriptsOf(page);
    expect(scripts.length).toBeGreaterThanOrEqual(1);
    let raw = 0;
    let gzip = 0;
    for (const url of scripts) {
      raw += (await (await get(url)).arrayBuffer()).byteLength;
      gzip += (await (await get(url, { 'accept-encoding': 'gzip' })).arrayBuffer()).byteLength;
    }
    console.info(`${page}: ${scripts.length} scripts, ${(raw / 1024).toFixed(1)} KB raw, ${(gzip / 1024).toFixed(1)} KB gzip`);
    expect(gzip).toBeLessThan(BUDGET_GZIP_BYTES);
  });

  it('leaves every other path to the server', async () => {
    for (const path of ['/graphql', '/nope', '/assets/nope.js', '/admin/x']) {
      expect(await handle(new Request(ORIGIN + path))).toBeNull();
    }
    expect(await handle(new Request(ORIGIN + '/', { method: 'POST', body: '{}' }))).toBeNull();
  });

  it('puts only a well-formed host into the CSP', () => {
    expect(contentSecurityPolicy('[::1]:4000')).toContain("connect-src 'self' ws://[::1]:4000 wss://[::1]:4000;");
    // A hostile Host header must not be able to add directives.
    const hostile = contentSecurityPolicy("evil; script-src 'unsafe-inline'");
    expect(hostile).toContain("connect-src 'self';");
    expect(hostile).not.toContain('unsafe-inline');
  });
});
