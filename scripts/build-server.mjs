// Bundles the server for `npm start` (run by prestart, ~0.2 s): plain JavaScript in dist/, so the
// running server carries no TypeScript loader (tsx costs ~50 MB of RSS in each thread).
// Dependencies stay in node_modules; tests and `npm run dev` run the TypeScript sources directly.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/main.ts', 'sqlite-writer': 'src/db/sqlite-writer.ts', admin: 'src/cli/admin.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Some bundled modules (the generated Prisma client) use require/__dirname.
  banner: { js: "import { createRequire as __hfCreateRequire } from 'node:module'; const require = __hfCreateRequire(import.meta.url);" },
});
