/**
 * One prompt, one model, one text back: the call behind memory's summaries and `bosun ask`, with
 * what both need around it — the API key from the environment, a bound on the wait, the AI
 * SDK's errors as actionable `unavailable` errors, and the call priced for the cost ledger.
 * The AI SDK is loaded only when a call is made, so a workspace that never calls pays nothing.
 * Also the choice both make first: the agent that plays a role, which must run on `llm`.
 */

import { priceTokens } from '../domain/budget.js';
import type { AgentProfile, ModelCall, ResolvedModel } from '../ports/runner.js';
import { BosunError } from '../shared/errors.js';
import type { AgentDirectory } from './agent-directory.js';

export interface ModelTextSettings {
  /** Where API keys are read from (the runtime's environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch | undefined;
}

export interface ModelTextRequest {
  /** Names the caller in errors: `ask`, `summarizer`. */
  readonly purpose: string;
  readonly model: ResolvedModel;
  /** The system instructions: the caller's, then the agent's own. */
  readonly instructions: readonly string[];
  readonly prompt: string;
  readonly timeoutMs: number;
  /** Retries inside the AI SDK (network and server errors). */
  readonly maxRetries: number;
  readonly signal?: AbortSignal | undefined;
}

export interface ModelText {
  readonly text: string;
  /** The one call, priced, for the cost ledger. */
  readonly calls: ModelCall[];
}

export async function callModelText(
  settings: ModelTextSettings,
  request: ModelTextRequest,
): Promise<ModelText> {
  const { model, purpose, timeoutMs } = request;
  // The AI SDK prints call warnings on the console unless told not to.
  (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
  const [{ generateText }, { apiKeyEnvOf, createLanguageModel, requiresApiKey }, { llmFailure }] =
    await Promise.all([
      import('ai'),
      import('../adapters/runners/llm/llm-models.js'),
      import('../adapters/runners/llm/llm-errors.js'),
    ]);
  const keyEnv = apiKeyEnvOf(model);
  const key = keyEnv === undefined ? undefined : settings.env[keyEnv];
  const apiKey = key === '' ? undefined : key;
  if (apiKey === undefined && requiresApiKey(model.provider)) {
    throw new BosunError(
      'unavailable',
      `${purpose}: model '${model.name}': no API key for ${model.provider}: ${keyEnv ?? 'api_key_env'} is not set`,
      { details: { field: 'model', model: model.name, env: keyEnv ?? null } },
    );
  }
  const bound = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  try {
    const result = await generateText({
      model: createLanguageModel(model, { apiKey, fetch: settings.fetch }),
      instructions: request.instructions
        .map((text) => text.trim())
        .filter(Boolean)
        .join('\n\n'),
      messages: [{ role: 'user', content: request.prompt }],
      maxOutputTokens: model.max_output_tokens,
      maxRetries: request.maxRetries,
      abortSignal: request.signal ? AbortSignal.any([request.signal, bound]) : bound,
    });
    const tokens = {
      inputTokens: result.usage.inputTokens ?? 0,
      cachedInputTokens: result.usage.inputTokenDetails.cacheReadTokens ?? 0,
      outputTokens: result.usage.outputTokens ?? 0,
    };
    return {
      text: result.text,
      calls: [
        {
          model: model.name,
          ...tokens,
          costUsd: priceTokens(model.price, tokens),
          latencyMs: Math.round(performance.now() - started),
        },
      ],
    };
  } catch (error) {
    if (request.signal?.aborted) throw error;
    if (bound.aborted) {
      throw new BosunError(
        'unavailable',
        `${purpose}: model '${model.name}' gave no answer within ${Math.round(timeoutMs / 1000)} s`,
        { retryable: true, details: { model: model.name, timeoutMs }, cause: error },
      );
    }
    const failure = llmFailure(error, {
      model,
      keyEnv,
      outputTail: '',
      spent: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    });
    throw new BosunError('unavailable', `${purpose}: ${failure.message}`, {
      retryable: failure.retryable,
      details: { ...failure.details, model: model.name },
      cause: error,
    });
  }
}

/**
 * The agent named, or the one that plays `role`, as a profile that can make a text call: it must
 * run on `llm` (one call, not an agent session) and have a model. `field` names what the person
 * typed when they named it (`agent`), or the role looked up.
 */
export function llmAgentProfile(
  directory: AgentDirectory,
  wanted: { readonly agent: string } | { readonly role: string },
  purpose: string,
  /** A model to use instead of the agent's own (`bosun ask --model`). */
  model?: ResolvedModel,
): AgentProfile & { readonly model: ResolvedModel } {
  const named = 'agent' in wanted;
  const found = directory.profile(
    named ? { agent: wanted.agent, role: null } : { agent: null, role: wanted.role },
  );
  if ('failure' in found) {
    throw new BosunError('not_found', `${named ? 'agent' : purpose}: ${found.failure}`, {
      details: { field: named ? 'agent' : 'role', rule: found.failure },
    });
  }
  const { profile } = found;
  if (profile.config.runner !== 'llm') {
    throw new BosunError(
      'invalid_input',
      `agent: '${profile.name}' runs on ${profile.config.runner}; ${purpose} needs an agent with runner: llm`,
      { details: { field: 'agent', agent: profile.name, runner: profile.config.runner } },
    );
  }
  const chosen = model ?? profile.model;
  if (chosen === null) {
    throw new BosunError('invalid_input', `agent: '${profile.name}' has no model`, {
      details: { field: 'agent', agent: profile.name },
    });
  }
  return { ...profile, model: chosen };
}
