/**
 * Bulk: creating 100,000 tasks with dependencies through `bosun import FILE` — a whole CLI
 * process: read, validate, check the graph, write, commit. Target ≤ 10 s.
 */

import { createBenchWorkspace } from './bench-workspace.js';
import { report, round } from './report.js';

const TASKS = 100_000;

const workspace = createBenchWorkspace('import');
const file = workspace.writeDocument({ tasks: TASKS, doneShare: 0.2 });

const start = performance.now();
const output = workspace.bosun('import', file, '--json').toString();
const seconds = (performance.now() - start) / 1000;
const summary = JSON.parse(output) as { tasks: number; dependencies: number };
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
