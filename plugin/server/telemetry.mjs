#!/usr/bin/env node
// HarborForge Monitor telemetry sidecar.
//
// Posts this host's health to a HarborForge Monitor backend every HARBORFORGE_INTERVAL_SEC
// seconds (POST <url>/monitor/server/heartbeat-v2 with X-API-Key). It runs two ways:
//   - started by the harborforge-monitor OpenClaw plugin when the gateway starts, which passes
//     its settings (and the OpenClaw version and agents) in the environment and stops it when the
//     gateway stops;
//   - standalone on servers without OpenClaw (`node server/telemetry.mjs`, e.g. under systemd).
//
// Zero dependencies and plain ESM so that it runs on any Node >= 20.3 without an install step.
// The functions below are exported for tests; the loop only starts when this file is the main
// module.

import { readFileSync, realpathSync } from 'node:fs';
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const HEARTBEAT_PATH = '/monitor/server/heartbeat-v2';
export const DEFAULT_INTERVAL_SEC = 30;
// 1 s is the floor so that tests can run quickly; the plugin's config schema asks for >= 5 s.
// Anything lower (0, negative, garbage) would turn the loop into a flood against the backend.
export const MIN_INTERVAL_SEC = 1;
export const MAX_INTERVAL_SEC = 3600;
/** The exit code for "misconfigured" (sysexits EX_CONFIG): systemd units can refuse to restart on it. */
export const EXIT_CONFIG = 78;

// The backend's limits (src/services/heartbeat-schema.ts): stay inside them so that a host with a
// huge agent list still reports its metrics instead of getting a 400/413 on every beat.
const MAX_AGENTS = 500;
const MAX_TEXT = 200; // identifiers and agent ids/names
const MAX_VERSION_TEXT = 100;
const MAX_BODY_BYTES = 60 * 1024; // below the backend's 64 KiB, leaving room for headers' sake

const REQUEST_TIMEOUT_MS = 10_000;
const FIRST_BEAT_DELAY_MS = 1_000; // lets the first heartbeat carry a CPU reading
const REPEAT_FAILURE_LOG_MS = 10 * 60_000; // a persisting failure is repeated at most this often
const PARENT_POLL_MS = 1_000;

/**
 * @typedef {object} Settings
 * @property {string} heartbeatUrl full URL of the heartbeat endpoint
 * @property {string} apiKey
 * @property {string} identifier
 * @property {number} intervalSec
 * @property {string} diskPath
 * @property {string | null} openclawVersion
 * @property {Array<string | { id: string, name: string }> | null} agents
 * @property {number | null} parentPid
 *
 * @typedef {object} Metrics
 * @property {number | null} [cpu_pct]
 * @property {number | null} [mem_pct]
 * @property {number | null} [disk_pct]
 * @property {number | null} [swap_pct]
 * @property {number[] | null} [load_avg]
 * @property {number | null} [uptime_seconds]
 *
 * @typedef {{ idle: number, total: number }} CpuTimes
 * @typedef {'ok' | 'unauthorized' | 'conflict' | 'rejected' | 'server' | 'network' | 'aborted'} OutcomeKind
 * @typedef {{ kind: OutcomeKind, status?: number, message?: string, retryAfterMs?: number }} Outcome
 * @typedef {(level: 'debug' | 'info' | 'warn' | 'error', text: string) => void} LogFn
 */

/** The plugin's own version, from the package.json next to server/ (null if unreadable). */
export const PLUGIN_VERSION = readPluginVersion();

