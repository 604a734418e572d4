/**
 * The summarizer behind memory's model-written summaries: the agent whose role is `summarizer`
 * (bosun.yaml) and one call to its model per summary, with what the summary service wrote (how to
 * summarize, and the material). It only talks to the model; the service reads the material,
 * writes the summary and records the call in the cost ledger.
 *
 * Choosing reads bosun.yaml and nothing else, and the AI SDK is loaded only when a call is made:
 * a workspace without a summarizer never pays for it, however often a worker asks.
 */

import type {
  Summarizer,
  SummarizerChoice,
  SummaryPrompt,
  SummaryResult,
} from '../core/services/service-context.js';
import { priceTokens } from '../domain/budget.js';
import { BosunError } from '../shared/errors.js';
import type { AgentDirectory } from './agent-directory.js';

/** The role of the agent that writes memory's summaries. */
export const SUMMARIZER_ROLE = 'summarizer';
/** Retries of one call inside the AI SDK (network and server errors). */
const MODEL_CALL_RETRIES = 2;
/** How long one summary may take, retries included. */
export const SUMMARY_TIMEOUT_MS = 120_000;

export interface SummarizerSettings {
  /** The workspace's agents and models (bosun.yaml), as they are at each call. */
  readonly agents: () => AgentDirectory;
  /** Where API keys are read from (the runtime's environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch | undefined;
  readonly timeoutMs?: number | undefined;
}

export function createSummarizer(settings: SummarizerSettings): Summarizer {
  return {
    choose: () => chooseSummarizer(settings.agents()),
    summarize: (choice, prompt, signal) => summarizeWith(settings, choice, prompt, signal),
  };
}

/** The agent that plays `summarizer`, or null; it must run on `llm` with a model. */
function chooseSummarizer(directory: AgentDirectory): SummarizerChoice | null {
  const { section } = directory;
  if (!Object.values(section.agents).some((agent) => agent.role === SUMMARIZER_ROLE)) return null;
  const found = directory.profile({ agent: null, role: SUMMARIZER_ROLE });
  if ('failure' in found) {
    throw new BosunError('not_found', `summarizer: ${found.failure}`, {
      details: { field: 'role', rule: found.failure },
    });
  }
  const { profile } = found;
  if (profile.config.runner !== 'llm') {
    throw new BosunError(
      'invalid_input',
      `agent: '${profile.name}' runs on ${profile.config.runner}; the summarizer needs an agent with runner: llm`,
      { details: { field: 'agent', agent: profile.name, runner: profile.config.runner } },
    );
  }
  if (profile.model === null) {
    throw new BosunError('invalid_input', `agent: '${profile.name}' has no model`, {
      details: { field: 'agent', agent: profile.name },
    });
  }
  return { agent: profile.name, instructions: profile.instructions, model: profile.model };
}

async function summarizeWith(
  settings: SummarizerSettings,
  choice: SummarizerChoice,
  prompt: SummaryPrompt,
  signal: AbortSignal | undefined,
): Promise<SummaryResult> {
  const { model } = choice;
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
      `summarizer: model '${model.name}': no API key for ${model.provider}: ${keyEnv ?? 'api_key_env'} is not set`,
      { details: { field: 'model', model: model.name, env: keyEnv ?? null } },
    );
  }
  const timeoutMs = settings.timeoutMs ?? SUMMARY_TIMEOUT_MS;
  const bound = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  try {
    const result = await generateText({
      model: createLanguageModel(model, { apiKey, fetch: settings.fetch }),
      instructions: [prompt.instructions, choice.instructions.trim()].filter(Boolean).join('\n\n'),
      messages: [{ role: 'user', content: prompt.prompt }],
      maxOutputTokens: model.max_output_tokens,
      maxRetries: MODEL_CALL_RETRIES,
      abortSignal: signal ? AbortSignal.any([signal, bound]) : bound,
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
    if (signal?.aborted) throw error;
    if (bound.aborted) {
      throw new BosunError(
        'unavailable',
        `summarizer: model '${model.name}' gave no summary within ${Math.round(timeoutMs / 1000)} s`,
        { retryable: true, details: { model: model.name, timeoutMs }, cause: error },
      );
    }
    const failure = llmFailure(error, {
      model,
      keyEnv,
      outputTail: '',
      spent: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    });
    throw new BosunError('unavailable', `summarizer: ${failure.message}`, {
      retryable: failure.retryable,
      details: { ...failure.details, model: model.name },
      cause: error,
    });
  }
}
