/**
 * A step attempt context for runner tests: plausible defaults for every field, an AbortController
 * the test drives, and the lines the runner emitted, with a promise that settles on the first one
 * so a test can wait for "the work has started" instead of sleeping.
 */

import type { StepAttemptContext, StepOutputStream } from '../ports/runner.js';

export interface EmittedLine {
  readonly stream: StepOutputStream;
  readonly text: string;
}

export interface TestStepContext extends StepAttemptContext {
  readonly controller: AbortController;
  /** Everything emitted so far, in order. */
  readonly emitted: readonly EmittedLine[];
  /** The texts emitted on one stream, in order. */
  linesOf(stream: StepOutputStream): string[];
  /** Resolves with the first emitted line (at once when there already is one). */
  firstEmit(): Promise<EmittedLine>;
  /** Aborts the attempt's signal with `reason`. */
  abort(reason?: unknown): void;
}

/**
 * Builds a context; `idempotencyKey` defaults to `<runId>:<stepId>:<attempt>` of the final values.
 * The signal is always the context's own controller's, so `abort()` reaches the runner.
 */
export function createStepContext(
  overrides: Partial<Omit<StepAttemptContext, 'signal' | 'emit'>> = {},
): TestStepContext {
  const controller = new AbortController();
  const emitted: EmittedLine[] = [];
  const waiting: ((line: EmittedLine) => void)[] = [];
  const runId = overrides.runId ?? 'run_test';
  const stepId = overrides.stepId ?? 'step_test';
  const attempt = overrides.attempt ?? 1;
  return {
    runId,
    stepId,
    stepKey: overrides.stepKey ?? 'build',
    attempt,
    idempotencyKey: overrides.idempotencyKey ?? `${runId}:${stepId}:${attempt}`,
    // `null` is an input like any other; only a missing one takes the default.
    input: overrides.input === undefined ? {} : overrides.input,
    settings: overrides.settings ?? {},
    previousAttempts: overrides.previousAttempts ?? [],
    workdir: overrides.workdir ?? process.cwd(),
    signal: controller.signal,
    controller,
    emitted,
    emit(stream, text) {
      const line = { stream, text };
      emitted.push(line);
      for (const resolve of waiting.splice(0)) resolve(line);
    },
    linesOf: (stream) => emitted.filter((line) => line.stream === stream).map((line) => line.text),
    firstEmit: () => {
      const first = emitted[0];
      if (first !== undefined) return Promise.resolve(first);
      return new Promise((resolve) => waiting.push(resolve));
    },
    abort: (reason) => controller.abort(reason),
  };
}
