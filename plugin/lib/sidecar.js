// Starts, watches and stops the telemetry sidecar (server/telemetry.mjs) for the gateway.
//
// The sidecar is a separate Node process so that a slow backend, a blocked statfs on a dead
// network mount or a bug in the reporter can never stall the gateway's event loop.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const TELEMETRY_SCRIPT = fileURLToPath(new URL('../server/telemetry.mjs', import.meta.url));

const EXIT_CONFIG = 78; // the sidecar refused its settings: restarting would not help
const STOP_GRACE_MS = 3_000;
const KILL_WAIT_MS = 2_000;
const RESTART_BASE_MS = 1_000;
const RESTART_CAP_MS = 60_000;
const HEALTHY_RUN_MS = 60_000; // a sidecar that ran this long resets the restart backoff

// OpenClaw imports the plugin afresh for every registration (the live gateway plus discovery
// passes), so module state is not shared between them. A process-wide slot makes sure that at
// most one sidecar per gateway process exists even if a second "full" registration starts one.
const ACTIVE = Symbol.for('harborforge-monitor.activeSidecar');

/**
 * A supervisor for one sidecar: start(env) launches it (replacing a running one), stop() ends it
 * with SIGTERM and then SIGKILL. An unexpected exit is restarted with capped exponential backoff,
 * except a clean exit (0, e.g. it got the terminal's Ctrl-C with the gateway) and a configuration
 * refusal (78).
 */
/**
 * @typedef {{ debug?: (m: string) => void, info: (m: string) => void, warn: (m: string) => void, error: (m: string) => void }} Logger
 * @typedef {{ readonly pid: number | null, readonly running: boolean, start(env: Record<string, string>): Promise<void>, stop(reason?: string): Promise<void> }} SidecarSupervisor
 */

/**
 * @param {{ logger: Logger, execPath?: string, script?: string, graceMs?: number }} options
 * @returns {SidecarSupervisor}
 */
export function createSidecarSupervisor({ logger, execPath = process.execPath, script = TELEMETRY_SCRIPT, graceMs = STOP_GRACE_MS }) {
  let child = null;
  let env = null;
  let wanted = false;
  let restartTimer = null;
  let restarts = 0;
  let startedAt = 0;

  const self = {
    get pid() {
      return child?.pid ?? null;
    },
    get running() {
      return child !== null;
    },
    async start(nextEnv) {
      const previous = globalThis[ACTIVE];
      if (previous && previous !== self) await previous.stop('replaced by a newer plugin instance');
      if (child || restartTimer) await stopChild();
      globalThis[ACTIVE] = self;
      env = nextEnv;
      wanted = true;
      restarts = 0;
      launch();
    },
    async stop(reason = 'stopping') {
      wanted = false;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = null;
      if (globalThis[ACTIVE] === self) delete globalThis[ACTIVE];
      if (child) logger.info(`stopping telemetry sidecar (pid ${child.pid}): ${reason}`);
      await stopChild();
    },
  };

  function launch() {
    startedAt = Date.now();
    let proc;
    try {
      // The IPC channel is the sidecar's lifeline: it closes when this process dies for any
      // reason, SIGKILL included, and the sidecar exits on that (see watchParent there).
      proc = spawn(execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], windowsHide: true });
    } catch (error) {
      logger.error(`cannot start the telemetry sidecar: ${error.message}`);
      scheduleRestart();
      return;
    }
    child = proc;
    pipeLines(proc.stdout, 'info');
    pipeLines(proc.stderr, 'warn');
    proc.once('error', (error) => {
      // spawn failures (ENOENT, EACCES) arrive here, and "exit" may never follow.
      logger.error(`telemetry sidecar failed: ${error.message}`);
      if (child === proc) {
        child = null;
        scheduleRestart();
      }
    });
    proc.once('exit', (code, signal) => {
      if (child !== proc) return;
      child = null;
      if (!wanted) return;
      if (code === 0) {
        logger.info('telemetry sidecar exited');
        return;
      }
      if (code === EXIT_CONFIG) {
        logger.error('telemetry sidecar refused its configuration (see the messages above); not restarting it');
        return;
      }
      logger.warn(`telemetry sidecar exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`})`);
      scheduleRestart();
    });
    logger.info(`telemetry sidecar started (pid ${proc.pid})`);
  }

  function scheduleRestart() {
    if (!wanted || restartTimer) return;
    if (Date.now() - startedAt >= HEALTHY_RUN_MS) restarts = 0;
    const delay = Math.min(RESTART_CAP_MS, RESTART_BASE_MS * 2 ** restarts);
    restarts += 1;
    logger.warn(`restarting the telemetry sidecar in ${Math.round(delay / 1000)}s`);
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (wanted) launch();
    }, delay);
    restartTimer.unref?.();
  }

  async function stopChild() {
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = null;
    const proc = child;
    if (!proc) return;
    child = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    if (await settlesWithin(exited, graceMs)) return;
    logger.warn(`telemetry sidecar (pid ${proc.pid}) ignored SIGTERM for ${graceMs} ms; killing it`);
    proc.kill('SIGKILL');
    await settlesWithin(exited, KILL_WAIT_MS);
  }

  /** Each "[level] text" line the sidecar prints goes to the gateway's logger at that level. */
  function pipeLines(stream, fallbackLevel) {
    if (!stream) return;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (!line.trim()) return;
      const m = /^\[(debug|info|warn|error)\] (.*)$/.exec(line);
      const level = m ? m[1] : fallbackLevel;
      const text = `telemetry: ${m ? m[2] : line}`;
      const write = logger[level] ?? logger.info;
      write.call(logger, text);
    });
  }

  return self;
}

function settlesWithin(promise, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
