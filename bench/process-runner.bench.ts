/**
 * Agent spawn to first event for the process runner: from the `execute()` call to the first line
 * a trivial command (`printf 'ready\n'`) prints in its pseudo-terminal reaching `emit`, which is
 * how long a person watching a run waits before an agent shows any sign of life. It covers
 * validating the settings, quoting the prompt, opening the terminal, starting `/bin/sh` and
 * reading its output. 30 samples after 3 warm-ups; median (target ≤ 50 ms) and p90.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcessRunner } from '../src/adapters/runners/process/index.js';
import type { StepAttemptContext } from '../src/ports/runner.js';
import { createStepContext } from '../src/testing/step-context.js';
import { median, result } from './engine-harness.js';
import { percentile, round } from './report.js';

const WARM_UPS = 3;
const SAMPLES = 30;

const workdir = mkdtempSync(join(tmpdir(), 'bosun-bench-process-'));
const runner = createProcessRunner();
const firstEventMs: number[] = [];
const exitMs: number[] = [];
try {
  for (let i = 0; i < WARM_UPS + SAMPLES; i++) {
    let firstEventAt: number | undefined;
    const context: StepAttemptContext = {
      // The prompt goes through the same quoting as an agent's would.
      ...createStepContext({
        workdir,
        input: 'Say ready.',
        settings: { command: `printf 'ready\\n'; : {{prompt}}` },
      }),
      emit: () => {
        firstEventAt ??= performance.now();
      },
    };
    const start = performance.now();
    await runner.execute(context);
    const end = performance.now();
    if (firstEventAt === undefined) throw new Error(`sample ${i} emitted nothing`);
    if (i < WARM_UPS) continue;
    firstEventMs.push(firstEventAt - start);
    exitMs.push(end - start);
  }
} finally {
  rmSync(workdir, { recursive: true, force: true });
}

const sorted = [...firstEventMs].sort((a, b) => a - b);
result({
  name: 'process-runner-first-event',
  metric: `median of ${SAMPLES} after ${WARM_UPS} warm-ups`,
  value: round(median(firstEventMs), 2),
  unit: 'ms',
  target: 50,
  p90: round(percentile(sorted, 90), 2),
  max: round(sorted.at(-1)!, 2),
  exitMedianMs: round(median(exitMs), 2),
  samplesMs: firstEventMs.map((ms) => round(ms, 2)),
});
