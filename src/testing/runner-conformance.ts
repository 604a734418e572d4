/**
 * The conformance suite every Runner adapter must pass: what the engine relies on, whatever does
 * the work. A runner resolves with JSON-serializable output or rejects with a StepFailure that
 * survives the journal; it hands back the engine's abort reason, promptly, leaving no process
 * behind; it does nothing at all for an attempt that is already aborted; the idempotency key and
 * earlier failures reach the work; progress goes through `emit`. Each runner supplies a script
 * saying which of its settings produce each behaviour.
 */

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonValue } from '../domain/workflow.js';
import type {
  PreviousAttempt,
  Runner,
  StepAttemptContext,
  StepOutputStream,
} from '../ports/runner.js';
import { StepFailure } from '../shared/step-failure.js';
import type { FailureKind } from '../shared/step-failure.js';
import { createStepContext } from './step-context.js';
import type { EmittedLine, TestStepContext } from './step-context.js';

type Settings = StepAttemptContext['settings'];

/** How long an aborted runner may take to give up: the shell's SIGKILL grace (5 s) plus slack. */
const ABORT_BOUND_MS = 10_000;

export interface RunnerConformanceScript {
  /** Settings with which the runner succeeds, given `input`, with exactly `output`. */
  readonly succeeds: {
    readonly settings: Settings;
    readonly input: JsonValue;
    readonly output: JsonValue;
  };
  /** Settings with which the runner fails with a StepFailure of kind 'error'. */
  readonly fails: {
    readonly settings: Settings;
    /** A part of the failure's message. */
    readonly message: string;
    readonly retryable: boolean;
    /** A part of the failure's output tail (what the failing work printed). */
    readonly outputTail: string;
  };
  /** Settings the runner refuses, and the key its refusal must name. */
  readonly invalidSettings: { readonly settings: Settings; readonly key: string };
  /**
   * Settings that keep the runner busy until it is aborted. It must emit something once the work
   * is under way: the suite waits for that before aborting, rather than sleeping.
   */
  readonly runsUntilAborted: {
    readonly settings: Settings;
    /**
     * The processes the work started (read from files it wrote into `workdir`), for runners that
     * start processes: none may outlive an abort, and none may start when already aborted.
     */
    readonly processIds?: (workdir: string) => Promise<readonly number[]>;
  };
  /** Settings with which the runner reports exactly these lines (per stream, in order). */
  readonly emits: { readonly settings: Settings; readonly lines: readonly EmittedLine[] };
  /** Settings whose output shows what the work was handed, and how to read that from it. */
  readonly echoes: {
    readonly settings: Settings;
    readonly read: (output: JsonValue) => {
      readonly idempotencyKey: unknown;
      readonly previousErrors: unknown;
    };
  };
}

