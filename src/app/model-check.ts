/**
 * `bosun models check`: each model bosun.yaml declares gets one trivial prompt through the same AI
 * SDK provider the llm runner would use, with no retries and a short deadline, and answers with
 * its latency, tokens and answer size — or why it failed, in words a person can act on: the
 * server is unreachable, refused the key (which variable, and whether it is set), does not know
 * the model id, or the key's variable is not set at all (then nothing is sent). Models are
 * checked at once, so a dead endpoint costs the deadline once, not once per model.
 */

import { APICallError, generateText, NoSuchModelError, RetryError } from 'ai';
import { llmFailure } from '../adapters/runners/llm/llm-errors.js';
import {
  apiKeyEnvOf,
  baseUrlOf,
  createLanguageModel,
  requiresApiKey,
} from '../adapters/runners/llm/llm-models.js';
import type { ModelAdmin, ModelCheckRow, ModelSummary } from '../core/services/service-context.js';
import type { ModelConfig } from '../domain/agent.js';
import type { ResolvedModel } from '../ports/runner.js';
import { BosunError } from '../shared/errors.js';
import { openAgentDirectory } from './agent-directory.js';

export const CHECK_PROMPT = 'Reply with OK.';
/** Enough for "OK" from any model; a check should cost next to nothing. */
const CHECK_MAX_OUTPUT_TOKENS = 32;

export interface ModelCheckSettings {
  /** Where API keys are read from (the runtime's environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch | undefined;
  /** Milliseconds, for latency. */
  readonly now?: (() => number) | undefined;
}

type Models = Readonly<Record<string, ModelConfig>>;

/** The models of the workspace whose `.bosun/` folder is `workspaceDir`, read on every call. */
export function createModelAdmin(workspaceDir: string, settings: ModelCheckSettings): ModelAdmin {
  const models = (): Models => openAgentDirectory(workspaceDir).section.models;
  return {
    list: () => Promise.resolve(summarizeModels(models())),
    check: (options) => checkModels(models(), options, settings),
  };
}

export function summarizeModels(models: Models): ModelSummary[] {
  return Object.entries(models).map(([name, config]) => {
    const model: ResolvedModel = { name, ...config };
    return {
      name,
      provider: config.provider,
      modelId: config.model,
      baseUrl: baseUrlOf(model) ?? null,
      keyEnv: apiKeyEnvOf(model) ?? null,
      inputPrice: config.price.input,
      outputPrice: config.price.output,
      cachedInputPrice: config.price.cached_input ?? null,
      contextWindow: config.context_window ?? null,
      maxOutputTokens: config.max_output_tokens,
    };
  });
}

export async function checkModels(
  models: Models,
  options: { readonly model?: string | undefined; readonly timeoutMs: number },
  settings: ModelCheckSettings,
): Promise<{ ok: boolean; models: ModelCheckRow[] }> {
  let names = Object.keys(models);
  if (options.model !== undefined) {
    if (!(options.model in models)) {
      throw new BosunError(
        'not_found',
        `model '${options.model}' is not in bosun.yaml (models: ${names.join(', ') || 'none'})`,
        { details: { kind: 'model', key: options.model, field: 'model' } },
      );
    }
    names = [options.model];
  }
  const rows = await Promise.all(
    names.map((name) => checkModel({ name, ...models[name]! }, options.timeoutMs, settings)),
  );
  return { ok: rows.every((row) => row.ok), models: rows };
}

/** One model, one prompt; every failure becomes a row with its reason. */
export async function checkModel(
  model: ResolvedModel,
  timeoutMs: number,
  settings: ModelCheckSettings,
): Promise<ModelCheckRow> {
  const now = settings.now ?? (() => performance.now());
  const row = {
    name: model.name,
    provider: model.provider,
    modelId: model.model,
    latencyMs: null,
    inputTokens: null,
    outputTokens: null,
    responseChars: null,
  };
  const keyEnv = apiKeyEnvOf(model);
  const key = keyEnv === undefined ? undefined : settings.env[keyEnv];
  const apiKey = key === '' ? undefined : key;
  // A named variable that is not set is a mistake even for a local server: say so, send nothing.
  if (
    keyEnv !== undefined &&
    apiKey === undefined &&
    (model.api_key_env !== undefined || requiresApiKey(model.provider))
  ) {
    return { ...row, ok: false, reason: `missing key: ${keyEnv} is not set` };
  }

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const start = now();
  try {
    const result = await generateText({
      model: createLanguageModel(model, { apiKey, fetch: settings.fetch }),
      prompt: CHECK_PROMPT,
      maxOutputTokens: CHECK_MAX_OUTPUT_TOKENS,
      maxRetries: 0,
      abortSignal: controller.signal,
    });
    return {
      ...row,
      ok: true,
      latencyMs: Math.round(now() - start),
      inputTokens: result.usage.inputTokens ?? null,
      outputTokens: result.usage.outputTokens ?? null,
      responseChars: result.text.length,
      reason: null,
    };
  } catch (error) {
    const latencyMs = Math.round(now() - start);
    const where = baseUrlOf(model) ?? `the ${model.provider} provider`;
    const reason = timedOut
      ? `unreachable: no answer within ${seconds(timeoutMs)} (${where})`
      : reasonOf(error, model, keyEnv);
    return { ...row, ok: false, latencyMs, reason };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The failure's kind first, then what to do about it, then where: a table cuts long cells, and
 * the start of the reason should still say enough.
 */
function reasonOf(thrown: unknown, model: ResolvedModel, keyEnv: string | undefined): string {
  const error = RetryError.isInstance(thrown) ? thrown.lastError : thrown;
  const where = baseUrlOf(model) ?? `the ${model.provider} provider`;
  if (NoSuchModelError.isInstance(error)) {
    return `unknown model: '${model.model}' at ${where} (${error.message})`;
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const said = firstLine(error.message);
    if (status === undefined) {
      return `unreachable: ${said.replace(/^Cannot connect to API: /, '')} (${where})`;
    }
    if (status === 401 || status === 403) {
      // An unset variable never gets this far (missing key), so a named one is set.
      const key =
        keyEnv === undefined
          ? 'no key was sent (set api_key_env on the model)'
          : `the key in ${keyEnv} (set) was refused`;
      return `unauthorized: ${key}: ${status} ${said} (${where})`;
    }
    // Servers name the model when they do not know it; a 404 that does not is a wrong address.
    const aboutModel = /model/i.test(said) || said.includes(model.model);
    if (
      (status === 404 && aboutModel) ||
      (status === 400 && /model.*(not found|does not exist)/i.test(said))
    ) {
      return `unknown model: '${model.model}' at ${where}: ${status} ${said}`;
    }
    if (status === 404) {
      return `not found: ${status} ${said} Is base_url the API root (…/v1)? (${where})`;
    }
    return `http ${status}: ${said} (${where})`;
  }
  const failure = llmFailure(error, {
    model,
    keyEnv,
    outputTail: '',
    spent: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  });
  return `failed: ${failure.message.replace(`model '${model.name}': `, '')}`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline < 0 ? text : text.slice(0, newline);
}
