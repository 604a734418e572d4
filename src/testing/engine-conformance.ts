/**
 * The conformance suite of the workflow engine over a Store: the bare scheduler of core/engine
 * with the mock runner and a probe runner the tests steer, runs started and controlled through
 * the operation catalog. It pins what the engine promises on every dialect: each step runs
 * exactly once, leases and retries behave, stop, cancel and pause take effect, concurrent
 * schedulers never share a step, and the event feed delivers the journal in order, without
 * gaps or repeats. The SQLite and PostgreSQL stores run the same suite.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockRunner } from '../adapters/runners/mock/index.js';
import { createEventFeed } from '../core/engine/event-feed.js';
import type { AgentResolver } from '../core/engine/journal.js';
import type { Scheduler } from '../core/engine/scheduler.js';
import { createScheduler } from '../core/engine/scheduler.js';
import type { EngineEnvironment } from '../core/services/service-context.js';
import type { BudgetConfig } from '../domain/agent.js';
import { AgentConfigSchema, ModelConfigSchema } from '../domain/agent.js';
import type { Attempt, JournalEvent, Run, Step } from '../domain/run.js';
import { Run as RunRules } from '../domain/run.js';
import { parseWorkflowDefinition } from '../domain/workflow-schema.js';
import type { JsonValue } from '../domain/workflow.js';
import type { OperationRunner } from '../operations/catalog.js';
import { createOperationRunner, findOperation } from '../operations/catalog.js';
import type { Runner, RunnerRegistry, StepOutcome } from '../ports/runner.js';
import type { Repositories, Store, StoreDialect } from '../ports/store.js';
import { systemClock } from '../shared/clock.js';
import { BosunError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { createUlidGenerator } from '../shared/ids.js';
import type { StepFailureData } from '../shared/step-failure.js';
import { abortFailure, StepFailure } from '../shared/step-failure.js';

const ACTOR = 'ana';
/** Longest wait for something the engine should do at once (an event-driven reaction). */
const PROMPTLY_MS = 3_000;
/** Longest wait for a whole run or a lease to run out. */
const EVENTUALLY_MS = 20_000;

type WorkflowDocument = Readonly<Record<string, unknown>>;
type StepDocument = Readonly<Record<string, unknown>>;

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Resolves with the promise's value, or fails naming what did not happen in time. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ── the probe runner: executions the test can see, hold, finish, fail and watch being aborted

interface ProbeExecution {
  /** Which scheduler's registry ran it. */
  readonly label: string;
  readonly stepKey: string;
  readonly attempt: number;
  readonly idempotencyKey: string;
  /** Settles with the abort reason when the engine aborts the attempt. */
  readonly aborted: Promise<unknown>;
  finish(output?: JsonValue): void;
  fail(failure: StepFailureData): void;
}

interface Probe {
  runnerFor(label: string): Runner;
  readonly executions: readonly ProbeExecution[];
  /** The first execution of `stepKey` (with this attempt number, if given), once it starts. */
  started(stepKey: string, attempt?: number): Promise<ProbeExecution>;
  /** The first execution that `matches`, once it starts. */
  firstWhere(matches: (execution: ProbeExecution) => boolean): Promise<ProbeExecution>;
  /** The most executions that were ever in progress at once. */
  readonly maxRunning: number;
}

/**
 * `with:` of a probe step: `hold: true` waits for the test (a number holds only attempts up to
 * it), `ms: N` finishes after N ms, `output: X` is the output; otherwise the output names the
 * step, attempt and which scheduler ran it. Every wait ends when the engine aborts.
 */
function createProbe(): Probe {
  const executions: ProbeExecution[] = [];
  const waiters: {
    matches: (e: ProbeExecution) => boolean;
    resolve: (e: ProbeExecution) => void;
  }[] = [];
  let running = 0;
  let maxRunning = 0;

  const runnerFor = (label: string): Runner => ({
    name: 'probe',
    execute(context) {
      return new Promise<StepOutcome>((resolve, reject) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        const abortReason = deferred<unknown>();
        let timer: ReturnType<typeof setTimeout> | undefined = undefined;
        let settled = false;
        const settle = (finish: () => void) => {
          if (settled) return;
          settled = true;
          running -= 1;
          clearTimeout(timer);
          context.signal.removeEventListener('abort', onAbort);
          finish();
        };
        const onAbort = () => {
          abortReason.resolve(context.signal.reason);
          settle(() => reject(abortFailure(context.signal)));
        };
        const settings = context.settings;
        const execution: ProbeExecution = {
          label,
          stepKey: context.stepKey,
          attempt: context.attempt,
          idempotencyKey: context.idempotencyKey,
          aborted: abortReason.promise,
          finish: (output) =>
            settle(() =>
              resolve({
                output:
                  output ??
                  settings['output'] ??
                  ({ step: context.stepKey, attempt: context.attempt, by: label } as JsonValue),
              }),
            ),
          fail: (failure) => settle(() => reject(new StepFailure(failure))),
        };
        executions.push(execution);
        for (const waiter of waiters.filter((w) => w.matches(execution))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(execution);
        }
        if (context.signal.aborted) {
          onAbort();
          return;
        }
        context.signal.addEventListener('abort', onAbort, { once: true });
        const hold = settings['hold'];
        if (hold === true || (typeof hold === 'number' && context.attempt <= hold)) return;
        const ms = settings['ms'];
        timer = setTimeout(() => execution.finish(), typeof ms === 'number' ? ms : 0);
      });
    },
  });

  function firstWhere(matches: (e: ProbeExecution) => boolean): Promise<ProbeExecution> {
    const found = executions.find(matches);
    if (found) return Promise.resolve(found);
    const waiter = deferred<ProbeExecution>();
    waiters.push({ matches, resolve: waiter.resolve });
    return waiter.promise;
  }

  return {
    runnerFor,
    executions,
    firstWhere,
    started: (stepKey, attempt) =>
      firstWhere((e) => e.stepKey === stepKey && (attempt === undefined || e.attempt === attempt)),
    get maxRunning() {
      return maxRunning;
    },
  };
}