function readPluginVersion() {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Settings

/**
 * Reads the sidecar's settings from environment variables (the same names in standalone mode and
 * when the plugin starts it). Returns { settings, errors, warnings }: errors make the sidecar
 * refuse to start; warnings are logged once.
 *
 * @param {Record<string, string | undefined>} [env]
 * @returns {{ settings: Settings, errors: string[], warnings: string[] }}
 */
export function readSettings(env = process.env) {
  /** @type {string[]} */
  const errors = [];
  /** @type {string[]} */
  const warnings = [];

  const rawUrl = (env.HARBORFORGE_URL ?? '').trim();
  let heartbeatUrl = null;
  if (!rawUrl) {
    errors.push('HARBORFORGE_URL is not set (the Monitor backend base URL, e.g. https://monitor.example.com)');
  } else {
    try {
      heartbeatUrl = heartbeatUrlFor(rawUrl);
    } catch (error) {
      errors.push(`HARBORFORGE_URL is not a usable http(s) URL: ${error.message}`);
    }
  }

  let apiKey = (env.HARBORFORGE_API_KEY ?? '').trim();
  const keyFile = (env.HARBORFORGE_API_KEY_FILE ?? '').trim();
  if (!apiKey && keyFile) {
    // For systemd's LoadCredential= and secret files that should not sit in a unit's environment.
    try {
      apiKey = readFileSync(keyFile, 'utf8').trim();
    } catch (error) {
      errors.push(`HARBORFORGE_API_KEY_FILE cannot be read (${error.code ?? error.message})`);
    }
  }
  if (!apiKey && !errors.some((e) => e.startsWith('HARBORFORGE_API_KEY_FILE'))) {
    errors.push('HARBORFORGE_API_KEY is not set (the API key generated for this server in Monitor)');
  }

  const identifier = (env.HARBORFORGE_IDENTIFIER ?? '').trim() || os.hostname();
  if (identifier.length > MAX_TEXT) errors.push(`HARBORFORGE_IDENTIFIER is longer than ${MAX_TEXT} characters`);

  const intervalSec = parseIntervalSec(env.HARBORFORGE_INTERVAL_SEC, warnings);
  const diskPath = (env.HARBORFORGE_DISK_PATH ?? '').trim() || '/';
  const openclawVersion = truncate((env.HARBORFORGE_OPENCLAW_VERSION ?? '').trim(), MAX_VERSION_TEXT) || null;

  let agents = null; // null = not known (standalone): the backend keeps "no agents reported"
  if (env.HARBORFORGE_AGENTS != null && env.HARBORFORGE_AGENTS.trim() !== '') {
    try {
      agents = normalizeAgents(JSON.parse(env.HARBORFORGE_AGENTS));
    } catch {
      warnings.push('HARBORFORGE_AGENTS is not valid JSON; agents will not be reported');
    }
  }

  const parentPid = Number.parseInt(env.HARBORFORGE_PARENT_PID ?? '', 10);

  return {
    settings: {
      heartbeatUrl: heartbeatUrl ?? '',
      apiKey,
      identifier,
      intervalSec,
      diskPath,
      openclawVersion,
      agents,
      parentPid: Number.isInteger(parentPid) && parentPid > 1 ? parentPid : null,
    },
    errors,
    warnings,
  };
}

/** @param {string | undefined} raw @param {string[]} warnings */
function parseIntervalSec(raw, warnings) {
  if (raw == null || String(raw).trim() === '') return DEFAULT_INTERVAL_SEC;
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    warnings.push(`HARBORFORGE_INTERVAL_SEC=${JSON.stringify(raw)} is not a number; using ${DEFAULT_INTERVAL_SEC}`);
    return DEFAULT_INTERVAL_SEC;
  }
  const clamped = Math.min(MAX_INTERVAL_SEC, Math.max(MIN_INTERVAL_SEC, value));
  if (clamped !== value) warnings.push(`HARBORFORGE_INTERVAL_SEC=${raw} is out of range; using ${clamped}`);
  return clamped;
}

/**
 * The heartbeat endpoint under a base URL; keeps a base path (https://host/hf → /hf/monitor/...).
 * @param {string} baseUrl
 */
