/**
 * Crash safety, end to end: the processes executing a run are SIGKILLed at random moments and
 * started again, and the run still ends with every step succeeded exactly once in the journal,
 * and every side effect done once — or again, under the same idempotency key, only for an
 * attempt that was in flight at a kill. On SQLite one `bosun run resume` drives the run and is
 * killed and resumed; on PostgreSQL three `bosun worker`s share it and one of them is killed and
 * restarted over and over. The kill moments come from a seed printed at the start:
 * BOSUN_TORTURE_SEED=<n> replays a run, BOSUN_TORTURE_KILLS=<n> kills more often (default 30).
 */

import { rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/adapters/storage/postgres/index.js';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import type { Attempt, JournalEvent, Run, Step } from '../src/domain/run.js';
import type { Store } from '../src/ports/store.js';
import type { PostgresCluster } from '../src/testing/postgres-cluster.js';
import { startPostgresCluster } from '../src/testing/postgres-cluster.js';
import type { Random } from './fixtures/torture-workflow.js';
import {
  countEffects,
  readEffects,
  seededRandom,
  tortureWorkflow,
} from './fixtures/torture-workflow.js';
import type { BackgroundBosun } from './helpers/cli.js';
import { bosunJson, startBosun, tempDir } from './helpers/cli.js';

const SEED = Number(process.env['BOSUN_TORTURE_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const SQLITE_KILLS = Math.max(30, Number(process.env['BOSUN_TORTURE_KILLS'] ?? 30));
const POSTGRES_KILLS = Math.max(10, Math.round(SQLITE_KILLS / 3));
const LEASE = '2s';

console.log(
  `crash torture: seed ${SEED} (replay with BOSUN_TORTURE_SEED=${SEED}), ${SQLITE_KILLS} kills on SQLite, ${POSTGRES_KILLS} on PostgreSQL`,
);

/** Every process a test started; whatever is still alive at its end is killed. */
const processes = new Set<BackgroundBosun>();

function start(args: readonly string[], cwd: string): BackgroundBosun {
  const child = startBosun(args, { cwd });
  processes.add(child);
  void child.exited.then(() => processes.delete(child));
  return child;
}

async function killAll(): Promise<void> {
  const alive = [...processes];
  for (const child of alive) child.kill('SIGKILL');
  await Promise.all(alive.map((child) => child.exited.catch(() => undefined)));
}

afterEach(killAll);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true once the effect file holds `count` lines, false if `stop()` says so first. */
async function effectsReach(path: string, count: number, stop: () => boolean): Promise<boolean> {
  for (;;) {
    if (countEffects(path) >= count) return true;
    if (stop()) return false;
    await sleep(5);
  }
}

interface JournalView {
  readonly run: Run;
  readonly steps: readonly Step[];
  readonly attempts: ReadonlyMap<string, readonly Attempt[]>;
  readonly events: readonly JournalEvent[];
}

async function readJournal(store: Store, runId: string): Promise<JournalView> {
  return store.transaction('read', async (repos) => {
    const run = await repos.runs.findById(runId);
    if (!run) throw new Error(`no run ${runId}`);
    const steps = await repos.steps.listForRun(runId);
    const attempts = new Map<string, Attempt[]>();
    for (const step of steps) attempts.set(step.id, await repos.attempts.listForStep(step.id));
    const events = await repos.events.list({ after: 0, runId, limit: 100_000 });
    return { run, steps, attempts, events };
  });
}

interface CrashSafety {
  readonly problems: string[];
  /** Attempts taken back from a killed process. */
  readonly lostAttempts: number;
  /** Steps whose effect happened more than once (each time under the same key). */
  readonly repeatedEffects: number;
}

/**
 * What crash safety means for a run that has ended: it succeeded; each step succeeded once (one
 * step-end), every attempt before the last was lost at a kill and all of them carry the step's
 * one idempotency key; the effect file has at least one line per step and at most one per
 * attempt, each with that key, and nothing else.
 */
function checkCrashSafety(
  view: JournalView,
  effectsPath: string,
  expected: readonly string[],
): CrashSafety {
  const problems: string[] = [];
  const effects = readEffects(effectsPath);
  let lostAttempts = 0;
  let repeatedEffects = 0;
  if (view.run.status !== 'succeeded') problems.push(`run ${view.run.status}: ${view.run.error}`);
  const keys = view.steps.map((step) => step.key);
  if (keys.join() !== [...expected].join()) problems.push(`steps ${keys.join()} ≠ workflow`);
  for (const step of view.steps) {
    const key = `${view.run.id}:${step.key}:1`;
    const attempts = view.attempts.get(step.id) ?? [];
    const statuses = attempts.map((attempt) => attempt.status);
    lostAttempts += statuses.filter((status) => status === 'lost').length;
    if (step.status !== 'succeeded') problems.push(`${step.key}: ${step.status}`);
    if (
      statuses.at(-1) !== 'succeeded' ||
      statuses.slice(0, -1).some((status) => status !== 'lost')
    ) {
      problems.push(`${step.key}: attempts ${statuses.join(', ')}`);
    }
    const attemptKeys = [...new Set(attempts.map((attempt) => attempt.idempotencyKey))];
    if (attemptKeys.join() !== key)
      problems.push(`${step.key}: attempt keys ${attemptKeys.join()}`);
    if (JSON.stringify(step.output) !== JSON.stringify({ step: step.key })) {
      problems.push(`${step.key}: output ${JSON.stringify(step.output)}`);
    }
    const ends = view.events.filter((e) => e.kind === 'step-end' && e.stepId === step.id);
    if (ends.length !== 1 || ends[0]!.data['status'] !== 'succeeded') {
      problems.push(`${step.key}: step-end ${ends.map((e) => String(e.data['status'])).join()}`);
    }
    const starts = view.events.filter((e) => e.kind === 'step-start' && e.stepId === step.id);
    if (starts.length !== attempts.length) {
      problems.push(`${step.key}: ${starts.length} step-starts for ${attempts.length} attempts`);
    }
    const lines = effects.get(step.key) ?? [];
    if (lines.length === 0) problems.push(`${step.key}: no effect`);
    // One line per execution: more lines than attempts means an effect without an attempt.
    if (lines.length > attempts.length) {
      problems.push(`${step.key}: ${lines.length} effects for ${attempts.length} attempts`);
    }
    if (lines.some((line) => line !== key)) {
      problems.push(`${step.key}: effect keys ${lines.join()} (expected ${key})`);
    }
    if (lines.length > 1) repeatedEffects++;
  }
  for (const stray of [...effects.keys()].filter((step) => !expected.includes(step))) {
    problems.push(`an effect of unknown step ${stray}`);
  }
  const runEnds = view.events.filter((e) => e.kind === 'run-end');
  if (runEnds.length !== 1) problems.push(`${runEnds.length} run-end events`);
  return { problems, lostAttempts, repeatedEffects };
}

function writeWorkflow(
  dir: string,
  random: Random,
  layers: number,
  width: number,
  [minSleepMs, maxSleepMs]: readonly [number, number],
) {
  const effects = join(dir, 'effects.log');
  const workflow = tortureWorkflow(random, { layers, width, minSleepMs, maxSleepMs, effects });
  const file = join(dir, 'torture.json');
  writeFileSync(file, JSON.stringify(workflow.document));
  return { file, effects, steps: workflow.steps };
}

/** Resolves true once no more than `left` steps are left, false if `stop()` says so first. */
async function succeededReach(
  store: Store,
  runId: string,
  left: number,
  stop: () => boolean,
): Promise<boolean> {
  for (;;) {
    const now = await stepsLeft(store, runId);
    if (now === null || now <= left) return true;
    if (stop()) return false;
    await sleep(5);
  }
}

/** The run's steps not yet succeeded, or null once the run is no longer running. */
async function stepsLeft(store: Store, runId: string): Promise<number | null> {
  return store.transaction('read', async (repos) => {
    const run = await repos.runs.findById(runId);
    if (!run || run.status !== 'running') return null;
    const counts = await repos.steps.countByStatus(runId);
    return run.stepsTotal - (counts.succeeded ?? 0);
  });
}

describe('crash torture on SQLite', () => {
  it(
    `finishes a run whose driving process is SIGKILLed ${SQLITE_KILLS} times, each effect once per key`,
    async () => {
      const random = seededRandom(SEED);
      const dir = tempDir('bosun-torture-');
      const db = join(dir, 'bosun.db');
      const layers = Math.max(8, Math.ceil((SQLITE_KILLS * 8) / 30));
      const { file, effects, steps } = writeWorkflow(dir, random, layers, 5, [20, 150]);
      const run = await bosunJson<{ id: string }>(['run', 'start', file, '--detach', '--db', db], {
        cwd: dir,
      });
      const resume = ['run', 'resume', run.id, '--db', db, '--lease', LEASE, '--concurrency', '4'];
      const store = await createSqliteStore({ path: db });
      try {
        let kills = 0;
        while (kills < SQLITE_KILLS) {
          const left = await stepsLeft(store, run.id);
          if (left === null) break;
          const driver = start(resume, dir);
          let exited = false;
          void driver.exited.then(() => (exited = true));
          await driver.waitForOutput(/steps\n/);
          // Let it get on with a random part of the work that can be spared per kill left (often
          // none: then it dies once it has begun a step). A step per kill left, and four more that
          // may end between the trigger and the kill, stay in reserve, so the run outlasts the
          // kills however fast this machine is.
          const killsLeft = SQLITE_KILLS - kills;
          const spare = Math.max(0, left - killsLeft - 4);
          const progress = Math.min(spare, Math.floor(random() * 2 * (spare / killsLeft)));
          const reached =
            progress === 0
              ? await effectsReach(effects, countEffects(effects) + 1, () => exited)
              : await succeededReach(store, run.id, left - progress, () => exited);
          if (!reached) break;
          await sleep(random() * 30);
          driver.kill('SIGKILL');
          if ((await driver.exited).status !== -1) break; // it ended the run before the kill
          kills++;
        }
        expect(kills, `seed ${SEED}: the run ended after only ${kills} kills`).toBe(SQLITE_KILLS);

        const result = await start(resume, dir).exited;
        expect(result.status, `seed ${SEED}: ${result.stderr}`).toBe(0);
        expect(result.stdout).toContain('succeeded');

        const view = await readJournal(store, run.id);
        const safety = checkCrashSafety(view, effects, steps);
        console.log(
          `SQLite: ${kills} kills, ${safety.lostAttempts} attempts lost and re-run, ${safety.repeatedEffects} steps with a repeated effect`,
        );
        expect(safety.problems, `seed ${SEED}`).toEqual([]);
        // The kills landed while steps were in flight, or nothing was tortured.
        expect(safety.lostAttempts, `seed ${SEED}`).toBeGreaterThan(0);
        // Each restart took back at once what the killed process held, without waiting for leases.
        const reasons = view.events
          .filter((e) => e.kind === 'step-lost')
          .map((e) => e.data['reason']);
        expect(reasons.filter((reason) => !/^worker .* is gone$/.test(String(reason)))).toEqual([]);
        // Kept for a look when anything above failed.
        rmSync(dir, { recursive: true, force: true });
      } finally {
        await killAll();
        await store.close();
      }
    },
    30_000 + SQLITE_KILLS * 1_500,
  );
});

describe('crash torture on PostgreSQL', () => {
  let cluster: PostgresCluster | undefined;

  afterAll(async () => {
    await killAll();
    await cluster?.stop();
  });

  it(
    `finishes a run shared by three workers while one is SIGKILLed ${POSTGRES_KILLS} times and restarted`,
    async () => {
      const random = seededRandom(SEED ^ 0x5eed);
      cluster = await startPostgresCluster();
      const url = await cluster.createDatabase();
      const dir = tempDir('bosun-torture-pg-');
      // Four steps a layer for two steady workers that take one at a time: the victim (four at a
      // time) always finds work, so the kills hit it with steps in flight.
      const layers = Math.max(15, Math.ceil(POSTGRES_KILLS * 1.5));
      const { file, effects, steps } = writeWorkflow(dir, random, layers, 4, [150, 500]);
      const run = await bosunJson<{ id: string }>(['run', 'start', file, '--detach', '--db', url], {
        cwd: dir,
      });
      const store = await createPostgresStore({ url });
      const holdsSteps = async (pid: number) =>
        (
          await store.transaction('read', (repos) =>
            repos.steps.findRunningByOwnerPrefix(`${hostname()}/${pid}/`),
          )
        ).length > 0;
      try {
        const worker = (concurrency: number) =>
          start(
            [
              'worker',
              '--db',
              url,
              '--concurrency',
              String(concurrency),
              '--lease',
              LEASE,
              '--json',
            ],
            dir,
          );
        const steady = [worker(1), worker(1)];
        let kills = 0;
        while (kills < POSTGRES_KILLS) {
          const victim = worker(4);
          await victim.waitForOutput(/serving/);
          // Kill it at a random moment once it holds steps (or after a while without any).
          for (const until = Date.now() + 1_000; Date.now() < until; await sleep(10)) {
            if ((await stepsLeft(store, run.id)) === null || (await holdsSteps(victim.pid))) break;
          }
          await sleep(random() * 200);
          if ((await stepsLeft(store, run.id)) === null) break;
          victim.kill('SIGKILL');
          await victim.exited;
          kills++;
        }
        expect(kills, `seed ${SEED}: the run ended after only ${kills} kills`).toBe(POSTGRES_KILLS);
        const survivor = worker(4);
        await survivor.waitForOutput(/serving/);
        for (const deadline = Date.now() + 60_000; (await stepsLeft(store, run.id)) !== null;) {
          if (Date.now() > deadline) throw new Error(`seed ${SEED}: the run did not end in 60 s`);
          await sleep(100);
        }
        const workers = [...steady, survivor];
        for (const each of workers) each.kill('SIGTERM');
        const exits = await Promise.all(workers.map((each) => each.exited));
        expect(exits.map((exit) => exit.status)).toEqual([0, 0, 0]);

        const safety = checkCrashSafety(await readJournal(store, run.id), effects, steps);
        console.log(
          `PostgreSQL: ${kills} kills, ${safety.lostAttempts} attempts lost and re-run, ${safety.repeatedEffects} steps with a repeated effect`,
        );
        expect(safety.problems, `seed ${SEED}`).toEqual([]);
        expect(safety.lostAttempts, `seed ${SEED}`).toBeGreaterThan(0);
        rmSync(dir, { recursive: true, force: true });
      } finally {
        await killAll();
        await store.close();
      }
    },
    60_000 + POSTGRES_KILLS * 3_000,
  );
});
