/** A throwaway workspace filled through the real `bosun import`, for benchmarks. */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GenerateOptions } from './generate-workspace.js';
import { generateWorkspace } from './generate-workspace.js';

const BIN = resolve(import.meta.dirname, '../bin/bosun.js');

export interface BenchWorkspace {
  readonly dir: string;
  /** Runs the bosun bin in the workspace as a fresh process and returns its stdout. */
  bosun(...args: string[]): Buffer;
  /** Writes a generated workspace document to a file and returns its path. */
  writeDocument(options: GenerateOptions): string;
}

export function createBenchWorkspace(name: string): BenchWorkspace {
  const dir = mkdtempSync(join(tmpdir(), `bosun-bench-${name}-`));
  const env = { ...process.env, BOSUN_HOME: '', BOSUN_DB: '' };
  const bosun = (...args: string[]) =>
    execFileSync(process.execPath, [BIN, ...args], { cwd: dir, env, maxBuffer: 1 << 30 });
  bosun('init');
  return {
    dir,
    bosun,
    writeDocument(options) {
      const file = join(dir, 'plan.json');
      writeFileSync(file, JSON.stringify(generateWorkspace(options)));
      return file;
    },
  };
}
