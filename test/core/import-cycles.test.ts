// The server's modules form a directed acyclic graph (type-only imports included), and the store
// (src/db/store.ts) depends on nothing in src/services/: services depend on the store.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' || entry.name === 'web' ? [] : sourceFiles(path);
    return /\.(ts|mts)$/.test(entry.name) ? [path] : [];
  });
}

/** Relative imports and re-exports of a file (static `import`/`export … from`, and `import()`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s+['"](\.[^'"]+)['"]/g), ...text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)];
  return specifiers.map((match) => resolve(dirname(file), match[1]!)).filter((path) => path.endsWith('.ts'));
}

function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('module imports', () => {
  const graph = new Map(sourceFiles(src).map((file) => [file, importsOf(file)]));

  it('have no cycle', () => {
    const cycle = findCycle(graph);
    expect(cycle?.map((file) => relative(root, file)).join(' → ') ?? null).toBeNull();
  });

  it('the store imports nothing from src/services/', () => {
    const store = join(src, 'db/store.ts');
    expect(graph.get(store)!.filter((path) => path.startsWith(join(src, 'services')))).toEqual([]);
  });

  it('the detector sees a cycle', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
  });
});
