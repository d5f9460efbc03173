// `npm start`: read the environment, start, and stop cleanly on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from './config.ts';
import { startServer } from './server.ts';

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const server = await startServer(config, process.env);
  if (server.initialAdminToken) {
    // Printed once, on the first start; the file keeps it for later (mode 0600).
    console.log(
      [
        '',
        'No admin token existed, so one was created:',
        '',
        `    ${server.initialAdminToken.token}`,
        '',
        `It is saved in ${server.initialAdminToken.file} (readable only by you).`,
        `Sign in at ${server.url}/admin, or use it as "Authorization: Bearer <token>" in GraphiQL at ${server.url}/graphql.`,
        '',
      ].join('\n'),
    );
  }
  console.log(`HarborForge Monitor: status page ${server.url}/  ·  admin ${server.url}/admin  ·  GraphQL ${server.url}/graphql`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error) => {
  console.error('HarborForge Monitor failed to start:', error instanceof Error ? error.message : error);
  if (process.env.LOG_LEVEL === 'debug') console.error(error);
  process.exit(1);
});
