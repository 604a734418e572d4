/**
 * Builds the AI SDK language model a step attempt talks to from the model bosun.yaml declares:
 * an OpenAI-compatible server (vLLM, llama.cpp, LM Studio, Ollama's `/v1`), OpenAI, Anthropic,
 * or `mock` — a deterministic in-process model that implements the AI SDK's language-model spec,
 * so demos and tests run without a server. The mock answers with a short text derived from the
 * prompt (asked for JSON, a plan of three tasks toward the goal) and fixed token counts; a step
 * may script it through `with.provider_options.mock` (`text`, `echo`, `fail`, `hang`) to show a
 * failure, a retry or a cancel without a network.
 */

import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError } from 'ai';
import type { LanguageModel } from 'ai';
import { z } from 'zod';
import type { ModelProvider } from '../../../domain/agent.js';
import type { ResolvedModel } from '../../../ports/runner.js';
import { invalidSettingsFailure } from '../../../shared/step-failure.js';

/** The language-model spec version this module implements (`ai@7` speaks v4). */
export type LanguageModelV4 = Extract<LanguageModel, { readonly specificationVersion: 'v4' }>;
type CallOptions = Parameters<LanguageModelV4['doStream']>[0];
type StreamResult = Awaited<ReturnType<LanguageModelV4['doStream']>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer Part> ? Part : never;
type GenerateResult = Awaited<ReturnType<LanguageModelV4['doGenerate']>>;

export const OLLAMA_DEFAULT_BASE_URL = 'http://localhost:11434/v1';

/** Where each provider's requests go when the model names no `base_url`. */
const DEFAULT_BASE_URLS: Readonly<Record<ModelProvider, string | undefined>> = {
  'openai-compatible': undefined,
  ollama: OLLAMA_DEFAULT_BASE_URL,
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  mock: undefined,
};

/** The variable the provider's own SDK reads its key from, used when `api_key_env` is not set. */
const DEFAULT_KEY_ENV: Readonly<Record<ModelProvider, string | undefined>> = {
  'openai-compatible': undefined,
  ollama: undefined,
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  mock: undefined,
};

/** Hosted APIs refuse every request without a key; local servers usually need none. */
export function requiresApiKey(provider: ModelProvider): boolean {
  return provider === 'openai' || provider === 'anthropic';
}

/** The name of the environment variable holding the model's key, if it has one. */
export function apiKeyEnvOf(model: ResolvedModel): string | undefined {
  return model.api_key_env ?? DEFAULT_KEY_ENV[model.provider];
}

/** The base URL requests go to, for messages; undefined for the in-process mock. */
export function baseUrlOf(model: ResolvedModel): string | undefined {
  return model.base_url ?? DEFAULT_BASE_URLS[model.provider];
}

export interface LanguageModelSettings {
  readonly apiKey: string | undefined;
  readonly fetch?: typeof fetch | undefined;
}

export function createLanguageModel(
  model: ResolvedModel,
  settings: LanguageModelSettings,
): LanguageModel {
  const { apiKey, fetch } = settings;
  switch (model.provider) {
    case 'openai-compatible':
    case 'ollama':
      return createOpenAICompatible({
        // The config schema requires base_url for openai-compatible; ollama has a default.
        baseURL: baseUrlOf(model) ?? OLLAMA_DEFAULT_BASE_URL,
        name: model.provider === 'ollama' ? 'ollama' : 'openaiCompatible',
        ...(apiKey === undefined ? {} : { apiKey }),
        includeUsage: true,
        ...(fetch === undefined ? {} : { fetch }),
      })(model.model);
    case 'openai':
      return createOpenAI({
        ...(model.base_url === undefined ? {} : { baseURL: model.base_url }),
        ...(apiKey === undefined ? {} : { apiKey }),
        ...(fetch === undefined ? {} : { fetch }),
      })(model.model);
    case 'anthropic':
      return createAnthropic({
        ...(model.base_url === undefined ? {} : { baseURL: model.base_url }),
        ...(apiKey === undefined ? {} : { apiKey }),
        ...(fetch === undefined ? {} : { fetch }),
      })(model.model);
    case 'mock':
      return createMockLanguageModel(model.model);
  }
}

/** What every mock call reports, whatever the prompt: fixed, so costs in tests are exact. */
export const MOCK_USAGE = { inputTokens: 10, outputTokens: 5 } as const;

const MockScriptSchema = z.strictObject({
  /** Answer with exactly this text. */
  text: z.string().optional(),
  /** Answer with the prompt's last user message, verbatim. */
  echo: z.boolean().optional(),
  /** Stream the answer, then fail the call with this message (a retryable server error). */
  fail: z.string().optional(),
  /** Stream the answer, then wait until the call is aborted. */
  hang: z.boolean().optional(),
});
type MockScript = z.output<typeof MockScriptSchema>;

/**
 * The deterministic model behind `provider: mock`. Without a script it answers
 * `Mock answer to: "<the start of the last user message>"`, a word per delta, or, when the call
 * asks for JSON (`responseFormat: json`), a plan (see `mockPlan`).
 */
