/**
 * Bulk: creating 100,000 tasks with dependencies through `bosun import FILE` — a whole CLI
 * process: read, validate, check the graph, write, commit. Target ≤ 10 s.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateWorkspace } from './generate-workspace.js';
import { report, round } from './report.js';

const BIN = resolve(import.meta.dirname, '../bin/bosun.js');
const TASKS = 100_000;

const dir = mkdtempSync(join(tmpdir(), 'bosun-bench-import-'));
const bosun = (...args: string[]) =>
  execFileSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, BOSUN_HOME: '', BOSUN_DB: '' },
    maxBuffer: 1 << 30,
  });
bosun('init');
const document = generateWorkspace({ tasks: TASKS, doneShare: 0.2 });
const file = join(dir, 'plan.json');
writeFileSync(file, JSON.stringify(document));

const start = performance.now();
const summary = JSON.parse(bosun('import', file, '--json').toString()) as {
  tasks: number;
  dependencies: number;
};
const seconds = (performance.now() - start) / 1000;
if (summary.tasks !== TASKS) throw new Error(`imported ${summary.tasks} tasks, expected ${TASKS}`);
report({
  bench: 'import-100k-tasks',
  metric: 'wall',
  value: round(seconds, 2),
  unit: 's',
  target: 10,
  tasks: TASKS,
  dependencies: summary.dependencies,
});