// ── workflows

const mockStep = (id: string, needs: readonly string[] = [], extra: StepDocument = {}) => ({
  id,
  runner: 'mock',
  ...(needs.length > 0 ? { needs: [...needs] } : {}),
  ...extra,
});

const probeStep = (id: string, settings: StepDocument, needs: readonly string[] = []) => ({
  id,
  runner: 'probe',
  with: settings,
  ...(needs.length > 0 ? { needs: [...needs] } : {}),
});

const leafKey = (i: number) => `leaf-${String(i).padStart(3, '0')}`;

/** root → `width` leaves → join. */
function fanOut(width: number, leaf: (id: string) => StepDocument): WorkflowDocument {
  const keys = Array.from({ length: width }, (_, i) => leafKey(i));
  return {
    name: `fan-out of ${width}`,
    steps: [
      mockStep('root'),
      ...keys.map((key) => ({ ...leaf(key), needs: ['root'] })),
      mockStep('join', keys),
    ],
  };
}

// ── stores that misbehave on purpose

/**
 * Pauses the first transaction that counts a group's running steps right after the count, before
 * it claims anything, so that another claimer can try in between (where the store lets it).
 */
function pauseAfterGroupCount(inner: Store, pause: () => Promise<void>): Store {
  let paused = false;
  return {
    dialect: inner.dialect,
    transaction: (mode, work) =>
      inner.transaction(mode, (repos) =>
        work({
          ...repos,
          steps: {
            ...repos.steps,
            async countRunningInGroup(group) {
              const count = await repos.steps.countRunningInGroup(group);
              if (!paused) {
                paused = true;
                await pause();
              }
              return count;
            },
          },
        }),
      ),
    watch: (listener) => inner.watch(listener),
    housekeepInBackground: () => inner.housekeepInBackground(),
    close: () => inner.close(),
  };
}

/** Pauses the first read transaction right after its first look at a run or at its steps. */
function pauseAfterFirstRead(inner: Store, pause: () => Promise<void>): Store {
  let paused = false;
  const once = async <T>(value: T): Promise<T> => {
    if (!paused) {
      paused = true;
      await pause();
    }
    return value;
  };
  return {
    dialect: inner.dialect,
    transaction: (mode, work) =>
      mode !== 'read'
        ? inner.transaction(mode, work)
        : inner.transaction(mode, (repos) =>
            work({
              ...repos,
              runs: {
                ...repos.runs,
                findById: async (id, options) => once(await repos.runs.findById(id, options)),
              },
              steps: {
                ...repos.steps,
                countByStatus: async (runId) => once(await repos.steps.countByStatus(runId)),
              },
            }),
          ),
    watch: (listener) => inner.watch(listener),
    housekeepInBackground: () => inner.housekeepInBackground(),
    close: () => inner.close(),
  };
}

/** A store that can be cut off from its database, as a partitioned worker is. */
function createPartitionedStore(inner: Store): { store: Store; cut(): void; heal(): void } {
  let partitioned = false;
  return {
    store: {
      dialect: inner.dialect,
      transaction(mode, work) {
        if (partitioned) {
          return Promise.reject(
            new BosunError('unavailable', 'the database is unreachable (test partition)', {
              retryable: true,
            }),
          );
        }
        return inner.transaction(mode, work);
      },
      watch: (listener) => inner.watch(listener),
      housekeepInBackground: () => inner.housekeepInBackground(),
      close: () => inner.close(),
    },
    cut: () => {
      partitioned = true;
    },
    heal: () => {
      partitioned = false;
    },
  };
}

