/**
 * `task next --claim` in-process on a SQLite workspace of 100,000 tasks (with dependencies):
 * latency of each claim, p50 / p99. Target p99 ≤ 2 ms. The workspace is built by a separate
 * `bosun import` process first, so this process is a worker opening an existing workspace.
 */

import { join } from 'node:path';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import { createOperationRunner, findOperation } from '../src/operations/catalog.js';
import { systemClock } from '../src/shared/clock.js';
import { createUlidGenerator } from '../src/shared/ids.js';
import { createBenchWorkspace } from './bench-workspace.js';
import { percentile, report, round } from './report.js';

const TASKS = 100_000;
const CLAIMS = 2_000;
const WARMUP = 200;

const workspace = createBenchWorkspace('claim');
workspace.bosun('import', workspace.writeDocument({ tasks: TASKS, doneShare: 0.5 }));

const store = await createSqliteStore({ path: join(workspace.dir, '.bosun', 'bosun.db') });
const runner = createOperationRunner({ store, clock: systemClock, newId: createUlidGenerator() });
const next = findOperation('task.next')!;
const times: number[] = [];
for (let i = 0; i < CLAIMS + WARMUP; i++) {
  const start = performance.now();
  const result = (await runner.run(next, { claim: true, agent: `agent-${i % 8}` }, 'bench')) as {
    tasks: unknown[];
  };
  const elapsed = performance.now() - start;
  if (result.tasks.length !== 1) throw new Error(`claim ${i} found no ready task`);
  if (i >= WARMUP) times.push(elapsed); // the first claims warm the JIT and the page cache
}
await store.close();
times.sort((a, b) => a - b);
report({
  bench: 'claim-100k-sqlite',
  metric: 'p99',
  value: round(percentile(times, 99)),
  unit: 'ms',
  target: 2,
  p50: round(percentile(times, 50)),
  max: round(times.at(-1)!),
  claims: CLAIMS,
  tasks: TASKS,
});
