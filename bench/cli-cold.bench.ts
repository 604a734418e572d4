/**
 * Cold CLI: `bosun task next --json` as a fresh process on a 500-task workspace, median of 20
 * runs. Target ≤ 250 ms.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateWorkspace } from './generate-workspace.js';
import { percentile, report, round } from './report.js';

const BIN = resolve(import.meta.dirname, '../bin/bosun.js');
const RUNS = 20;

const dir = mkdtempSync(join(tmpdir(), 'bosun-bench-cold-'));
const bosun = (...args: string[]) =>
  execFileSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, BOSUN_HOME: '', BOSUN_DB: '' },
  });
bosun('init');
const file = join(dir, 'plan.json');
writeFileSync(file, JSON.stringify(generateWorkspace({ tasks: 500, doneShare: 0.3 })));
bosun('import', file);
bosun('task', 'next', '--json'); // warm the OS file cache, as a person's second command would

const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  bosun('task', 'next', '--json');
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
