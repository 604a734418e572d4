/**
 * Architecture checks that need the whole import graph: no module of src/ imports itself back
 * through a chain of imports. (The layer rules live in eslint.config.js; see
 * docs/decisions/0004.)
 */

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { topologicalOrder } from '../src/domain/dependency-graph.js';
import { BosunError } from '../src/shared/errors.js';

const SRC = resolve(import.meta.dirname, '../src');
const IMPORT = /(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((match) =>
      relative(SRC, resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts'))),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

function findImportCycle(graph: Map<string, string[]>): string[] | null {
  try {
    topologicalOrder([...graph.keys()], graph);
    return null;
  } catch (error) {
    if (error instanceof BosunError && error.code === 'cycle')
      return error.details.cycle as string[];
    throw error;
  }
}

describe('the import graph of src/', () => {
  it('has no import cycles', () => {
    const graph = importGraph(sourceFiles(SRC));
    expect(graph.size).toBeGreaterThan(20);
    expect(findImportCycle(graph)).toBeNull();
  });

  it('would report a cycle with its path', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
    ]);
    expect(findImportCycle(graph)).toHaveLength(4);
  });

  it('resolves every relative import to a file that exists', () => {
    const graph = importGraph(sourceFiles(SRC));
    const missing = [...graph.entries()].flatMap(([file, targets]) =>
      targets.filter((t) => !graph.has(t)).map((t) => `${file} → ${t}`),
    );
    expect(missing).toEqual([]);
  });
});