export function describeEngineConformance(
  name: StoreDialect,
  openStore: () => Promise<Store>,
): void {
  // Registered only where it applies, so no run reports it as skipped.
  const postgresOnly = name === 'postgres' ? it : () => undefined;
  describe(`Engine conformance: ${name}`, () => {
    let store: Store;
    let newId: IdGenerator;
    let operations: OperationRunner;
    let probe: Probe;
    let schedulers: Scheduler[];
    let schedulerErrors: unknown[];
    const mock = createMockRunner();

    const registry = (label: string): RunnerRegistry =>
      new Map([
        ['mock', mock],
        ['probe', probe.runnerFor(label)],
      ]);

    beforeEach(async () => {
      store = await openStore();
      newId = createUlidGenerator(systemClock);
      probe = createProbe();
      schedulers = [];
      schedulerErrors = [];
      const runnerNames = [...registry('operations').keys()];
      const engine: EngineEnvironment = {
        runnerNames,
        loadWorkflowFile: () => {
          throw new Error('the engine suite starts runs from inline workflows only');
        },
        parseWorkflow: (document) =>
          parseWorkflowDefinition(document, { knownRunners: runnerNames }),
      };
      operations = createOperationRunner({
        store,
        clock: systemClock,
        newId,
        engine,
        validateOutput: true,
      });
    });

    afterEach(async () => {
      try {
        await within(
          Promise.all(schedulers.map((scheduler) => scheduler.stop(0))),
          EVENTUALLY_MS,
          'the schedulers stop',
        );
      } finally {
        await store.close();
      }
      expect(schedulerErrors).toEqual([]);
    });

    interface SchedulerOptions {
      readonly label?: string;
      readonly runId?: string;
      readonly concurrency?: number;
      readonly leaseMs?: number;
      readonly store?: Store;
      readonly onError?: (error: unknown) => void;
      readonly agents?: AgentResolver;
      readonly budgets?: () => readonly BudgetConfig[];
    }

    const ownerOf = (label: string) => `engine-test/${label}`;

    /** A scheduler owned by `engine-test/<label>` (default `a`), stopped after the test. */
    function scheduler(options: SchedulerOptions = {}): Scheduler {
      const label = options.label ?? 'a';
      const created = createScheduler({
        store: options.store ?? store,
        runners: registry(label),
        clock: systemClock,
        newId,
        owner: ownerOf(label),
        workdir: process.cwd(),
        ...(options.runId !== undefined ? { runId: options.runId } : {}),
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
        ...(options.agents !== undefined ? { agents: options.agents } : {}),
        ...(options.budgets !== undefined ? { budgets: options.budgets } : {}),
        onError: options.onError ?? ((error) => schedulerErrors.push(error)),
      });
      schedulers.push(created);
      return created;
    }

    function operation(operationName: string, input: Record<string, unknown>): Promise<unknown> {
      const found = findOperation(operationName);
      if (!found) throw new Error(`the catalog has no operation '${operationName}'`);
      return operations.run(found, input, ACTOR);
    }

    const startRun = async (workflow: WorkflowDocument, input?: Record<string, JsonValue>) =>
      (await operation('run.start', { workflow, ...(input ? { input } : {}) })) as Run;

    const read = <T>(work: (repos: Repositories) => Promise<T>): Promise<T> =>
      store.transaction('read', work);

    const runOf = async (runId: string): Promise<Run> => {
      const found = await read((repos) => repos.runs.findById(runId));
      if (!found) throw new Error(`no run ${runId}`);
      return found;
    };
    const stepsOf = (runId: string): Promise<Step[]> =>
      read((repos) => repos.steps.listForRun(runId));
    const stepOf = async (runId: string, key: string): Promise<Step> => {
      const found = await read((repos) => repos.steps.findByKey(runId, key));
      if (!found) throw new Error(`run ${runId} has no step ${key}`);
      return found;
    };
    const attemptsOf = async (runId: string, key: string): Promise<Attempt[]> => {
      const step = await stepOf(runId, key);
      return read((repos) => repos.attempts.listForStep(step.id));
    };
    const journal = (runId?: string): Promise<JournalEvent[]> =>
      read((repos) => repos.events.list({ after: 0, runId, limit: 100_000 }));
    const eventsOf = (events: readonly JournalEvent[], kind: string, stepKey?: string) =>
      events.filter(
        (e) => e.kind === kind && (stepKey === undefined || e.data['step'] === stepKey),
      );

    /** Waits until `check` holds, re-checking on every commit (and now and then regardless). */
    async function until(check: () => Promise<boolean>, what: string, ms = EVENTUALLY_MS) {
      let wake: (() => void) | undefined;
      const unwatch = store.watch(() => wake?.());
      const deadline = Date.now() + ms;
      try {
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 25);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      } finally {
        unwatch();
      }
    }

    const runEnded = (runId: string) => async () => RunRules.isFinal((await runOf(runId)).status);

    /**
     * The run succeeded, every step succeeded on its first and only attempt, and the journal
     * tells it in order: numbers strictly increasing, run-start first and run-end last, one
     * step-start and one step-end per step, every step started after the steps it needs ended.
     */
    async function expectEachStepRanOnce(runId: string): Promise<JournalEvent[]> {
      const run = await runOf(runId);
      expect(run).toMatchObject({ status: 'succeeded', error: null });
      const steps = await stepsOf(runId);
      expect(steps.length).toBe(run.stepsTotal);
      const unfinished = steps.filter((s) => s.status !== 'succeeded' || s.attempts !== 1);
      expect(unfinished.map((s) => `${s.key}: ${s.status} after ${s.attempts}`)).toEqual([]);
      const events = await journal(runId);
      const seqs = events.map((e) => e.seq);
      expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
      expect(events[0]?.kind).toBe('run-start');
      expect(events.at(-1)).toMatchObject({ kind: 'run-end', data: { status: 'succeeded' } });
      expect(eventsOf(events, 'run-end')).toHaveLength(1);
      const seqOf = (kind: string, key: string): number => {
        const found = eventsOf(events, kind, key);
        expect(found.length, `${kind} events of ${key}`).toBe(1);
        return found[0]!.seq;
      };
      for (const step of steps) {
        const started = seqOf('step-start', step.key);
        const ended = seqOf('step-end', step.key);
        expect(eventsOf(events, 'step-end', step.key)[0]!.data['status']).toBe('succeeded');
        expect(started).toBeLessThan(ended);
        for (const need of step.spec.needs) {
          expect(seqOf('step-end', need), `${need} ends before ${step.key} starts`).toBeLessThan(
            started,
          );
        }
      }
      expect(eventsOf(events, 'step-start')).toHaveLength(steps.length);
      expect(eventsOf(events, 'step-end')).toHaveLength(steps.length);
      return events;
    }

    describe('completing runs', () => {
      it('runs a chain step by step, each step once, and journals it in order', async () => {
        const keys = ['fetch', 'build', 'test', 'package', 'publish', 'announce'];
        const run = await startRun({
          name: 'chain',
          steps: keys.map((key, i) => mockStep(key, i > 0 ? [keys[i - 1]!] : [])),
        });
        const result = await scheduler({ runId: run.id }).run();
        expect(result.exit).toBe('ended');
        expect(result.run?.status).toBe('succeeded');
        const events = await expectEachStepRanOnce(run.id);
        expect(eventsOf(events, 'step-start').map((e) => e.data['step'])).toEqual(keys);
      });

      it('runs a fan-out and its join, the branches side by side up to the concurrency', async () => {
        const run = await startRun(fanOut(12, (id) => probeStep(id, { ms: 20 })));
        const result = await scheduler({ runId: run.id, concurrency: 4 }).run();
        expect(result.run?.status).toBe('succeeded');
        await expectEachStepRanOnce(run.id);
        expect(probe.executions).toHaveLength(12);
        expect(probe.maxRunning).toBe(4);
      });

      it('renders templates with the run input and the outputs of the steps upstream', async () => {
        const run = await startRun(
          {
            name: 'templates',
            input: { who: { required: true } },
            steps: [
              mockStep('make', [], {
                with: { output: { word: 'boat', count: 3, list: ['x', 'y'] } },
              }),
              mockStep('use', ['make'], {
                input: {
                  whole: '{{ steps.make.output }}',
                  count: '{{ steps.make.output.count }}',
                  second: '{{ steps.make.output.list.1 }}',
                  text: 'a {{ steps.make.output.word }} for {{ input.who }}',
                },
              }),
              probeStep('echo', { output: '{{ steps.use.output.input.text }}' }, ['use']),
            ],
          },
          { who: 'Ana' },
        );
        const result = await scheduler({ runId: run.id }).run();
        expect(result.run?.status).toBe('succeeded');
        expect((await stepOf(run.id, 'use')).output).toEqual({
          step: 'use',
          input: {
            whole: { word: 'boat', count: 3, list: ['x', 'y'] },
            count: 3,
            second: 'y',
            text: 'a boat for Ana',
          },
        });
        expect((await stepOf(run.id, 'echo')).output).toBe('a boat for Ana');
      });
    });

    describe('limits', () => {
      it('never runs more steps of a concurrency group at once than its limit, across runs and schedulers', async () => {
        const gpuRun = (name: string) =>
          startRun({
            name,
            groups: { gpu: 2 },
            steps: Array.from({ length: 4 }, (_, i) => ({
              ...probeStep(`render-${i}`, { ms: 50 }),
              concurrency: 'gpu',
            })),
          });
        const first = await gpuRun('first');
        const second = await gpuRun('second');
        // a has counted the group's running steps and not yet claimed when b tries: b must wait
        // for a's claims (or see them), never count the group as free too.
        const counted = deferred();
        const bClaimed = probe.firstWhere((execution) => execution.label === 'b');
        const slowed = pauseAfterGroupCount(store, async () => {
          counted.resolve();
          await Promise.race([bClaimed, new Promise((resolve) => setTimeout(resolve, 500))]);
        });
        const a = scheduler({ label: 'a', store: slowed, runId: first.id, concurrency: 4 }).run();
        await within(counted.promise, PROMPTLY_MS, 'a counts the running steps of the group');
        const b = scheduler({ label: 'b', runId: second.id, concurrency: 4 }).run();
        await Promise.all([a, b]);
        await expectEachStepRanOnce(first.id);
        await expectEachStepRanOnce(second.id);
        expect(probe.maxRunning).toBe(2);
      });
    });

    describe('failures and retries', () => {
      it('fails the run as soon as a step fails and stops the steps still running', async () => {
        const run = await startRun({
          name: 'fail fast',
          steps: [
            mockStep('root'),
            probeStep('bad', { hold: true }, ['root']),
            probeStep('slow-1', { hold: true }, ['root']),
            probeStep('slow-2', { hold: true }, ['root']),
            mockStep('after', ['bad', 'slow-1', 'slow-2']),
          ],
        });
        // The default lease (30 s) keeps the heartbeat out of it: the stop must come at once.
        const running = scheduler({ runId: run.id, concurrency: 4 }).run();
        const [bad, slow1, slow2] = await within(
          Promise.all([probe.started('bad'), probe.started('slow-1'), probe.started('slow-2')]),
          PROMPTLY_MS,
          'the three branches start',
        );
        bad!.fail({ kind: 'error', message: 'disk full', retryable: false, outputTail: '' });
        const reasons = await within(
          Promise.all([slow1!.aborted, slow2!.aborted]),
          PROMPTLY_MS,
          'the running siblings are aborted',
        );
        for (const reason of reasons) {
          expect(StepFailure.from(reason).kind).toBe('cancelled');
        }
        const result = await within(running, PROMPTLY_MS, 'the scheduler returns');
        expect(result.exit).toBe('ended');
        const ended = await runOf(run.id);
        expect(ended).toMatchObject({ status: 'failed' });
        expect(ended.error).toContain('bad');
        expect(ended.error).toContain('disk full');
        const statuses = Object.fromEntries((await stepsOf(run.id)).map((s) => [s.key, s.status]));
        expect(statuses).toEqual({
          root: 'succeeded',
          bad: 'failed',
          'slow-1': 'cancelled',
          'slow-2': 'cancelled',
          after: 'cancelled',
        });
        expect((await attemptsOf(run.id, 'slow-1')).map((a) => a.status)).toEqual(['cancelled']);
        expect((await attemptsOf(run.id, 'after')).length).toBe(0);
        const events = await journal(run.id);
        expect(eventsOf(events, 'step-start', 'after')).toEqual([]);
        expect(eventsOf(events, 'run-end')).toEqual([
          expect.objectContaining({ data: expect.objectContaining({ status: 'failed' }) }),
        ]);
      });

      it('retries a retryable failure after the backoff, growing by the factor, with a new key per try', async () => {
        const run = await startRun({
          name: 'retry',
          steps: [
            mockStep('flaky', [], {
              with: { fail_attempts: 2 },
              retry: { attempts: 3, backoff: '100ms', factor: 2 },
            }),
            // Runs all along: the retries must not wait for it to finish or for a lease sweep.
            probeStep('slow', { hold: true }),
          ],
        });
        const running = scheduler({ runId: run.id }).run();
        const slow = await within(probe.started('slow'), PROMPTLY_MS, 'the sibling starts');
        await until(
          async () => (await stepOf(run.id, 'flaky')).status === 'succeeded',
          'the flaky step succeeds',
        );
        slow.finish();
        expect((await running).run?.status).toBe('succeeded');
        const attempts = await attemptsOf(run.id, 'flaky');
        expect(attempts.map((a) => [a.number, a.try, a.status, a.idempotencyKey])).toEqual([
          [1, 0, 'failed', `${run.id}:flaky:1`],
          [2, 1, 'failed', `${run.id}:flaky:2`],
          [3, 2, 'succeeded', `${run.id}:flaky:3`],
        ]);
        const events = await journal(run.id);
        const retries = eventsOf(events, 'step-retry', 'flaky');
        const starts = eventsOf(events, 'step-start', 'flaky');
        expect(retries).toHaveLength(2);
        expect(starts).toHaveLength(3);
        const waits = retries.map(
          (retry) => Date.parse(String(retry.data['at'])) - Date.parse(retry.at),
        );
        expect(waits).toEqual([100, 200]);
        for (const [i, retry] of retries.entries()) {
          const due = Date.parse(String(retry.data['at']));
          const startedAt = Date.parse(starts[i + 1]!.at);
          expect(startedAt).toBeGreaterThanOrEqual(due);
          // Woken by the end of the backoff, not by a later sweep (the default lease is 30 s).
          expect(startedAt - due, `try ${i + 2} started late`).toBeLessThan(1_000);
        }
        const output = (await stepOf(run.id, 'flaky')).output as { previous_attempts: unknown[] };
        expect(output.previous_attempts).toHaveLength(2);
      });
    });

    describe('leases', () => {
      it('re-runs a step whose lease expired under the same key, and ignores the late completion of the lost attempt', async () => {
        const run = await startRun({ name: 'lease', steps: [probeStep('job', { hold: true })] });
        const partition = createPartitionedStore(store);
        const cutOff = scheduler({
          label: 'a',
          store: partition.store,
          concurrency: 1,
          leaseMs: 300,
          // Everything it tries while cut off fails; that is the point.
          onError: () => undefined,
        });
        void cutOff.run();
        const first = await within(probe.started('job'), PROMPTLY_MS, 'a claims the step');
        partition.cut();
        try {
          void scheduler({ label: 'b', leaseMs: 300 }).run();
          const second = await within(probe.started('job', 2), EVENTUALLY_MS, 'b re-runs the step');
          expect(second).toMatchObject({
            label: 'b',
            attempt: first.attempt + 1,
            idempotencyKey: first.idempotencyKey,
          });
          expect(first).toMatchObject({ label: 'a', attempt: 1 });

          // The lost attempt finishes after all, once its worker reaches the database again.
          partition.heal();
          first.finish({ by: 'a, too late' });
          await until(
            async () => (await attemptsOf(run.id, 'job'))[0]?.status === 'succeeded',
            'the late outcome is recorded on the lost attempt',
          );
          const attempts = await attemptsOf(run.id, 'job');
          expect(attempts.map((a) => [a.number, a.owner, a.idempotencyKey])).toEqual([
            [1, ownerOf('a'), first.idempotencyKey],
            [2, ownerOf('b'), first.idempotencyKey],
          ]);
          expect(await stepOf(run.id, 'job')).toMatchObject({
            status: 'running',
            attemptId: attempts[1]!.id,
            leaseOwner: ownerOf('b'),
            output: null,
          });

          second.finish();
          await until(runEnded(run.id), 'the run ends');
          expect((await runOf(run.id)).status).toBe('succeeded');
          expect((await stepOf(run.id, 'job')).output).toEqual({
            step: 'job',
            attempt: 2,
            by: 'b',
          });
          const events = await journal(run.id);
          expect(eventsOf(events, 'step-lost', 'job')).toEqual([
            expect.objectContaining({ data: expect.objectContaining({ attempt: 1 }) }),
          ]);
          expect(
            eventsOf(events, 'step-start', 'job').map((e) => e.data['idempotencyKey']),
          ).toEqual([first.idempotencyKey, first.idempotencyKey]);
          expect(eventsOf(events, 'step-end', 'job')).toEqual([
            expect.objectContaining({ data: expect.objectContaining({ attempt: 2 }) }),
          ]);
        } finally {
          partition.heal();
        }
      });
    });

    describe('control', () => {
      it('releases a running step back to ready on a graceful stop, and a new scheduler finishes it', async () => {
        const run = await startRun({
          name: 'stop',
          steps: [probeStep('slow', { hold: 1 }), mockStep('next', ['slow'])],
        });
        const first = scheduler({ label: 'a', runId: run.id });
        const running = first.run();
        const held = await within(probe.started('slow'), PROMPTLY_MS, 'the step starts');
        await first.stop(50);
        expect(await running).toEqual({ exit: 'stopped', run: null });
        expect(StepFailure.from(await held.aborted).kind).toBe('lost');
        expect(await stepOf(run.id, 'slow')).toMatchObject({
          status: 'ready',
          leaseOwner: null,
          attemptId: null,
          tries: 0,
        });
        expect((await attemptsOf(run.id, 'slow')).map((a) => a.status)).toEqual(['lost']);
        expect(eventsOf(await journal(run.id), 'step-release', 'slow')).toHaveLength(1);

        const result = await scheduler({ label: 'b', runId: run.id }).run();
        expect(result.run?.status).toBe('succeeded');
        const attempts = await attemptsOf(run.id, 'slow');
        expect(attempts.map((a) => [a.number, a.status, a.owner])).toEqual([
          [1, 'lost', ownerOf('a')],
          [2, 'succeeded', ownerOf('b')],
        ]);
        expect(attempts[1]!.idempotencyKey).toBe(attempts[0]!.idempotencyKey);
        expect(eventsOf(await journal(run.id), 'step-end', 'slow')).toHaveLength(1);
      });

      it('lets a step that finishes within the grace period of a stop succeed', async () => {
        const run = await startRun({ name: 'grace', steps: [probeStep('quick', { ms: 100 })] });
        const first = scheduler({ runId: run.id });
        const running = first.run();
        await within(probe.started('quick'), PROMPTLY_MS, 'the step starts');
        await first.stop(10_000);
        expect((await running).exit).toBe('stopped');
        expect(await stepOf(run.id, 'quick')).toMatchObject({ status: 'succeeded', attempts: 1 });
        expect(eventsOf(await journal(run.id), 'step-release')).toEqual([]);
      });

      it('aborts the running step when the run is cancelled, and cancels the rest', async () => {
        const run = await startRun({
          name: 'cancel',
          steps: [probeStep('slow', { hold: true }), mockStep('later', ['slow'])],
        });
        const running = scheduler({ runId: run.id }).run();
        const held = await within(probe.started('slow'), PROMPTLY_MS, 'the step starts');
        const cancelled = (await operation('run.cancel', {
          run: run.id,
          reason: 'changed my mind',
        })) as Run;
        expect(cancelled.status).toBe('cancelled');
        const reason = await within(held.aborted, PROMPTLY_MS, 'the runner is aborted');
        expect(StepFailure.from(reason).kind).toBe('cancelled');
        const result = await within(running, PROMPTLY_MS, 'the scheduler returns');
        expect(result).toMatchObject({ exit: 'ended', run: { status: 'cancelled' } });
        expect((await stepsOf(run.id)).map((s) => [s.key, s.status])).toEqual([
          ['slow', 'cancelled'],
          ['later', 'cancelled'],
        ]);
        expect((await attemptsOf(run.id, 'slow')).map((a) => a.status)).toEqual(['cancelled']);
        const events = await journal(run.id);
        expect(eventsOf(events, 'run-cancel')).toHaveLength(1);
        expect(events.at(-1)).toMatchObject({
          kind: 'run-end',
          data: { status: 'cancelled', error: 'changed my mind' },
        });
      });

      it('claims nothing new while a run is paused, and goes on after resume', async () => {
        const run = await startRun({
          name: 'pause',
          steps: [
            probeStep('first', { hold: true }),
            mockStep('second', ['first']),
            mockStep('third', ['second']),
          ],
        });
        const running = scheduler({ label: 'a', runId: run.id }).run();
        const held = await within(probe.started('first'), PROMPTLY_MS, 'the first step starts');
        expect(((await operation('run.pause', { run: run.id })) as Run).status).toBe('paused');
        held.finish();
        const result = await within(running, PROMPTLY_MS, 'the scheduler returns');
        expect(result).toMatchObject({ exit: 'blocked', run: { status: 'paused' } });
        expect((await stepsOf(run.id)).map((s) => [s.key, s.status, s.attempts])).toEqual([
          ['first', 'succeeded', 1],
          ['second', 'ready', 0],
          ['third', 'waiting', 0],
        ]);
        expect(eventsOf(await journal(run.id), 'step-start', 'second')).toEqual([]);

        expect(((await operation('run.resume', { run: run.id })) as Run).status).toBe('running');
        const resumed = await scheduler({ label: 'b', runId: run.id }).run();
        expect(resumed.run?.status).toBe('succeeded');
        const events = await expectEachStepRanOnce(run.id);
        const kinds = events.map((e) => e.kind);
        expect(kinds.indexOf('run-pause')).toBeLessThan(kinds.indexOf('run-resume'));
      });
    });

    describe('budgets and the cost ledger', () => {
      it('holds the step whose worst case no longer fits a run budget, and records every call', async () => {
        // An agent on a model whose one call may cost $0.01 (1,000 output tokens at $10 per
        // million); each step really spends that. A run budget of $0.02 affords two of three.
        const config = AgentConfigSchema.parse({ role: 'writer', runner: 'mock', max_steps: 1 });
        const model = {
          name: 'priced',
          ...ModelConfigSchema.parse({
            provider: 'mock',
            model: 'm',
            max_output_tokens: 1000,
            price: { input: 0, output: 10 },
          }),
        };
        const agents: AgentResolver = () => ({
          runner: 'mock',
          profile: { name: 'writer', config, instructions: '', model },
          choice: { agent: 'writer', model: 'priced', reason: 'test' },
        });
        const spend = { usage: { input_tokens: 0, output_tokens: 1000, cost_usd: 0.01 } };
        const run = await startRun({
          name: 'three',
          steps: [
            { id: 'one', role: 'writer', with: spend },
            { id: 'two', role: 'writer', needs: ['one'], with: spend },
            { id: 'three', role: 'writer', needs: ['two'], with: spend },
          ],
        });
        const result = await scheduler({
          runId: run.id,
          agents,
          budgets: () => [{ scope: 'run', usd: 0.02 }],
        }).run();
        expect(result.exit).toBe('blocked');
        expect((await stepsOf(run.id)).map((s) => [s.key, s.status])).toEqual([
          ['one', 'succeeded'],
          ['two', 'succeeded'],
          ['three', 'held'],
        ]);
        expect((await stepOf(run.id, 'three')).error?.message).toMatch(
          /^budget_exceeded: run budget of \$0\.02: \$0\.02 spent or reserved/,
        );
        expect(eventsOf(await journal(run.id), 'step-held', 'three')).toHaveLength(1);
        const ledger = await read((repos) => repos.ledger.report({ by: 'agent', runId: run.id }));
        expect(ledger).toEqual([
          expect.objectContaining({ key: 'writer', calls: 2, outputTokens: 2000, costUsd: 0.02 }),
        ]);
        // Settled, no reservation left behind.
        const used = await read((repos) => repos.budgets.usage([`run:${run.id}`]));
        expect(used.get(`run:${run.id}`)).toEqual({ usd: 0.02, tokens: 2000 });
      });
    });

    describe('claiming without a queue lookup', () => {
      it('takes a run started elsewhere while it works through a chain, not after it', async () => {
        // Between its own steps the worker claims what it released itself, without a lookup,
        // only while nothing else has committed: the new run's commit must make it look again.
        const chainRun = await startRun({
          name: 'long-chain',
          steps: Array.from({ length: 40 }, (_, i) =>
            mockStep(`c${i + 1}`, i === 0 ? [] : [`c${i}`], { with: { latency: '10ms' } }),
          ),
        });
        // One at a time: the new run's step, ready before the chain's next one, must come first.
        const worker = scheduler({ label: 'worker', concurrency: 1 }).run({ untilIdle: true });
        await until(
          async () => (await stepOf(chainRun.id, 'c3')).status === 'succeeded',
          'the chain is under way',
        );
        const other = await startRun({ name: 'meanwhile', steps: [mockStep('only')] });
        await until(
          async () => RunRules.isFinal((await runOf(other.id)).status),
          'the new run ends',
        );
        expect((await runOf(other.id)).status).toBe('succeeded');
        // The chain still had most of its 40 steps to go.
        expect(RunRules.isFinal((await runOf(chainRun.id)).status)).toBe(false);
        await within(worker, EVENTUALLY_MS, 'the worker goes idle');
        await expectEachStepRanOnce(chainRun.id);
      });
    });

    describe('concurrent schedulers', () => {
      it('never hands the same step to two schedulers (a fan-out of 200 shared by two)', async () => {
        const run = await startRun(fanOut(200, (id) => probeStep(id, { ms: 1 })));
        const [a, b] = await Promise.all([
          scheduler({ label: 'a', runId: run.id, concurrency: 8 }).run(),
          scheduler({ label: 'b', runId: run.id, concurrency: 8 }).run(),
        ]);
        expect([a.exit, b.exit]).toEqual(['ended', 'ended']);
        const runsPerStep = new Map<string, number>();
        for (const execution of probe.executions) {
          runsPerStep.set(execution.stepKey, (runsPerStep.get(execution.stepKey) ?? 0) + 1);
        }
        expect(runsPerStep.size).toBe(200);
        expect([...runsPerStep.entries()].filter(([, n]) => n !== 1)).toEqual([]);
        const byLabel = (label: string) => probe.executions.filter((e) => e.label === label).length;
        // Both took part, or the test proved nothing about sharing.
        expect(byLabel('a')).toBeGreaterThan(0);
        expect(byLabel('b')).toBeGreaterThan(0);
        await expectEachStepRanOnce(run.id);
      });

      it('returns ended, not blocked, when its run is finished elsewhere while it looks', async () => {
        const run = await startRun({
          name: 'elsewhere',
          steps: [probeStep('only', { hold: true })],
        });
        void scheduler({ label: 'a' }).run();
        const held = await within(probe.started('only'), PROMPTLY_MS, 'a claims the step');
        // b finds nothing to claim and looks at whether its run can go on; meanwhile a ends it.
        const looking = deferred();
        const endedElsewhere = deferred();
        const slowed = pauseAfterFirstRead(store, async () => {
          looking.resolve();
          await Promise.race([
            endedElsewhere.promise,
            new Promise((resolve) => setTimeout(resolve, 500)),
          ]);
        });
        const watching = scheduler({ label: 'b', store: slowed, runId: run.id }).run();
        await within(looking.promise, PROMPTLY_MS, 'b looks at its run');
        held.finish();
        await until(runEnded(run.id), 'a ends the run');
        endedElsewhere.resolve();
        expect(await within(watching, PROMPTLY_MS, 'b returns')).toMatchObject({
          exit: 'ended',
          run: { status: 'succeeded' },
        });
      });
    });

    describe('waking schedulers', () => {
      it('calls watchers after a write transaction commits, never after a read', async () => {
        let calls = 0;
        const unwatch = store.watch(() => {
          calls += 1;
        });
        try {
          await read((repos) => repos.runs.list({}));
          // A read waking every scheduler would have each run a claim transaction for nothing.
          expect(calls).toBe(0);
          await startRun({ name: 'one', steps: [mockStep('only')] });
          expect(calls).toBeGreaterThan(0);
        } finally {
          unwatch();
        }
      });
    });

    describe('counting runs', () => {
      it('counts the runs a filter keeps, with no limit', async () => {
        for (let i = 0; i < 3; i++) await startRun({ name: `r${i}`, steps: [mockStep('only')] });
        expect(await read((repos) => repos.runs.count({ status: ['running', 'paused'] }))).toBe(3);
        expect(await read((repos) => repos.runs.count({ status: ['succeeded'] }))).toBe(0);
        expect(await read((repos) => repos.runs.count({}))).toBe(3);
      });
    });

    describe('metrics', () => {
      it('counts every run’s steps by status and buckets the finished attempts by duration', async () => {
        await startRun({
          name: 'waiting',
          steps: [mockStep('first'), mockStep('second', ['first'])],
        });
        expect(await read((repos) => repos.steps.countAllByStatus())).toEqual({
          ready: 1,
          waiting: 1,
        });
        const empty = await read((repos) => repos.attempts.durationHistogram([1, 60]));
        expect(empty).toEqual({ buckets: [0, 0], count: 0, sumSeconds: 0 });

        const done = await startRun({
          name: 'done',
          steps: [mockStep('a'), mockStep('b', ['a'], { with: { latency: '30ms' } })],
        });
        expect((await scheduler({ runId: done.id }).run()).run?.status).toBe('succeeded');
        expect(await read((repos) => repos.steps.countAllByStatus())).toEqual({
          ready: 1,
          waiting: 1,
          succeeded: 2,
        });
        const histogram = await read((repos) =>
          repos.attempts.durationHistogram([0.000001, 0.02, 3600]),
        );
        expect(histogram.count).toBe(2);
        expect(histogram.buckets[2]).toBe(2);
        // The 30 ms step is past the 20 ms bound; the buckets are cumulative.
        expect(histogram.buckets[1]).toBeLessThanOrEqual(1);
        expect(histogram.buckets[0]).toBeLessThanOrEqual(histogram.buckets[1]!);
        expect(histogram.sumSeconds).toBeGreaterThanOrEqual(0.03);
        expect(histogram.sumSeconds).toBeLessThan(60);
      });
    });

    describe('event feed', () => {
      it('delivers every event of a run once and in order while two schedulers execute it', async () => {
        const run = await startRun(
          fanOut(40, (id) => mockStep(id, [], { with: { latency: 2, emit: [`${id} working`] } })),
        );
        const feed = createEventFeed({ store, after: 0, runId: run.id, batch: 7 });
        const delivered: JournalEvent[] = [];
        const following = feed.follow(
          (events) => {
            delivered.push(...events);
          },
          { stop: runEnded(run.id), pollMs: 50 },
        );
        await Promise.all([
          scheduler({ label: 'a', runId: run.id, concurrency: 4 }).run(),
          scheduler({ label: 'b', runId: run.id, concurrency: 4 }).run(),
        ]);
        await within(following, PROMPTLY_MS, 'the feed stops after the run ended');
        const stored = await journal(run.id);
        expect(delivered.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
        expect(delivered).toEqual(stored);
        expect(delivered.at(-1)?.kind).toBe('run-end');
        expect(eventsOf(delivered, 'step-output').length).toBeGreaterThan(0);
      });

      // SQLite writers run one at a time, so its numbers are handed out in commit order: the
      // case exists only on PostgreSQL.
      postgresOnly(
        'holds back an event committed behind an open transaction until that one commits (PostgreSQL)',
        async () => {
          const marker = (n: number) => ({
            at: systemClock.now().toISOString(),
            runId: null,
            stepId: null,
            kind: 'test-marker',
            data: { n },
          });
          // Held transactions are let go whatever happens, or closing the store would wait for them.
          const holds: { release: () => void; done: Promise<unknown> }[] = [];
          const appendAndHold = (n: number, outcome: 'commit' | 'rollback') => {
            const appended = deferred();
            const release = deferred();
            const done = store.transaction('write', async (repos) => {
              await repos.events.append([marker(n)]);
              appended.resolve();
              await release.promise;
              if (outcome === 'rollback') throw new Error('rolled back on purpose');
            });
            holds.push({ release: release.resolve, done: done.catch(() => undefined) });
            return { appended: appended.promise, release: release.resolve, done };
          };
          const append = (n: number) =>
            store.transaction('write', (repos) => repos.events.append([marker(n)]));
          const numbers = (events: readonly JournalEvent[]) => events.map((e) => e.data['n']);

          try {
            const start = await read((repos) => repos.events.maxSeq());
            const feed = createEventFeed({ store, after: start });

            const slow = appendAndHold(1, 'commit');
            await slow.appended;
            await append(2);
            expect(numbers(await feed.read())).toEqual([]);
            expect(numbers(await feed.read())).toEqual([]);
            slow.release();
            await slow.done;
            const both = await feed.read();
            expect(numbers(both)).toEqual([1, 2]);
            expect(both[0]!.seq).toBeLessThan(both[1]!.seq);

            const doomed = appendAndHold(3, 'rollback');
            await doomed.appended;
            await append(4);
            expect(numbers(await feed.read())).toEqual([]);
            doomed.release();
            await expect(doomed.done).rejects.toThrow('rolled back on purpose');
            // The gap is final once every transaction that was open when it was seen has ended.
            const after = await feed.read();
            expect(numbers(after)).toEqual([4]);
            expect(after[0]!.seq).toBeGreaterThan(both[1]!.seq + 1);
            expect(await feed.read()).toEqual([]);
          } finally {
            for (const hold of holds) hold.release();
            await Promise.all(holds.map((hold) => hold.done));
          }
        },
      );
    });
  });
}
