/**
 * Cold CLI: `bosun task next --json` as a fresh process on a 500-task workspace, median of 20
 * runs. Target ≤ 250 ms.
 */

import { createBenchWorkspace } from './bench-workspace.js';
import { percentile, report, round } from './report.js';

const RUNS = 20;

const workspace = createBenchWorkspace('cold');
workspace.bosun('import', workspace.writeDocument({ tasks: 500, doneShare: 0.3 }));
workspace.bosun('task', 'next', '--json'); // warm the OS file cache, as a person's second command would

const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  workspace.bosun('task', 'next', '--json');
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
report({
  bench: 'cli-cold-task-next',
  metric: 'median',
  value: round(percentile(times, 50), 1),
  unit: 'ms',
  target: 250,
  runs: RUNS,
  tasks: 500,
  p90: round(percentile(times, 90), 1),
});