export function heartbeatUrlFor(baseUrl) {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${HEARTBEAT_PATH}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/**
 * A URL fit for logs: no user:password, no query string.
 * @param {string} url
 */
export function redactUrl(url) {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Agents as the backend accepts them: names or {id, name}, trimmed, bounded, no empties. */
/**
 * @param {unknown} value
 * @returns {Array<string | { id: string, name: string }> | null}
 */
export function normalizeAgents(value) {
  if (!Array.isArray(value)) return null;
  /** @type {Array<string | { id: string, name: string }>} */
  const out = [];
  for (const item of value) {
    if (out.length >= MAX_AGENTS) break;
    if (typeof item === 'string') {
      const name = truncate(item.trim(), MAX_TEXT);
      if (name) out.push(name);
    } else if (item && typeof item === 'object' && typeof item.id === 'string') {
      const id = truncate(item.id.trim(), MAX_TEXT);
      if (!id) continue;
      const name = typeof item.name === 'string' && item.name.trim() ? truncate(item.name.trim(), MAX_TEXT) : id;
      out.push({ id, name });
    }
  }
  return out;
}

/** @param {string} text @param {number} max */
function truncate(text, max) {
  return text.length > max ? text.slice(0, max) : text;
}

// ---------------------------------------------------------------------------------------------
// Collectors. Each returns null when its source is unavailable, so that one unreadable metric
// (a container without /proc/meminfo, a vanished mount) does not stop the rest from reporting.

/**
 * Cumulative CPU time over all cores: { idle, total } in ticks (or ms from os.cpus()). Linux reads
 * /proc/stat, which, unlike os.cpus(), counts iowait as idle and includes softirq and steal.
 * @returns {Promise<CpuTimes>}
 */
export async function readCpuTimes() {
  try {
    const stat = await readFile('/proc/stat', 'utf8');
    const times = parseProcStatCpu(stat);
    if (times) return times;
  } catch {
    // not Linux, or /proc not mounted: fall through
  }
  return cpuTimesFromOs(os.cpus());
}

/**
 * Parses the aggregate "cpu" line of /proc/stat.
 * @param {string} text
 * @returns {CpuTimes | null}
 */
export function parseProcStatCpu(text) {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return null;
  // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already
  // counted in user/nice, so it must not be added again.
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const idleAll = idle + iowait;
  return { idle: idleAll, total: user + nice + system + irq + softirq + steal + idleAll };
}

/** @param {import('node:os').CpuInfo[]} cpus @returns {CpuTimes} */
export function cpuTimesFromOs(cpus) {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/**
 * Busy share between two samples, 0–100; null when the samples cannot be compared.
 * @param {CpuTimes | null | undefined} previous
 * @param {CpuTimes | null | undefined} current
 */
export function cpuPercent(previous, current) {
  if (!previous || !current) return null;
  const total = current.total - previous.total;
  const idle = current.idle - previous.idle;
  if (!(total > 0) || idle < 0) return null; // no time passed, or counters reset
  return clampPct(100 * (1 - idle / total));
}

/**
 * /proc/meminfo as { Key: kB }.
 * @param {string} text
 * @returns {Record<string, number>}
 */
export function parseMeminfo(text) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * Used memory, 0–100. MemAvailable (Linux >= 3.14) is the kernel's estimate of what can be
 * allocated without swapping; MemFree would count page cache as used and cry wolf.
 * @param {Record<string, number>} info
 */
export function memPctFromMeminfo(info) {
  if (!(info.MemTotal > 0) || info.MemAvailable == null) return null;
  return clampPct(100 * (1 - info.MemAvailable / info.MemTotal));
}

/**
 * Used swap, 0–100; a host without swap has 0 % in use.
 * @param {Record<string, number>} info
 */
export function swapPctFromMeminfo(info) {
  if (info.SwapTotal == null || info.SwapFree == null) return null;
  if (info.SwapTotal === 0) return 0;
  return clampPct(100 * (1 - info.SwapFree / info.SwapTotal));
}

/** @returns {Promise<Record<string, number> | null>} */
export async function readMeminfo() {
  try {
    return parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
  } catch {
    return null;
  }
}

/** Portable fallback where /proc/meminfo is missing (macOS, BSD, odd containers). */
export function memPctFromOs(free = os.freemem(), total = os.totalmem()) {
  if (!(total > 0)) return null;
  return clampPct(100 * (1 - free / total));
}

/**
 * Used share of the file system holding `path`, computed like df: blocks reserved for root count
 * neither as used nor as available to users, so 100 % means "users can write no more".
 * @param {string} path
 */
export async function readDiskPct(path) {
  const s = await statfs(path);
  return diskPctFromStatfs(s);
}

/** @param {{ blocks: number, bfree: number, bavail: number }} stats */
export function diskPctFromStatfs({ blocks, bfree, bavail }) {
  const used = blocks - bfree;
  const denominator = used + bavail;
  if (!(denominator > 0)) return null;
  return clampPct((100 * used) / denominator);
}

/** 1, 5 and 15 minute load averages. */
export function readLoadAvg() {
  return os.loadavg().map((n) => round(n, 2));
}

/** Host (not process) uptime: the backend detects reboots from it going backwards. */
export function readUptimeSeconds() {
  return Math.max(0, Math.floor(os.uptime()));
}

/**
 * One snapshot of every metric. `state.cpu` holds the previous CPU sample and is updated, so the
 * CPU figure is the average over the time since the previous call. `onProblem(key, message)` is
 * told about a collector that failed (the caller logs each key once).
 *
 * @param {Pick<Settings, 'diskPath'>} settings
 * @param {{ cpu: CpuTimes | null }} state
 * @param {(key: string, message: string) => void} [onProblem]
 * @returns {Promise<Metrics>}
 */
export async function collectMetrics(settings, state, onProblem = () => {}) {
  const cpuNow = await readCpuTimes().catch(() => null);
  const cpu_pct = cpuPercent(state.cpu, cpuNow);
  state.cpu = cpuNow;

  const meminfo = await readMeminfo();
  let mem_pct = meminfo ? memPctFromMeminfo(meminfo) : null;
  if (mem_pct == null) mem_pct = memPctFromOs();
  const swap_pct = meminfo ? swapPctFromMeminfo(meminfo) : null;

  let disk_pct = null;
  try {
    disk_pct = await readDiskPct(settings.diskPath);
  } catch (error) {
    onProblem('disk', `cannot read disk usage of ${settings.diskPath} (${error.code ?? error.message}); disk_pct is not reported`);
  }

  return {
    cpu_pct,
    mem_pct,
    disk_pct,
    swap_pct,
    load_avg: readLoadAvg(),
    uptime_seconds: readUptimeSeconds(),
  };
}

// ---------------------------------------------------------------------------------------------
// Payload

/** The heartbeat-v2 body, snake_case as the backend expects; every field but identifier nullable. */
/**
 * @param {Pick<Settings, 'identifier' | 'openclawVersion' | 'agents'>} settings
 * @param {Metrics} metrics
 * @param {string | null} [pluginVersion]
 */
export function buildHeartbeat(settings, metrics, pluginVersion = PLUGIN_VERSION) {
  const body = {
    identifier: settings.identifier,
    openclaw_version: settings.openclawVersion ?? null,
    plugin_version: pluginVersion ?? null,
    agents: settings.agents ?? null,
    cpu_pct: metrics.cpu_pct ?? null,
    mem_pct: metrics.mem_pct ?? null,
    disk_pct: metrics.disk_pct ?? null,
    swap_pct: metrics.swap_pct ?? null,
    load_avg: metrics.load_avg ?? null,
    uptime_seconds: metrics.uptime_seconds ?? null,
  };
  // A host with thousands of long agent names would otherwise be refused (413) on every beat.
  while (body.agents && body.agents.length > 0 && Buffer.byteLength(JSON.stringify(body)) > MAX_BODY_BYTES) {
    body.agents = body.agents.slice(0, Math.floor(body.agents.length / 2));
  }
  return body;
}

/** @param {number} n */
function clampPct(n) {
  if (!Number.isFinite(n)) return null;
  return round(Math.min(100, Math.max(0, n)), 2);
}

/** @param {number} n @param {number} digits */
function round(n, digits) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

// ---------------------------------------------------------------------------------------------
// Scheduling

/**
 * The delay before the next regular heartbeat: the interval ±10 %, so a fleet restarted at once spreads out.
 * @param {number} intervalSec
 * @param {() => number} [random]
 */
export function nextBeatDelayMs(intervalSec, random = Math.random) {
  return Math.round(intervalSec * 1000 * (0.9 + 0.2 * random()));
}

/**
 * Backoff bounds for an interval: start at min(interval, 5 s), never wait longer than max(interval, 5 min).
 * @param {number} intervalSec
 */
export function backoffBounds(intervalSec) {
  return {
    baseMs: Math.min(intervalSec, 5) * 1000,
    capMs: Math.max(intervalSec, 300) * 1000,
  };
}

/**
 * Delay before retry number `failures` (1 = after the first failure): exponential from baseMs,
 * capped at capMs, with "equal jitter" (between half and all of the step) so that many sidecars
 * cut off by one outage do not all come back in the same second.
 *
 * @param {number} failures
 * @param {{ baseMs: number, capMs: number }} bounds
 * @param {() => number} [random]
 */
export function backoffDelayMs(failures, { baseMs, capMs }, random = Math.random) {
  const n = Math.max(1, Math.floor(failures));
  const step = Math.min(capMs, baseMs * 2 ** Math.min(n - 1, 30));
  return Math.round(step / 2 + (step / 2) * random());
}

// ---------------------------------------------------------------------------------------------
// Posting

/**
 * Sends one heartbeat. Resolves to { kind, status?, message, retryAfterMs? } and never throws:
 * kind is ok | unauthorized (401) | conflict (409) | rejected (other 4xx) | server (5xx/429) |
 * network. The API key goes only into the header, never into a message.
 *
 * @param {{ url: string, apiKey: string, body: unknown, signal?: AbortSignal, fetchImpl?: typeof fetch }} args
 * @returns {Promise<Outcome>}
 */
export async function postHeartbeat({ url, apiKey, body, signal, fetchImpl = fetch }) {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'user-agent': `harborforge-telemetry/${PLUGIN_VERSION ?? 'unknown'}` },
      body: JSON.stringify(body),
      signal: combined,
    });
  } catch (error) {
    if (signal?.aborted) return { kind: 'aborted', message: 'aborted' };
    const reason = timeout.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s` : describeNetworkError(error);
    return { kind: 'network', message: reason };
  }
  const text = await response.text().catch(() => '');
  const status = response.status;
  const detail = errorDetail(text);
  if (status >= 200 && status < 300) return { kind: 'ok', status, message: 'ok' };
  if (status === 401) return { kind: 'unauthorized', status, message: detail };
  if (status === 409) return { kind: 'conflict', status, message: detail };
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  if (status === 429 || status >= 500) return { kind: 'server', status, message: detail, retryAfterMs };
  return { kind: 'rejected', status, message: detail };
}

/** @param {any} error */
function describeNetworkError(error) {
  const cause = error?.cause;
  const code = cause?.code ?? error?.code;
  const msg = cause?.message ?? error?.message ?? String(error);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/**
 * The backend's error message from a JSON body ({ error | message }), or a short text excerpt.
 * @param {string} text
 */
function errorDetail(text) {
  if (!text) return '';
  try {
    const json = JSON.parse(text);
    const msg = json?.error?.message ?? json?.message ?? json?.error;
    if (typeof msg === 'string') return truncate(msg, 300);
  } catch {
    // not JSON
  }
  return truncate(text.replace(/\s+/g, ' ').trim(), 300);
}

/** @param {string | null} value */
function parseRetryAfter(value) {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/**
 * What an operator needs to read for each failure kind.
 * @param {Outcome} outcome
 * @param {Pick<Settings, 'identifier' | 'heartbeatUrl'>} settings
 */
export function describeOutcome(outcome, settings) {
  switch (outcome.kind) {
    case 'unauthorized':
      return (
        `the backend refused the API key (401): the key is wrong or has been revoked. ` +
        `Generate a new key for server "${settings.identifier}" in HarborForge Monitor and set it in the configuration; retrying with backoff`
      );
    case 'conflict':
      return (
        `the backend says identifier "${settings.identifier}" is not the server this API key belongs to (409). ` +
        `Set the identifier to the one the server was registered with in HarborForge Monitor; retrying with backoff`
      );
    case 'rejected':
      return `the backend rejected the heartbeat (${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}); retrying with backoff`;
    case 'server':
      return `the backend failed (${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}); retrying with backoff`;
    case 'network':
      return `cannot reach ${redactUrl(settings.heartbeatUrl)} (${outcome.message}); retrying with backoff`;
    default:
      return outcome.message;
  }
}

/**
 * Keeps the log quiet: a failure is logged when it starts (or changes kind), then at most every
 * repeatMs while it lasts, and recovery is logged once. Returns nothing; calls log(level, text).
 *
 * @param {LogFn} log
 * @param {Pick<Settings, 'identifier' | 'heartbeatUrl'>} settings
 * @param {{ repeatMs?: number, now?: () => number }} [options]
 * @returns {(outcome: Outcome) => void}
 */
export function createOutcomeLogger(log, settings, { repeatMs = REPEAT_FAILURE_LOG_MS, now = Date.now } = {}) {
  /** @type {OutcomeKind | null} */
  let lastKind = null;
  let lastLoggedAt = 0;
  let failures = 0;
  let everAccepted = false;
  return function record(outcome) {
    if (outcome.kind === 'ok') {
      if (!everAccepted) {
        log('info', `first heartbeat accepted by ${new URL(settings.heartbeatUrl).origin} for "${settings.identifier}"`);
      } else if (lastKind !== 'ok') {
        log('info', `heartbeats accepted again after ${failures} failed attempt(s)`);
      }
      everAccepted = true;
      lastKind = 'ok';
      failures = 0;
      return;
    }
    failures += 1;
    const level = outcome.kind === 'network' || outcome.kind === 'server' ? 'warn' : 'error';
    const t = now();
    if (outcome.kind !== lastKind) {
      log(level, describeOutcome(outcome, settings));
      lastKind = outcome.kind;
      lastLoggedAt = t;
    } else if (t - lastLoggedAt >= repeatMs) {
      log(level, `still failing after ${failures} attempts: ${describeOutcome(outcome, settings)}`);
      lastLoggedAt = t;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The loop

/**
 * Runs the heartbeat loop until stop() is called. Returns { stop, done }. Everything external is
 * injectable for tests (fetch, log, random).
 *
 * @param {Settings} settings
 * @param {{ log: LogFn, fetchImpl?: typeof fetch, random?: () => number }} options
 * @returns {{ stop: () => void, done: Promise<void> }}
 */
export function startReporter(settings, { log, fetchImpl = fetch, random = Math.random }) {
  const controller = new AbortController();
  const record = createOutcomeLogger(log, settings);
  const reportedProblems = new Set();
  /** @type {(key: string, message: string) => void} */
  const onProblem = (key, message) => {
    if (reportedProblems.has(key)) return;
    reportedProblems.add(key);
    log('warn', message);
  };
  /** @type {{ cpu: CpuTimes | null }} */
  const state = { cpu: null };
  const bounds = backoffBounds(settings.intervalSec);
  let failures = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  /** @type {() => void} */
  let resolveDone = () => {};
  /** @type {Promise<void>} */
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });

  /** @param {number} ms */
  const schedule = (ms) => {
    if (controller.signal.aborted) return;
    timer = setTimeout(beat, ms);
  };

  async function beat() {
    timer = null;
    /** @type {Outcome} */
    let outcome;
    try {
      const metrics = await collectMetrics(settings, state, onProblem);
      const body = buildHeartbeat(settings, metrics);
      outcome = await postHeartbeat({ url: settings.heartbeatUrl, apiKey: settings.apiKey, body, signal: controller.signal, fetchImpl });
    } catch (error) {
      // A bug in a collector must not kill the reporter: report it and keep the schedule.
      outcome = { kind: 'network', message: `internal error: ${error?.message ?? error}` };
    }
    if (controller.signal.aborted || outcome.kind === 'aborted') return;
    record(outcome);
    if (outcome.kind === 'ok') {
      failures = 0;
      schedule(nextBeatDelayMs(settings.intervalSec, random));
    } else {
      failures += 1;
      let delay = backoffDelayMs(failures, bounds, random);
      if (outcome.retryAfterMs != null) delay = Math.min(bounds.capMs, Math.max(delay, outcome.retryAfterMs));
      schedule(delay);
    }
  }

  // Prime the CPU counters so that the first heartbeat already carries a CPU figure.
  readCpuTimes()
    .then((sample) => {
      state.cpu = sample;
    })
    .catch(() => {})
    .finally(() => schedule(Math.min(FIRST_BEAT_DELAY_MS, settings.intervalSec * 1000)));

  return {
    stop() {
      controller.abort();
      if (timer) clearTimeout(timer);
      timer = null;
      resolveDone();
    },
    done,
  };
}

/**
 * Log lines are "[level] text": the plugin maps the level onto the gateway's logger.
 * @type {LogFn}
 */
function consoleLog(level, text) {
  const line = `[${level}] ${text}\n`;
  if (level === 'error' || level === 'warn') process.stderr.write(line);
  else process.stdout.write(line);
}

/**
 * Exits when the gateway that started us is gone, so a crashed or SIGKILLed gateway leaves no
 * orphan: the IPC channel closes when the parent dies, and as a second line of defence the
 * parent pid is polled (re-parenting changes process.ppid).
 * @param {number | null} parentPid @param {(why: string) => void} onGone
 */
function watchParent(parentPid, onGone) {
  if (process.channel) {
    process.once('disconnect', () => onGone('the gateway closed the IPC channel'));
  }
  if (parentPid) {
    const timer = setInterval(() => {
      if (process.ppid !== parentPid) onGone(`the parent gateway (pid ${parentPid}) is gone`);
    }, PARENT_POLL_MS);
    timer.unref();
  }
}

export function main(env = process.env) {
  const { settings, errors, warnings } = readSettings(env);
  if (errors.length > 0) {
    for (const error of errors) consoleLog('error', `not starting: ${error}`);
    process.exitCode = EXIT_CONFIG;
    return;
  }
  for (const warning of warnings) consoleLog('warn', warning);

  const reporter = startReporter(settings, { log: consoleLog });
  let stopping = false;
  /** @param {string} why */
  const shutdown = (why) => {
    if (stopping) return;
    stopping = true;
    reporter.stop();
    consoleLog('info', `stopping: ${why}`);
    // Exit now rather than wait for keep-alive sockets to time out: the gateway waits for us.
    process.exit(0);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  watchParent(settings.parentPid, shutdown);

  const agents = settings.agents ? `${settings.agents.length} agent(s)` : 'agents not reported';
  consoleLog(
    'info',
    `reporting to ${redactUrl(settings.heartbeatUrl)} as "${settings.identifier}" every ${settings.intervalSec}s ` +
      `(plugin ${PLUGIN_VERSION ?? 'unknown'}, OpenClaw ${settings.openclawVersion ?? 'not reported'}, ${agents}, disk ${settings.diskPath})`,
  );
}

function isMainModule() {
  if (!process.argv[1]) return false;
  try {
    // realpath on both sides: npm's bin links and symlinked plugin directories point here too.
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) main();