export function createMockLanguageModel(modelId: string): LanguageModelV4 {
  return {
    specificationVersion: 'v4',
    provider: 'mock',
    modelId,
    supportedUrls: {},
    doGenerate(options) {
      const script = mockScriptOf(options);
      const text = mockAnswer(script, options);
      if (script.fail !== undefined) return Promise.reject(mockFailure(modelId, script.fail));
      const result: GenerateResult = {
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: mockUsage(),
        warnings: [],
      };
      return Promise.resolve(result);
    },
    doStream(options) {
      let script: MockScript;
      try {
        script = mockScriptOf(options);
      } catch (error) {
        return Promise.reject(error as Error);
      }
      const deltas = wordsOf(mockAnswer(script, options));
      const signal = options.abortSignal;
      const stream = new ReadableStream<StreamPart>({
        async start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'response-metadata', id: 'mock-response', modelId });
          controller.enqueue({ type: 'text-start', id: 'text-0' });
          for (const delta of deltas)
            controller.enqueue({ type: 'text-delta', id: 'text-0', delta });
          if (script.hang === true) {
            await abortOf(signal);
            try {
              controller.error(new DOMException('the mock call was aborted', 'AbortError'));
            } catch {
              // The consumer cancelled the stream first; nothing is waiting for it.
            }
            return;
          }
          controller.enqueue({ type: 'text-end', id: 'text-0' });
          if (script.fail !== undefined) {
            controller.enqueue({ type: 'error', error: mockFailure(modelId, script.fail) });
          }
          controller.enqueue({
            type: 'finish',
            usage: mockUsage(),
            finishReason:
              script.fail === undefined
                ? { unified: 'stop', raw: 'stop' }
                : { unified: 'error', raw: undefined },
          });
          controller.close();
        },
      });
      return Promise.resolve({ stream });
    },
  };
}

function mockScriptOf(options: CallOptions): MockScript {
  const given = options.providerOptions?.['mock'];
  if (given === undefined) return {};
  const parsed = MockScriptSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path.join('.');
  throw invalidSettingsFailure(
    'llm',
    `provider_options.mock${key ? `.${key}` : ''}`,
    issue?.code === 'unrecognized_keys'
      ? 'is not a mock model option (known: text, echo, fail, hang)'
      : (issue?.message ?? 'invalid'),
  );
}

function mockAnswer(script: MockScript, options: CallOptions): string {
  if (script.text !== undefined) return script.text;
  const asked = lastUserText(options.prompt);
  if (script.echo === true) return asked;
  if (options.responseFormat?.type === 'json') return JSON.stringify(mockPlan(options.prompt));
  const gist = asked.replace(/\s+/g, ' ').trim();
  return `Mock answer to: "${gist.length > 60 ? `${gist.slice(0, 60)}…` : gist}"`;
}

function userTexts(prompt: CallOptions['prompt']): string[] {
  return prompt.flatMap((message) =>
    message.role === 'user'
      ? [message.content.map((part) => (part.type === 'text' ? part.text : '')).join('')]
      : [],
  );
}

function lastUserText(prompt: CallOptions['prompt']): string {
  return userTexts(prompt).at(-1) ?? '';
}

/**
 * The mock's answer to a request for JSON (bosun asks for structured output only to plan): three
 * chained tasks — understand, implement, verify — about the goal, which is the first `Goal:` line
 * of the user's messages (or their last message). The same goal always gives the same plan.
 */
function mockPlan(prompt: CallOptions['prompt']): unknown {
  const texts = userTexts(prompt);
  const line = texts.map((text) => /^Goal:[ \t]*(.+)$/m.exec(text)?.[1]).find(Boolean);
  const goal = (line ?? texts.at(-1) ?? '').replace(/\s+/g, ' ').trim() || 'the goal';
  const gist = goal.length > 150 ? `${goal.slice(0, 150)}…` : goal;
  return {
    tasks: [
      {
        key: 't1',
        title: `Understand: ${gist}`,
        description: `Read the code and notes that "${gist}" touches; write down the approach.`,
        role: 'coder',
        priority: 'p1',
        acceptance: ['the approach is written down as a note on this task'],
        needs: [],
      },
      {
        key: 't2',
        title: `Implement: ${gist}`,
        description: `Make the change for "${gist}", with tests.`,
        role: 'coder',
        priority: 'p1',
        acceptance: ['the change is in place', 'its tests pass'],
        needs: ['t1'],
      },
      {
        key: 't3',
        title: `Verify: ${gist}`,
        description: `Check the change against the goal "${gist}" and review it.`,
        role: 'reviewer',
        priority: 'p2',
        acceptance: ['the goal is met as stated'],
        needs: ['t2'],
      },
    ],
  };
}

function mockUsage(): GenerateResult['usage'] {
  return {
    inputTokens: {
      total: MOCK_USAGE.inputTokens,
      noCache: MOCK_USAGE.inputTokens,
      cacheRead: 0,
      cacheWrite: 0,
    },
    outputTokens: { total: MOCK_USAGE.outputTokens, text: MOCK_USAGE.outputTokens, reasoning: 0 },
  };
}

function mockFailure(modelId: string, message: string): APICallError {
  return new APICallError({
    message,
    url: `mock://${modelId}`,
    requestBodyValues: {},
    statusCode: 500,
    isRetryable: true,
  });
}

/** A text as streamed deltas: each word with the spacing after it (line breaks included). */
function wordsOf(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
}

function abortOf(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
