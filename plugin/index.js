// harborforge-monitor: the OpenClaw plugin entry.
//
// register() runs in every process that loads plugins (the live gateway, but also CLI commands
// and discovery passes, several times per gateway process), so it only wires hooks, and only in
// the live gateway. The sidecar starts from gateway_start, which fires once the gateway listens,
// and ends on gateway_stop or when OpenClaw disposes of the plugin.

import { agentsFromConfig, PLUGIN_ID, resolvePluginSettings, sidecarEnv } from './lib/config.js';
import { createSidecarSupervisor } from './lib/sidecar.js';

const CONFIG_PATH = `plugins.entries.${PLUGIN_ID}.config`;

/**
 * The part of OpenClaw's plugin API (OpenClawPluginApi) this plugin uses; everything optional is
 * feature-detected, so older and newer hosts both work.
 * @typedef {object} PluginApi
 * @property {string} [registrationMode] "full" in the live gateway
 * @property {unknown} [pluginConfig] plugins.entries.harborforge-monitor.config
 * @property {any} [config] the whole OpenClaw config
 * @property {{ version?: string }} [runtime]
 * @property {import('./lib/sidecar.js').Logger} [logger]
 * @property {(hook: string, handler: (event: any, ctx?: any) => unknown) => void} [on]
 * @property {{ onDispose?: (fn: () => unknown) => unknown }} [lifecycle]
 */

/**
 * Registers the plugin's hooks on an OpenClaw plugin API object. Exported for tests.
 * @param {PluginApi} api
 * @param {{ supervisorFactory?: (options: { logger: import('./lib/sidecar.js').Logger }) => Pick<import('./lib/sidecar.js').SidecarSupervisor, 'start' | 'stop'> }} [options]
 */
export function register(api, { supervisorFactory = createSidecarSupervisor } = {}) {
  // Older hosts have no registrationMode and only register in the gateway; newer ones also
  // register for discovery/setup/CLI metadata, where starting anything would leak processes.
  if (api.registrationMode !== undefined && api.registrationMode !== 'full') return;
  // OpenClaw's plugin logger tags lines only with "[plugins]": name ourselves in every line.
  const logger = prefixedLogger(api.logger ?? console, `${PLUGIN_ID}: `);
  if (typeof api.on !== 'function') {
    logger.warn('this OpenClaw version offers no plugin hooks (api.on); telemetry is off');
    return;
  }

  const supervisor = supervisorFactory({ logger });

  api.on('gateway_start', async (_event, ctx) => {
    try {
      const { settings, problems } = resolvePluginSettings(api.pluginConfig);
      if (problems) {
        logger.warn(
          `enabled but not configured (${problems.join('; ')}): telemetry is off. ` +
            `Set backendUrl and apiKey under ${CONFIG_PATH} in ~/.openclaw/openclaw.json and restart the gateway.`,
        );
        return;
      }
      const openclawVersion = typeof api.runtime?.version === 'string' ? api.runtime.version : null;
      const agents = agentsFromConfig(ctx?.config ?? api.config);
      await supervisor.start(sidecarEnv(settings, { openclawVersion, agents, parentPid: process.pid }));
    } catch (error) {
      // gateway_start is fire-and-forget in OpenClaw; log here so a failure is not lost.
      logger.error(`could not start telemetry: ${error?.stack ?? error}`);
    }
  });

  api.on('gateway_stop', async (event) => {
    await supervisor.stop(event?.reason ?? 'gateway stopping');
  });

  // Hot reload or uninstall can dispose of the plugin without a gateway_stop.
  api.lifecycle?.onDispose?.(() => supervisor.stop('plugin disposed'));
}

/**
 * @param {import('./lib/sidecar.js').Logger} base
 * @param {string} prefix
 * @returns {Required<import('./lib/sidecar.js').Logger>}
 */
function prefixedLogger(base, prefix) {
  /** @param {'debug' | 'info' | 'warn' | 'error'} level */
  const at = (level) => /** @param {string} message */ (message) => (base[level] ?? base.info).call(base, `${prefix}${message}`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export default {
  id: PLUGIN_ID,
  name: 'HarborForge Monitor',
  description: "Reports this server's health to a HarborForge Monitor backend",
  /** @param {PluginApi} api */
  register: (api) => register(api),
};
