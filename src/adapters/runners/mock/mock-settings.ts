/**
 * The mock runner's two kinds of settings: the factory's (how it waits, so tests can move time by
 * hand) and a step's `with:` script (what the step returns, how long it takes, when it fails),
 * validated strictly so that a typo in a workflow file fails loudly instead of being ignored.
 */

import { z } from 'zod';
import type { JsonValue } from '../../../domain/workflow.js';
import type { RunnerUsage } from '../../../ports/runner.js';
import { parseDuration } from '../../../shared/duration.js';
import { isBosunError } from '../../../shared/errors.js';
import { parseRunnerSettings } from '../../../shared/runner-settings.js';
import { invalidSettingsFailure } from '../../../shared/step-failure.js';

/** The timer functions the mock waits with; the defaults are the global ones. */
export interface MockTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface MockRunnerSettings {
  /** Replaces the global timers (tests that must not sleep through a latency). */
  readonly timers?: MockTimers;
}

/** A step's `with:` for the mock runner, after validation. */
export interface MockStepScript {
  /** Undefined: the default output (`{ step, input, previous_attempts? }`). */
  readonly output: JsonValue | undefined;
  readonly latencyMs: number;
  readonly usage: RunnerUsage | undefined;
  /** Attempts 1..failAttempts fail; later ones succeed. */
  readonly failAttempts: number;
  /** Every attempt fails. */
  readonly fail: boolean;
  /** Undefined: retryable for `fail_attempts`, not for `fail`. */
  readonly retryable: boolean | undefined;
  /** Undefined: `mock failure on attempt N`. */
  readonly error: string | undefined;
  readonly echoContext: boolean;
  readonly emit: readonly string[];
}

const count = z.number().int().nonnegative();
const amount = z.number().nonnegative();

const MockStepSettingsSchema = z.strictObject({
  output: z.json().optional(),
  latency: z.union([z.string(), count]).optional(),
  usage: z
    .strictObject({
      input_tokens: count.default(0),
      output_tokens: count.default(0),
      cost_usd: amount.default(0),
    })
    .optional(),
  fail_attempts: count.optional(),
  fail: z.boolean().optional(),
  retryable: z.boolean().optional(),
  error: z.string().optional(),
  echo_context: z.boolean().optional(),
  emit: z.array(z.string()).optional(),
});

/** The script of a step whose `with:` is empty: answer at once with the default output. */
export const DEFAULT_MOCK_SCRIPT: MockStepScript = {
  output: undefined,
  latencyMs: 0,
  usage: undefined,
  failAttempts: 0,
  fail: false,
  retryable: undefined,
  error: undefined,
  echoContext: false,
  emit: [],
};

/** Validates a step's `with:`; throws a non-retryable StepFailure naming the offending key. */
export function parseMockStepSettings(settings: {
  readonly [key: string]: JsonValue;
}): MockStepScript {
  const parsed = parseRunnerSettings('mock', MockStepSettingsSchema, settings);
  return {
    output: parsed.output as JsonValue | undefined,
    latencyMs: latencyMs(parsed.latency),
    usage: parsed.usage && {
      inputTokens: parsed.usage.input_tokens,
      outputTokens: parsed.usage.output_tokens,
      costUsd: parsed.usage.cost_usd,
    },
    failAttempts: parsed.fail_attempts ?? 0,
    fail: parsed.fail ?? false,
    retryable: parsed.retryable,
    error: parsed.error,
    echoContext: parsed.echo_context ?? false,
    emit: parsed.emit ?? [],
  };
}

/** A duration string (`200ms`, `2s`) or a number of milliseconds; absent means no wait. */
function latencyMs(latency: string | number | undefined): number {
  if (latency === undefined) return 0;
  if (typeof latency === 'number') return latency;
  try {
    return parseDuration(latency, 'latency');
  } catch (error) {
    if (!isBosunError(error)) throw error;
    throw invalidSettingsFailure('mock', 'latency', String(error.details['rule']));
  }
}
