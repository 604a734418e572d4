/**
 * The mock runner: a deterministic stand-in for real work, scripted through a step's `with:`
 * (output, latency, usage, failures, progress lines). It is the default runner for demos and the
 * engine's tests and benchmark, so a step with no settings must cost next to nothing: no
 * validation, no timer, just a resolved promise.
 */

import type { JsonValue } from '../../../domain/workflow.js';
import type {
  PreviousAttempt,
  Runner,
  StepAttemptContext,
  StepOutcome,
} from '../../../ports/runner.js';
import { abortFailure, StepFailure, tail } from '../../../shared/step-failure.js';
import { DEFAULT_MOCK_SCRIPT, parseMockStepSettings } from './mock-settings.js';
import type { MockRunnerSettings, MockStepScript, MockTimers } from './mock-settings.js';

const globalTimers: MockTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function createMockRunner(settings: MockRunnerSettings = {}): Runner {
  const timers = settings.timers ?? globalTimers;
  // A step's settings object is the same on every attempt (and for every step sharing a literal
  // `with:`), so each is validated once. A failed validation is cached too: it cannot change.
  const scripts = new WeakMap<object, MockStepScript | StepFailure>();

  const scriptFor = (stepSettings: StepAttemptContext['settings']): MockStepScript => {
    if (isEmpty(stepSettings)) return DEFAULT_MOCK_SCRIPT;
    let script = scripts.get(stepSettings);
    if (script === undefined) {
      try {
        script = parseMockStepSettings(stepSettings);
      } catch (error) {
        script = StepFailure.from(error);
      }
      scripts.set(stepSettings, script);
    }
    if (script instanceof StepFailure) throw script;
    return script;
  };

  return {
    name: 'mock',
    execute(context) {
      if (context.signal.aborted) return Promise.reject(abortFailure(context.signal));
      // Not an async function, to spare the hot path a generator-like frame; every throw below
      // (invalid settings, a scripted failure, a throwing emit) still becomes a rejection.
      try {
        const script = scriptFor(context.settings);
        for (const line of script.emit) context.emit('text', line);
        if (script.latencyMs === 0) return Promise.resolve(finish(context, script));
        return wait(timers, script.latencyMs, context.signal).then(() => finish(context, script));
      } catch (error) {
        return Promise.reject(StepFailure.from(error));
      }
    },
  };
}

/** The attempt's outcome once its latency is over: the scripted failure, or the output. */
function finish(context: StepAttemptContext, script: MockStepScript): StepOutcome {
  const failing = script.fail || context.attempt <= script.failAttempts;
  if (failing) {
    throw new StepFailure({
      kind: 'error',
      message: script.error ?? `mock failure on attempt ${context.attempt}`,
      retryable: script.retryable ?? !script.fail,
      outputTail: tail(script.emit.join('\n')),
      details: { attempt: context.attempt },
    });
  }
  // An explicit `output: null` is an output; only a missing one means the default.
  const output = script.echoContext
    ? attemptDocument(context)
    : script.output === undefined
      ? defaultOutput(context)
      : script.output;
  return script.usage === undefined ? { output } : { output, usage: script.usage };
}

function defaultOutput(context: StepAttemptContext): JsonValue {
  if (context.previousAttempts.length === 0) {
    return { step: context.stepKey, input: context.input };
  }
  return {
    step: context.stepKey,
    input: context.input,
    previous_attempts: context.previousAttempts.map(previousAttemptDocument),
  };
}

/** What the attempt was handed, in the same shape the shell runner writes to a command's stdin. */
function attemptDocument(context: StepAttemptContext): JsonValue {
  return {
    input: context.input,
    previous_attempts: context.previousAttempts.map(previousAttemptDocument),
    run: context.runId,
    step: context.stepKey,
    attempt: context.attempt,
    idempotency_key: context.idempotencyKey,
  };
}

function previousAttemptDocument(previous: PreviousAttempt): JsonValue {
  return {
    attempt: previous.attempt,
    kind: previous.kind,
    error: previous.error,
    output_tail: previous.outputTail,
    comment: previous.comment,
  };
}

/** Resolves after `ms`, or rejects with the abort failure as soon as the signal fires. */
function wait(timers: MockTimers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // The emitted lines went to the engine first, and it may have aborted meanwhile.
    if (signal.aborted) {
      reject(abortFailure(signal));
      return;
    }
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(abortFailure(signal));
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function isEmpty(settings: object): boolean {
  for (const _key in settings) return false;
  return true;
}