export function describeRunnerConformance(
  name: string,
  make: () => Runner,
  script: RunnerConformanceScript,
): void {
  describe(`runner conformance: ${name}`, () => {
    let workdir = '';
    beforeEach(async () => {
      workdir = await mkdtemp(join(tmpdir(), 'bosun-runner-'));
    });
    afterEach(async () => {
      await rm(workdir, { recursive: true, force: true });
    });
    const contextWith = (
      overrides: Parameters<typeof createStepContext>[0] = {},
    ): TestStepContext => createStepContext({ workdir, ...overrides });

    /** Starts the long-running case, waits until it is under way, aborts it, returns the failure. */
    async function abortMidRun(reason?: unknown): Promise<unknown> {
      const context = contextWith({ settings: script.runsUntilAborted.settings });
      const execution = settled(make().execute(context));
      const first = await within(
        Promise.race([context.firstEmit(), execution]),
        ABORT_BOUND_MS,
        'the long-running case to emit its first line',
      );
      if (!('stream' in first)) {
        throw new Error(`the long-running case ended before it was aborted: ${show(first)}`);
      }
      if (reason === undefined) context.abort();
      else context.abort(reason);
      const outcome = await within(execution, ABORT_BOUND_MS, 'the runner to give up after abort');
      if (!('failure' in outcome)) throw new Error('the runner resolved although it was aborted');
      await expectNoProcessesLeft(workdir);
      return outcome.failure;
    }

    async function expectNoProcessesLeft(folder: string): Promise<void> {
      const processIds = script.runsUntilAborted.processIds;
      if (processIds === undefined) return;
      const started = await processIds(folder);
      // The script must see the processes it started, or this check could not fail.
      expect(started.length).toBeGreaterThan(0);
      expect(await waitUntilProcessesExit(started, ABORT_BOUND_MS)).toEqual([]);
    }

    it('succeeds with the scripted output, which survives JSON serialization', async () => {
      const context = contextWith({
        settings: script.succeeds.settings,
        input: script.succeeds.input,
      });
      const outcome = await make().execute(context);
      expect(outcome.output).toEqual(script.succeeds.output);
      expect(JSON.parse(JSON.stringify(outcome.output))).toEqual(outcome.output);
      if (outcome.usage !== undefined) {
        for (const value of Object.values(outcome.usage)) {
          expect(Number.isFinite(value) && value >= 0).toBe(true);
        }
      }
    });

    it('rejects a failure as a StepFailure with its kind, message and output tail', async () => {
      const context = contextWith({ settings: script.fails.settings });
      const failure = await rejectionOf(make().execute(context));
      expect(failure).toBeInstanceOf(StepFailure);
      const { kind, message, retryable, outputTail } = failure as StepFailure;
      expect({ kind, retryable }).toEqual({ kind: 'error', retryable: script.fails.retryable });
      expect(message).toContain(script.fails.message);
      expect(typeof outputTail).toBe('string');
      expect(outputTail).toContain(script.fails.outputTail);
      // What the journal stores and hands to the next attempt as `previous_attempts`.
      expect(JSON.parse(JSON.stringify(failure))).toMatchObject({
        kind,
        message,
        retryable,
        outputTail,
      });
    });

    it('refuses invalid settings with a non-retryable error naming the key', async () => {
      const context = contextWith({ settings: script.invalidSettings.settings });
      const failure = await rejectionOf(make().execute(context));
      expect(failure).toBeInstanceOf(StepFailure);
      expect((failure as StepFailure).kind).toBe('error');
      expect((failure as StepFailure).retryable).toBe(false);
      expect((failure as StepFailure).message).toContain(script.invalidSettings.key);
    });

    it.each<FailureKind>(['cancelled', 'timeout', 'lost'])(
      'rejects with the abort reason when aborted mid-run (%s), leaving no process behind',
      async (kind) => {
        const reason = new StepFailure({
          kind,
          message: `aborted by the test (${kind})`,
          retryable: kind !== 'cancelled',
          outputTail: '',
        });
        expect(await abortMidRun(reason)).toBe(reason);
      },
    );

    it('reports an abort without a StepFailure reason as cancelled', async () => {
      const failure = await abortMidRun();
      expect(failure).toBeInstanceOf(StepFailure);
      expect((failure as StepFailure).kind).toBe('cancelled');
    });

    it('rejects an already-aborted attempt without starting the work', async () => {
      const context = contextWith({ settings: script.runsUntilAborted.settings });
      const reason = new StepFailure({
        kind: 'cancelled',
        message: 'cancelled before it started',
        retryable: false,
        outputTail: '',
      });
      context.abort(reason);
      const outcome = await within(
        settled(make().execute(context)),
        ABORT_BOUND_MS,
        'the runner to refuse an aborted attempt',
      );
      expect(outcome).toEqual({ failure: reason });
      expect(context.emitted).toEqual([]);
      const processIds = script.runsUntilAborted.processIds;
      if (processIds !== undefined) expect(await processIds(workdir)).toEqual([]);
    });

    it('hands the idempotency key and earlier failures to the work', async () => {
      // A re-run after a lost lease: attempt 3 carries the key of the attempt it repeats.
      const previousAttempts: PreviousAttempt[] = [
        {
          attempt: 1,
          kind: 'error',
          error: 'first failure',
          outputTail: 'x',
          comment: null,
          session: null,
        },
        {
          attempt: 2,
          kind: 'lost',
          error: 'worker died',
          outputTail: '',
          comment: null,
          session: null,
        },
      ];
      const context = contextWith({
        settings: script.echoes.settings,
        runId: 'run_echo',
        stepId: 'step_echo',
        attempt: 3,
        idempotencyKey: 'run_echo:step_echo:2',
        previousAttempts,
      });
      const outcome = await make().execute(context);
      expect(script.echoes.read(outcome.output)).toEqual({
        idempotencyKey: 'run_echo:step_echo:2',
        previousErrors: ['first failure', 'worker died'],
      });
    });

    it('reports progress through emit', async () => {
      const context = contextWith({ settings: script.emits.settings });
      await make().execute(context);
      const streams = new Set<StepOutputStream>(script.emits.lines.map((line) => line.stream));
      for (const stream of streams) {
        const expected = script.emits.lines.filter((line) => line.stream === stream);
        expect(context.linesOf(stream)).toEqual(expected.map((line) => line.text));
      }
    });
  });
}

/**
 * Whether a process is still running. A process that exited but was not yet reaped by its parent
 * (a zombie; some container inits never reap orphans) runs nothing and counts as gone.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!existsSync('/proc/self/stat')) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Waits (polling, as there is no event for another process's exit) until none of `pids` is
 * running or `timeoutMs` has passed; returns the ones still running.
 */
export async function waitUntilProcessesExit(
  pids: readonly number[],
  timeoutMs: number,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = pids.filter(isProcessRunning);
    if (running.length === 0 || Date.now() >= deadline) return running;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

type Settled<T> = { readonly value: T } | { readonly failure: unknown };

function settled<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ value }),
    (failure: unknown) => ({ failure }),
  );
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await settled(promise);
  if ('failure' in outcome) return outcome.failure;
  throw new Error(`expected a rejection, got ${show(outcome.value)}`);
}

/** Settles like `promise`, or fails naming what it waited for once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
