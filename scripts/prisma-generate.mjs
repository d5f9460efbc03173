// Writes prisma/models.prisma into one schema per provider, then generates both clients.
// Run by `npm install` (postinstall) and by hand after editing models.prisma.
// Prisma's CLI is run with an explicit config per provider so it uses the wasm engines and
// never reaches for a binary download (see DESIGN.md, "Prisma ... verified here").
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PROVIDERS = ['sqlite', 'postgres'];

export function composeSchema(provider) {
  const models = readFileSync(join(root, 'prisma/models.prisma'), 'utf8');
  const datasourceProvider = provider === 'postgres' ? 'postgresql' : 'sqlite';
  // The url is a placeholder: the CLI needs one to pick the engine type, the app and the CLI
  // connect through driver adapters built from the environment.
  const url = provider === 'postgres' ? 'postgresql://placeholder@localhost/placeholder' : 'file:./placeholder.db';
  const header = `// GENERATED from prisma/models.prisma by scripts/prisma-generate.mjs: edit models.prisma instead.

generator client {
  provider               = "prisma-client"
  output                 = "../../src/generated/${provider}"
  engineType             = "client"
  moduleFormat           = "esm"
  importFileExtension    = "ts"
}
${provider === 'sqlite' ? `
generator pothos {
  provider     = "prisma-pothos-types"
  clientOutput = "./sqlite/client.ts"
  output       = "../../src/generated/pothos-types.ts"
}
` : ''}
datasource db {
  provider = "${datasourceProvider}"
  url      = "${url}"
}

`;
  return header + models;
}

function main() {
  for (const provider of PROVIDERS) {
    const dir = join(root, 'prisma', provider);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'schema.prisma'), composeSchema(provider));
    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules/prisma/build/index.js'), 'generate', '--config', join(root, `prisma/${provider}.config.ts`)],
      { cwd: root, stdio: 'inherit', env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}`, PRISMA_HIDE_UPDATE_MESSAGE: '1' }, timeout: 180_000 },
    );
    if (result.status !== 0) {
      console.error(`prisma generate failed for ${provider} (exit ${result.status ?? result.signal})`);
      process.exit(1);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
