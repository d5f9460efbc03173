// The built-in web pages, bundled in memory when the server starts: `npm install && npm start`
// needs no separate build step and leaves no dist/ folder to go stale. esbuild turns the Preact
// sources into minified ES2020 modules in well under a second; every file is then compressed
// once (brotli and gzip) and served from memory with content-hashed URLs.
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { PROJECT_ROOT } from '../paths.ts';
import { contentSecurityPolicy, FAVICON_SVG, HTML_SECURITY_HEADERS, renderPage } from './html.ts';

export type WebHandler = (request: Request) => Promise<Response | null> | Response | null;

interface StoredFile {
  body: Uint8Array;
  gzip?: Uint8Array;
  br?: Uint8Array;
  type: string;
  etag: string;
  cacheControl: string;
  html: boolean;
}

export interface WebAssets {
  /** URL path → file, for the pages ('/', '/admin') and every '/assets/…' file. */
  files: Map<string, StoredFile>;
  /** For each page, the JavaScript URLs a first load fetches (entry plus static chunks). */
  pageScripts: Record<keyof typeof PAGES, string[]>;
}

const CLIENT_DIR = join(PROJECT_ROOT, 'src', 'web', 'client');
const OUT_DIR = join(CLIENT_DIR, '__bundle__'); // virtual: write:false never touches the disk
const IMMUTABLE = 'public, max-age=31536000, immutable';
const ENTRIES = { status: 'status/main.tsx', admin: 'admin/main.tsx', server: 'server/main.tsx', styles: 'styles.css' } as const;
const PAGES = {
  status: { title: 'Fleet status · HarborForge Monitor', paths: ['/', '/index.html'] },
  admin: { title: 'Admin · HarborForge Monitor', paths: ['/admin', '/admin/'] },
  server: { title: 'Server · HarborForge Monitor', paths: ['/server', '/server/'] },
} as const;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

function digest(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url').slice(0, 16);
}

/** Compresses once at startup; tiny files or ones that would not shrink stay uncompressed. */
function store(body: Uint8Array, type: string, cacheControl: string, html = false): StoredFile {
  const file: StoredFile = { body, type, etag: `W/"${digest(body)}"`, cacheControl, html };
  if (body.byteLength >= 512) {
    const gzip = gzipSync(body, { level: 9 });
    const br = brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.byteLength } });
    if (gzip.byteLength < body.byteLength) file.gzip = gzip;
    if (br.byteLength < body.byteLength) file.br = br;
  }
  return file;
}

async function loadEsbuild(): Promise<typeof import('esbuild')> {
  try {
    return await import('esbuild');
  } catch (error) {
    throw new Error(
      'The built-in web page needs the "esbuild" package at runtime to bundle itself; install it ' +
        '(npm install) or start the server without the web page.',
      { cause: error },
    );
  }
}

/** Bundles both pages and returns every file they need, ready to serve. */
export async function buildWebAssets(): Promise<WebAssets> {
  const esbuild = await loadEsbuild();
  const result = await esbuild.build({
    absWorkingDir: CLIENT_DIR,
    entryPoints: ENTRIES,
    outdir: OUT_DIR,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true, // Preact and graphql-ws land in one shared chunk, cached across both pages
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    write: false,
    metafile: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    charset: 'utf8',
    logLevel: 'silent',
  });

  const files = new Map<string, StoredFile>();
  const urlOf = (absolutePath: string) => `/assets/${relative(OUT_DIR, absolutePath).split(sep).join('/')}`;
  for (const output of result.outputFiles) {
    const extension = output.path.slice(output.path.lastIndexOf('.'));
    files.set(urlOf(output.path), store(output.contents, TYPES[extension] ?? 'application/octet-stream', IMMUTABLE));
  }

  // The metafile is keyed by paths relative to absWorkingDir; map entries to their outputs.
  const outputs = result.metafile.outputs;
  const outputFor = (entry: string) => {
    const key = Object.keys(outputs).find((path) => outputs[path].entryPoint === entry);
    if (!key) throw new Error(`esbuild produced no output for ${entry}`);
    return key;
  };
  const urlOfKey = (key: string) => urlOf(join(CLIENT_DIR, key));
  /** The entry plus every chunk it imports statically, transitively: exactly what a first load fetches. */
  const staticGraph = (key: string, seen = new Set<string>()): string[] => {
    if (seen.has(key)) return [];
    seen.add(key);
    const nested = outputs[key].imports.filter((dep) => dep.kind === 'import-statement').flatMap((dep) => staticGraph(dep.path, seen));
    return [key, ...nested];
  };

  const faviconBody = new TextEncoder().encode(FAVICON_SVG);
  const favicon = `/assets/favicon-${digest(faviconBody).slice(0, 8)}.svg`;
  files.set(favicon, store(faviconBody, TYPES['.svg'], IMMUTABLE));
  const stylesheet = urlOfKey(outputFor(ENTRIES.styles));

  const pageScripts = {} as WebAssets['pageScripts'];
  for (const page of ['status', 'admin', 'server'] as const) {
    const [entry, ...chunks] = staticGraph(outputFor(ENTRIES[page])).map(urlOfKey);
    pageScripts[page] = [entry, ...chunks];
    const html = renderPage({ title: PAGES[page].title, script: entry, preloads: chunks, stylesheet, favicon });
    const file = store(new TextEncoder().encode(html), TYPES['.html'], 'no-cache', true);
    for (const path of PAGES[page].paths) files.set(path, file);
  }
  return { files, pageScripts };
}

/** Picks the smallest encoding the client accepts (a q=0 entry means "not acceptable"). */
function negotiate(file: StoredFile, acceptEncoding: string | null): 'br' | 'gzip' | null {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .filter((part) => part && !/;\s*q=0(\.0*)?$/.test(part))
      .map((part) => part.split(';')[0].trim()),
  );
  if (file.br && accepted.has('br')) return 'br';
  if (file.gzip && (accepted.has('gzip') || accepted.has('*'))) return 'gzip';
  return null;
}

function respond(file: StoredFile, request: Request): Response {
  const headers = new Headers({
    'content-type': file.type,
    'cache-control': file.cacheControl,
    etag: file.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  });
  if (file.html) {
    headers.set('content-security-policy', contentSecurityPolicy(new URL(request.url).host));
    for (const [name, value] of Object.entries(HTML_SECURITY_HEADERS)) headers.set(name, value);
  }
  // Weak comparison: the ETag names the content, whichever encoding carried it.
  const ifNoneMatch = request.headers.get('if-none-match');
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag.replace(/^W\//, ''))) {
    headers.delete('content-type');
    return new Response(null, { status: 304, headers });
  }
  const encoding = negotiate(file, request.headers.get('accept-encoding'));
  const body = encoding === 'br' ? file.br! : encoding === 'gzip' ? file.gzip! : file.body;
  if (encoding) headers.set('content-encoding', encoding);
  headers.set('content-length', String(body.byteLength));
  // (The cast only narrows ArrayBufferLike: these buffers are never SharedArrayBuffers.)
  return new Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers });
}

/**
 * Builds the pages once and returns the request handler the server calls for every path it does
 * not own. Returns null for anything that is not a page or one of our assets (the server 404s).
 */
export async function createWebHandler(): Promise<WebHandler> {
  const { files } = await buildWebAssets();
  return (request: Request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return null;
    const file = files.get(new URL(request.url).pathname);
    return file ? respond(file, request) : null;
  };
}
