// Turns the plugin's OpenClaw configuration into the sidecar's environment.
//
// OpenClaw validates plugins.entries.harborforge-monitor.config against openclaw.plugin.json
// before the plugin loads; 2026.9.6 also fills in the schema's defaults, which other versions
// may not, so the defaults are applied here as well. The schema deliberately leaves backendUrl
// and apiKey optional: OpenClaw refuses to start the gateway at all when the config breaks a
// plugin's schema, whereas a monitoring plugin that lacks settings should only warn and idle.

import os from 'node:os';

export const PLUGIN_ID = 'harborforge-monitor';
export const DEFAULT_INTERVAL_SEC = 30;
export const MIN_INTERVAL_SEC = 5;
export const MAX_INTERVAL_SEC = 3600;

/**
 * Reads plugins.entries.harborforge-monitor.config. Returns { settings } when the plugin can run,
 * or { problems } (human-readable, naming the config keys) when it cannot.
 */
/**
 * @typedef {{ backendUrl: string, apiKey: string, identifier: string, intervalSec: number, diskPath: string }} PluginSettings
 */

/**
 * @param {unknown} pluginConfig
 * @returns {{ settings: PluginSettings, problems?: undefined } | { settings?: undefined, problems: string[] }}
 */
export function resolvePluginSettings(pluginConfig) {
  /** @type {Record<string, unknown>} */
  const cfg = pluginConfig && typeof pluginConfig === 'object' ? /** @type {Record<string, unknown>} */ (pluginConfig) : {};
  /** @type {string[]} */
  const problems = [];

  const backendUrl = typeof cfg.backendUrl === 'string' ? cfg.backendUrl.trim() : '';
  if (!backendUrl) {
    problems.push('backendUrl is not set');
  } else if (!isHttpUrl(backendUrl)) {
    problems.push(`backendUrl ${JSON.stringify(backendUrl)} is not an http(s) URL`);
  }

  const apiKey = typeof cfg.apiKey === 'string' ? cfg.apiKey.trim() : '';
  if (!apiKey) problems.push('apiKey is not set');

  if (problems.length > 0) return { problems };

  const identifier = (typeof cfg.identifier === 'string' && cfg.identifier.trim()) || os.hostname();
  const diskPath = (typeof cfg.diskPath === 'string' && cfg.diskPath.trim()) || '/';
  return { settings: { backendUrl, apiKey, identifier, intervalSec: resolveIntervalSec(cfg.intervalSec), diskPath } };
}

/** @param {unknown} value */
function resolveIntervalSec(value) {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return DEFAULT_INTERVAL_SEC;
  return Math.min(MAX_INTERVAL_SEC, Math.max(MIN_INTERVAL_SEC, Math.round(n)));
}

/** @param {string} text */
function isHttpUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The configured agents as [{ id, name }]. OpenClaw has two shapes: the current
 * `agents.entries: { <id>: { name?, … } }` and the older `agents.list: [{ id, name?, … }]`
 * (which newer versions also materialise internally next to `entries`). Like OpenClaw's own
 * listAgentEntries, `entries` wins when present. The display name falls back to identity.name,
 * then to the id.
 */
/**
 * @param {any} config the OpenClaw config (api.config or the hook context's config)
 * @returns {Array<{ id: string, name: string }>}
 */
export function agentsFromConfig(config) {
  const agents = config?.agents;
  if (!agents || typeof agents !== 'object') return [];
  let raw = [];
  if (agents.entries && typeof agents.entries === 'object' && !Array.isArray(agents.entries)) {
    raw = Object.entries(agents.entries).map(([id, entry]) => ({ ...(entry && typeof entry === 'object' ? entry : {}), id }));
  } else if (Array.isArray(agents.list)) {
    raw = agents.list.filter((entry) => entry && typeof entry === 'object');
  }
  const seen = new Set();
  const out = [];
  for (const entry of raw) {
    const id = typeof entry.id === 'string' ? entry.id.trim() : '';
    if (!id || seen.has(id)) continue;
    seen.add(id);
    const name = [entry.name, entry.identity?.name].find((n) => typeof n === 'string' && n.trim())?.trim() ?? id;
    out.push({ id, name });
  }
  return out;
}

// What the sidecar may inherit from the gateway's environment: enough to run Node, resolve
// names, use a proxy and trust a private CA. Not the rest: the gateway's environment holds model
// provider keys and NODE_OPTIONS meant for the gateway, none of which the sidecar needs.
const INHERITED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'SYSTEMROOT',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_USE_ENV_PROXY',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/** The sidecar's environment: the same HARBORFORGE_* variables as standalone mode, plus the gateway's facts. */
/**
 * @param {PluginSettings} settings
 * @param {{ openclawVersion: string | null, agents: Array<{ id: string, name: string }> | null, parentPid: number | null, baseEnv?: Record<string, string | undefined> }} facts
 * @returns {Record<string, string>}
 */
export function sidecarEnv(settings, { openclawVersion, agents, parentPid, baseEnv = process.env }) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const name of INHERITED_ENV) {
    const value = baseEnv[name];
    if (value != null) env[name] = value;
  }
  env.HARBORFORGE_URL = settings.backendUrl;
  env.HARBORFORGE_API_KEY = settings.apiKey;
  env.HARBORFORGE_IDENTIFIER = settings.identifier;
  env.HARBORFORGE_INTERVAL_SEC = String(settings.intervalSec);
  env.HARBORFORGE_DISK_PATH = settings.diskPath;
  if (openclawVersion) env.HARBORFORGE_OPENCLAW_VERSION = openclawVersion;
  env.HARBORFORGE_AGENTS = JSON.stringify(agents ?? []);
  if (parentPid) env.HARBORFORGE_PARENT_PID = String(parentPid);
  return env;
}
