/**
 * The runner port: something that executes one attempt of one step and reports its output and
 * usage, or throws a StepFailure. The engine owns durability (leases, retries, the journal); a
 * runner only does the work and honours the AbortSignal (cancel, timeout, shutdown).
 */

import type { JsonValue } from '../domain/workflow.js';

export interface RunnerUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** What an earlier attempt of the same step left behind; the next attempt learns from it. */
export interface PreviousAttempt {
  readonly attempt: number;
  readonly kind: string;
  readonly error: string;
  readonly outputTail: string;
  /** The reviewer's comment when an approval was rejected with `on_reject: retry`. */
  readonly comment: string | null;
}

export type StepOutputStream = 'stdout' | 'stderr' | 'text';

export interface StepAttemptContext {
  readonly runId: string;
  readonly stepId: string;
  readonly stepKey: string;
  /** 1 for the first execution; grows with every retry and every re-run after a lost lease. */
  readonly attempt: number;
  /**
   * `<run>:<step>:<try>`. The same key is handed again when an attempt is re-run because its
   * lease expired (the worker died), so a side effect can be made idempotent.
   */
  readonly idempotencyKey: string;
  /** The step's rendered `input`. */
  readonly input: JsonValue;
  /** The step's rendered `with` settings, as declared for this runner. */
  readonly settings: { readonly [key: string]: JsonValue };
  readonly previousAttempts: readonly PreviousAttempt[];
  /** Aborted on cancel, timeout and shutdown; `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** Folder to run in (the workspace's root folder). */
  readonly workdir: string;
  /** Streams progress (a line of output, a text delta); the engine journals it in batches. */
  emit(stream: StepOutputStream, text: string): void;
}

export interface StepOutcome {
  readonly output: JsonValue;
  readonly usage?: RunnerUsage | undefined;
}

export interface Runner {
  readonly name: string;
  /** Resolves with the outcome, or rejects with a StepFailure (anything else counts as an error). */
  execute(context: StepAttemptContext): Promise<StepOutcome>;
}

/** Runners by name; the engine refuses a workflow naming one that is not here. */
export type RunnerRegistry = ReadonlyMap<string, Runner>;
