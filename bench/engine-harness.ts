/**
 * Shared pieces of the engine benchmarks: workflow shapes, a throwaway SQLite workspace opened
 * in-process, and "start a run and drive it to the end" timed the way a user's `bosun run start`
 * experiences it (from run.start to the scheduler's exit).
 */

import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEngineScheduler } from '../src/app/engine.js';
import type { Runtime } from '../src/app/runtime.js';
import { openRuntime } from '../src/app/runtime.js';
import { initWorkspace } from '../src/app/workspace.js';
import type { SchedulerResult } from '../src/core/engine/scheduler.js';
import type { Run } from '../src/domain/run.js';
import { findOperation } from '../src/operations/catalog.js';
import type { BenchResult } from './report.js';
import { report } from './report.js';

export const BIN = resolve(import.meta.dirname, '../bin/bosun.js');

type StepDocument = Record<string, unknown>;
export interface WorkflowDocument {
  name: string;
  steps: StepDocument[];
}

const mockStep = (id: string, extra: StepDocument = {}): StepDocument => ({
  id,
  runner: 'mock',
  ...extra,
});

/** s1 → s2 → … → sN, zero-latency mock steps. */
export function chain(n: number, last?: StepDocument): WorkflowDocument {
  const steps = Array.from({ length: n }, (_, i) =>
    mockStep(`s${i + 1}`, i === 0 ? {} : { needs: `s${i}` }),
  );
  if (last) steps.push(mockStep('last', { needs: `s${n}`, ...last }));
  return { name: `chain-${n}`, steps };
}

/** root → w1..wN in parallel → join. */
export function fanOut(width: number): WorkflowDocument {
  const wide = Array.from({ length: width }, (_, i) => mockStep(`w${i + 1}`, { needs: 'root' }));
  return {
    name: `fan-out-${width}`,
    steps: [mockStep('root'), ...wide, mockStep('join', { needs: wide.map((s) => s.id) })],
  };
}

/** N steps with no needs, each with the given mock settings. */
export function independent(n: number, settings: StepDocument = {}): WorkflowDocument {
  const steps = Array.from({ length: n }, (_, i) =>
    mockStep(`p${i + 1}`, Object.keys(settings).length > 0 ? { with: settings } : {}),
  );
  return { name: `independent-${n}`, steps };
}

/** A fresh temp folder with an initialised workspace (`.bosun/bosun.db`, SQLite). */
export async function createSqliteWorkspace(name: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `bosun-bench-${name}-`));
  await initWorkspace(dir, undefined);
  return dir;
}

export function openBenchRuntime(cwd: string, db?: string): Promise<Runtime> {
  // An explicit env so the caller's BOSUN_HOME / BOSUN_DB cannot redirect the benchmark.
  return openRuntime({ cwd, db, env: { BOSUN_ACTOR: 'bench' } });
}

export async function startRun(runtime: Runtime, workflow: WorkflowDocument): Promise<Run> {
  return (await runtime.runner.run(findOperation('run.start')!, { workflow }, 'bench')) as Run;
}

export async function drive(
  runtime: Runtime,
  runId: string,
  concurrency?: number,
): Promise<SchedulerResult> {
  const scheduler = createEngineScheduler({
    store: runtime.store,
    runners: runtime.runners,
    clock: runtime.clock,
    newId: runtime.newId,
    workdir: runtime.workdir,
    runId,
    ...(concurrency ? { concurrency } : {}),
    onError: (error) => {
      throw error;
    },
  });
  return scheduler.run();
}

/**
 * run.start with the inline workflow, then a scheduler scoped to the run until it exits: wall
 * time, and the CPU time this process spent meanwhile (wall ≫ CPU means waiting: timers, I/O,
 * or other processes competing for the cores).
 */
export async function timeRun(
  runtime: Runtime,
  workflow: WorkflowDocument,
  concurrency?: number,
): Promise<{ ms: number; cpuMs: number; run: Run }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const run = await startRun(runtime, workflow);
  const result = await drive(runtime, run.id, concurrency);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  if (result.exit !== 'ended' || result.run?.status !== 'succeeded') {
    throw new Error(
      `${workflow.name}: the scheduler exited '${result.exit}' with the run ${result.run?.status ?? 'missing'}`,
    );
  }
  return { ms, cpuMs, run: result.run };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface NamedResult {
  readonly name: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: number;
  readonly better?: BenchResult['better'];
  readonly [extra: string]: unknown;
}

/**
 * One result line: `bench` (the repository's convention) and `name` carry the same name; the
 * 1-minute load average says how busy the machine was, since these are wall-clock numbers.
 */
export function result(line: NamedResult): void {
  const { name, ...rest } = line;
  report({ bench: name, name, ...rest, load1: Math.round(loadavg()[0]! * 100) / 100 });
}
