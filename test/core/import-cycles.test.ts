// The server's modules have no runtime import cycle, no cycle at all (type-only imports included)
// passes through the store, and the store (src/db/store.ts) depends on nothing in src/services/:
// services depend on the store, not both ways.
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
function importsOf(file: string, { typesToo }: { typesToo: boolean }): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...[...text.matchAll(/(?:^|\n)\s*(?:import|export)\b([^'"`;]*?)from\s+['"](\.[^'"]+)['"]/g)].filter((m) => typesToo || !/^\s*type\b/.test(m[1]!)).map((m) => m[2]!),
    ...[...text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
  ];
  return specifiers.map((specifier) => resolve(dirname(file), specifier)).filter((path) => path.endsWith('.ts'));
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
  const files = sourceFiles(src);
  const runtime = new Map(files.map((file) => [file, importsOf(file, { typesToo: false })]));
  const graph = new Map(files.map((file) => [file, importsOf(file, { typesToo: true })]));
  const store = join(src, 'db/store.ts');
  const show = (cycle: string[] | null) => cycle?.map((file) => relative(root, file)).join(' → ') ?? null;

  it('have no runtime cycle', () => {
    expect(show(findCycle(runtime))).toBeNull();
  });

  it('have no cycle through the store, type-only imports included', () => {
    // A cycle through the store exists exactly when the store is reachable from what it imports.
    const seen = new Set<string>();
    const queue = [...graph.get(store)!];
    while (queue.length) {
      const file = queue.shift()!;
      if (seen.has(file)) continue;
      seen.add(file);
      queue.push(...(graph.get(file) ?? []));
    }
    expect(seen.has(store)).toBe(false);
  });

  it('the store imports nothing from src/services/', () => {
    expect(graph.get(store)!.filter((path) => path.startsWith(join(src, 'services')))).toEqual([]);
  });

  it('the detector sees a cycle', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
  });
});
