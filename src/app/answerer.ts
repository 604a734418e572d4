/**
 * The answerer behind `bosun ask`: finds the agent that answers (the one named, else the one
 * whose role is `analyst`, else — with `--model` — the model alone) and asks its model, in one
 * call, what the ask service wrote: how to answer, the question and the numbered passages. It
 * only talks to the model; the service builds the prompt, reads the citations back and records
 * the call in the cost ledger.
 *
 * Choosing reads bosun.yaml and nothing else, and this module loads the AI SDK only when a call
 * is made: `bosun ask` in a workspace without an analyst never pays for it.
 */

import type {
  Answerer,
  AnswererChoice,
  AnswererOptions,
  AnswerPrompt,
  AnswerResult,
} from '../core/services/service-context.js';
import { priceTokens } from '../domain/budget.js';
import type { ResolvedModel } from '../ports/runner.js';
import { BosunError } from '../shared/errors.js';
import type { AgentDirectory } from './agent-directory.js';
import { resolveModel } from './agent-directory.js';

/** The role whose agent answers when no agent is named. */
export const ANALYST_ROLE = 'analyst';
/** Retries of the call inside the AI SDK: one, since a failed answer falls back to passages. */
const MODEL_CALL_RETRIES = 1;
/** How long an answer may take, retries included. */
export const ANSWER_TIMEOUT_MS = 120_000;

export interface AnswererSettings {
  /** The workspace's agents and models (bosun.yaml), as they are when a question is asked. */
  readonly agents: () => AgentDirectory;
  /** Where API keys are read from (the runtime's environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch | undefined;
  readonly maxRetries?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

export function createAnswerer(settings: AnswererSettings): Answerer {
  return {
    choose: (options) => chooseAnswerer(settings.agents(), options),
    answer: (choice, prompt) => answerWith(settings, choice, prompt),
  };
}

/**
 * The named agent, else the agent that plays `analyst`, else (with `model`) the model alone, else
 * null. The agent must run on `llm`: the answer is one model call, not an agent session.
 */
function chooseAnswerer(
  directory: AgentDirectory,
  options: AnswererOptions,
): AnswererChoice | null {
  const { section } = directory;
  const modelNamed = (name: string): ResolvedModel => {
    const model = resolveModel(section, name);
    if (model === null) {
      const known = Object.keys(section.models).join(', ') || 'none configured';
      throw new BosunError(
        'not_found',
        `model: no model '${name}' in bosun.yaml (models: ${known})`,
        { details: { field: 'model', kind: 'model', key: name } },
      );
    }
    return model;
  };
  const named = options.agent !== undefined;
  const analyst = Object.values(section.agents).some((agent) => agent.role === ANALYST_ROLE);
  if (!named && !analyst) {
    return options.model === undefined
      ? null
      : { agent: null, instructions: '', model: modelNamed(options.model) };
  }
  const found = directory.profile(
    named ? { agent: options.agent!, role: null } : { agent: null, role: ANALYST_ROLE },
  );
  if ('failure' in found) {
    throw new BosunError('not_found', named ? `agent: ${found.failure}` : `ask: ${found.failure}`, {
      details: { field: named ? 'agent' : 'role', rule: found.failure },
    });
  }
  const { profile } = found;
  if (profile.config.runner !== 'llm') {
    throw new BosunError(
      'invalid_input',
      `agent: '${profile.name}' runs on ${profile.config.runner}; answering needs an agent with runner: llm`,
      { details: { field: 'agent', agent: profile.name, runner: profile.config.runner } },
    );
  }
  const model = options.model !== undefined ? modelNamed(options.model) : profile.model;
  if (model === null) {
    throw new BosunError('invalid_input', `agent: '${profile.name}' has no model`, {
      details: { field: 'agent', agent: profile.name },
    });
  }
  return { agent: profile.name, instructions: profile.instructions, model };
}

async function answerWith(
  settings: AnswererSettings,
  choice: AnswererChoice,
  prompt: AnswerPrompt,
): Promise<AnswerResult> {
  const { model } = choice;
  // The AI SDK prints call warnings on the console unless told not to; the note says enough.
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
      `ask: model '${model.name}': no API key for ${model.provider}: ${keyEnv ?? 'api_key_env'} is not set`,
      { details: { field: 'model', model: model.name, env: keyEnv ?? null } },
    );
  }
  const timeoutMs = settings.timeoutMs ?? ANSWER_TIMEOUT_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const started = performance.now();
  try {
    const result = await generateText({
      model: createLanguageModel(model, { apiKey, fetch: settings.fetch }),
      instructions: [prompt.instructions, choice.instructions.trim()].filter(Boolean).join('\n\n'),
      messages: [{ role: 'user', content: prompt.prompt }],
      maxOutputTokens: model.max_output_tokens,
      maxRetries: settings.maxRetries ?? MODEL_CALL_RETRIES,
      abortSignal: controller.signal,
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
    if (timedOut) {
      throw new BosunError(
        'unavailable',
        `ask: model '${model.name}' gave no answer within ${Math.round(timeoutMs / 1000)} s`,
        { retryable: true, details: { model: model.name, timeoutMs }, cause: error },
      );
    }
    const failure = llmFailure(error, {
      model,
      keyEnv,
      outputTail: '',
      spent: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    });
    throw new BosunError('unavailable', `ask: ${failure.message}`, {
      retryable: failure.retryable,
      details: { ...failure.details, model: model.name },
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}
