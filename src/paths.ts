// The project's root, found from this module's location whether it runs from src/ (tsx, tests)
// or from the bundle in dist/ (npm start): migrations and the web page's sources live under it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'prisma', 'models.prisma'))) return dir;
    if (dirname(dir) === dir) throw new Error(`HarborForge: no prisma/models.prisma above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
