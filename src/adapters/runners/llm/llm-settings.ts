/**
 * The llm runner's two kinds of settings: the factory's (how it reaches the network, the tools
 * an agent may call — bosun's operations and external MCP tools —, the clock) and a step's `with:` (sampling and provider options for this
 * step), validated strictly so a typo in a workflow file fails loudly instead of being ignored.
 */

import type { ToolSet } from 'ai';
import { z } from 'zod';
import type { JsonValue } from '../../../domain/workflow.js';
import type { StepAttemptContext } from '../../../ports/runner.js';
import { parseRunnerSettings } from '../../../shared/runner-settings.js';

export interface LlmRunnerSettings {
  /** The fetch every provider sends its requests with (default: the global one). */
  readonly fetch?: typeof fetch;
  /**
   * The tools for an agent's `tools:` (bosun operation names such as `task.note`), keyed by those
   * names. The attempt is passed along so a tool can carry its run, step and idempotency key.
   * Without it an agent gets no tools.
   */
  readonly tools?: (names: readonly string[], attempt: StepAttemptContext) => ToolSet;
  /**
   * The external MCP tools an agent's `mcp:` allows (`github`, `github/search_*`), keyed by
   * `server/tool`. Asked once per attempt (a server may have to be started or reached first); a
   * rejection with a StepFailure fails the attempt as it says. Without it an agent that lists
   * servers is refused.
   */
  readonly externalTools?: (
    allowlist: readonly string[],
    attempt: StepAttemptContext,
  ) => Promise<ToolSet>;
  /**
   * How often the AI SDK retries one model call on a 429, a 5xx or a network error, honouring
   * `retry-after` (default 2). Kept small: the engine's own retry policy, with its backoff and
   * its journal, is the one that matters.
   */
  readonly maxRetries?: number;
  /** Milliseconds for model-call latencies (default `performance.now`). */
  readonly now?: () => number;
}

/** A step's `with:` for the llm runner, after validation. */
export interface LlmStepSettings {
  readonly temperature: number | undefined;
  /** Passed to the AI SDK as `providerOptions` (e.g. `{ openai: { reasoningEffort: 'low' } }`). */
  readonly providerOptions: { readonly [provider: string]: { readonly [key: string]: JsonValue } };
}

const LlmStepSettingsSchema = z.strictObject({
  temperature: z.number().min(0, 'must be 0 or more').max(2, 'must be 2 or less').optional(),
  provider_options: z.record(z.string(), z.record(z.string(), z.json())).optional(),
});

export const DEFAULT_LLM_STEP_SETTINGS: LlmStepSettings = {
  temperature: undefined,
  providerOptions: {},
};

/** Validates a step's `with:`; throws a non-retryable StepFailure naming the offending key. */
export function parseLlmStepSettings(settings: {
  readonly [key: string]: JsonValue;
}): LlmStepSettings {
  const parsed = parseRunnerSettings('llm', LlmStepSettingsSchema, settings);
  return {
    temperature: parsed.temperature,
    providerOptions: (parsed.provider_options ?? {}) as LlmStepSettings['providerOptions'],
  };
}
