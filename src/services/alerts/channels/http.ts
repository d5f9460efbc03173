// One HTTP request to a notification service, with a deadline, turned into a SendResult:
// 2xx ok; 4xx other than 408/429 permanent (retrying cannot help); everything else transient.
import type { SendResult } from '../types.ts';

const USER_AGENT = 'HarborForge-Monitor';
/** How much of an error response is kept in the error message (services explain themselves there). */
const ERROR_BODY_CHARS = 300;

export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < ERROR_BODY_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut off mid-way still leaves the status to report.
  } finally {
    reader.cancel().catch(() => {});
  }
  return text;
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  // Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is in the cause.
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
  return `request failed: ${reason}`;
}

export interface HttpSend {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Some services (Telegram, Discord) put the retry delay in a JSON body rather than a header. */
  retryAfterFromBody?: (body: string) => number | undefined;
}

/** POSTs and classifies. The URL never appears in an error: some services carry a token in it. */
export async function postAndClassify(request: HttpSend): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: { 'user-agent': USER_AGENT, ...request.headers },
      body: request.body,
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    return { ok: false, error: describeNetworkError(error, request.timeoutMs), permanent: false };
  }
  if (response.ok) {
    response.body?.cancel().catch(() => {});
    return { ok: true };
  }
  const snippet = await readSnippet(response);
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after')) ?? safeBodyRetry(request, snippet);
  const detail = snippet.trim().replace(/\s+/g, ' ').slice(0, ERROR_BODY_CHARS);
  return {
    ok: false,
    error: `HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
    permanent: isPermanentStatus(response.status),
    ...(retryAfterSeconds !== undefined && !isPermanentStatus(response.status) ? { retryAfterSeconds } : {}),
  };
}

function safeBodyRetry(request: HttpSend, body: string): number | undefined {
  try {
    return request.retryAfterFromBody?.(body);
  } catch {
    return undefined;
  }
}

export const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' } as const;

/** `base` + `path` with exactly one slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
