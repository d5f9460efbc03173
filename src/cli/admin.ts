// `npm run admin -- <command>`: manage named admin tokens (stored hashed; shown once).
//   create <name> [--scope admin|read-only]   list   revoke <name>
// Uses the same DATABASE_URL / DATA_DIR as the server.
import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from '../db/index.ts';
import { createAdminToken, listAdminTokens, revokeAdminToken } from '../services/admin-tokens.ts';
import { ServiceError } from '../services/errors.ts';

const USAGE = `Usage: npm run admin -- <command>
  create <name> [--scope admin|read-only]   create a token (printed once; default scope admin)
  list                                     list tokens (never their secrets)
  revoke <name>                            revoke a token`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig(process.env);
  const db = await openDatabase(config.databaseUrl);
  try {
    switch (command) {
      case 'create': {
        const name = rest.find((arg) => !arg.startsWith('--') && rest[rest.indexOf(arg) - 1] !== '--scope');
        const scopeIndex = rest.indexOf('--scope');
        const scope = scopeIndex >= 0 ? rest[scopeIndex + 1] ?? '' : 'admin';
        if (!name) {
          console.error(`create needs a name\n${USAGE}`);
          return 2;
        }
        const created = await createAdminToken(db.prisma, { name, scope });
        console.log(`Created ${created.scope} token "${created.name}". It is shown only now:\n\n    ${created.token}\n`);
        return 0;
      }
      case 'list': {
        const tokens = await listAdminTokens(db.prisma);
        if (tokens.length === 0) console.log('No tokens.');
        for (const token of tokens) {
          const state = token.revokedAt ? `revoked ${token.revokedAt.toISOString()}` : 'active';
          console.log(`${token.name}\t${token.scope}\t${token.prefix}…\t${state}\tcreated ${token.createdAt.toISOString()}\tlast used ${token.lastUsedAt?.toISOString() ?? 'never'}`);
        }
        return 0;
      }
      case 'revoke': {
        if (!rest[0]) {
          console.error(`revoke needs a name\n${USAGE}`);
          return 2;
        }
        await revokeAdminToken(db.prisma, rest[0]);
        console.log(`Revoked "${rest[0]}".`);
        return 0;
      }
      default:
        console.error(`unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof ConfigError || error instanceof ServiceError) {
      console.error(error.message);
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  },
);
