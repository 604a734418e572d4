/**
 * The llm runner: one step attempt is one AI SDK `streamText` conversation with the agent's model
 * — its instructions as the system prompt, the step's input (and, on a retry, what went wrong
 * before) as the user message, and its tools — bosun operations (`tools:`) and the tools of
 * external MCP servers its `mcp:` allows — in a loop of at most `max_steps` model calls. Text
 * deltas, tool calls and tool results are reported as they happen; every model call becomes a
 * ledger row with its tokens, latency and cost, and a failed attempt still hands back what it
 * spent.
 */

import { priceTokens } from '../../../domain/budget.js';
import { stepCountIs, streamText } from 'ai';
import type { LanguageModel, ToolSet } from 'ai';
import type { JsonValue } from '../../../domain/workflow.js';
import type {
  AgentActivity,
  AgentProfile,
  ModelCall,
  ResolvedModel,
  Runner,
  RunnerUsage,
  StepAttemptContext,
  StepOutcome,
} from '../../../ports/runner.js';
import { abortFailure, StepFailure, tail } from '../../../shared/step-failure.js';
import type { StepFailureSpend } from '../../../shared/step-failure.js';
import { llmFailure } from './llm-errors.js';
import { apiKeyEnvOf, createLanguageModel, requiresApiKey } from './llm-models.js';
import { userMessageOf } from './llm-prompt.js';
import { DEFAULT_LLM_STEP_SETTINGS, parseLlmStepSettings } from './llm-settings.js';
import type { LlmRunnerSettings, LlmStepSettings } from './llm-settings.js';
import { fnv1a } from '../../../shared/fnv1a.js';

/** Retries of one model call inside the AI SDK unless the settings say otherwise. */
const MODEL_CALL_RETRIES = 2;

/** Models kept built (per provider, endpoint, model id and key); a rotated key adds one. */
const MAX_CACHED_MODELS = 32;

/** OpenAI and Anthropic accept only these characters in a tool's name, so no dots. */
const WIRE_TOOL_NAME = /[^a-zA-Z0-9_-]/g;
/** The longest tool name OpenAI accepts. */
const MAX_WIRE_TOOL_NAME = 64;

export function createLlmRunner(settings: LlmRunnerSettings = {}): Runner {
  const now = settings.now ?? (() => performance.now());
  // A step's settings object is the same on every attempt, so each is validated once.
  const stepSettings = new WeakMap<object, LlmStepSettings | StepFailure>();

  const stepSettingsOf = (given: StepAttemptContext['settings']): LlmStepSettings => {
    if (isEmpty(given)) return DEFAULT_LLM_STEP_SETTINGS;
    let parsed = stepSettings.get(given);
    if (parsed === undefined) {
      try {
        parsed = parseLlmStepSettings(given);
      } catch (error) {
        parsed = StepFailure.from(error);
      }
      stepSettings.set(given, parsed);
    }
    if (parsed instanceof StepFailure) throw parsed;
    return parsed;
  };

  // Building a provider's model compiles its response schemas, which costs more per call (about
  // 1 ms) than everything else the runner does, so each model is built once per key.
  const languageModels = new Map<string, LanguageModel>();
  const languageModelFor = (model: ResolvedModel, apiKey: string | undefined): LanguageModel => {
    const key = [model.provider, model.base_url ?? '', model.model, apiKey ?? ''].join('\n');
    let languageModel = languageModels.get(key);
    if (languageModel === undefined) {
      if (languageModels.size >= MAX_CACHED_MODELS) languageModels.clear();
      languageModel = createLanguageModel(model, { apiKey, fetch: settings.fetch });
      languageModels.set(key, languageModel);
    }
    return languageModel;
  };

  return {
    name: 'llm',
    async execute(context) {
      if (context.signal.aborted) throw abortFailure(context.signal);
      const options = stepSettingsOf(context.settings);
      const agent = context.agent;
      const model = agent?.model;
      if (agent === undefined || model === undefined || model === null) {
        throw refused(
          agent === undefined
            ? 'llm runner: the step names no agent (give it an agent whose runner is llm)'
            : `llm runner: agent '${agent.name}' has no model for this attempt`,
        );
      }
      const keyEnv = apiKeyEnvOf(model);
      const key = keyEnv === undefined ? undefined : (context.env?.[keyEnv] ?? process.env[keyEnv]);
      const apiKey = key === '' ? undefined : key;
      if (apiKey === undefined && requiresApiKey(model.provider)) {
        throw refused(
          `model '${model.name}': no API key for ${model.provider}: ${keyEnv ?? 'api_key_env'} is not set`,
          { env: keyEnv ?? null },
        );
      }
      const tools = await toolsFor(agent, settings, context);
      if (context.signal.aborted) throw abortFailure(context.signal);
      return converse(context, {
        model,
        keyEnv,
        instructions: agent.instructions,
        maxSteps: agent.config.max_steps,
        options,
        tools,
        languageModel: languageModelFor(model, apiKey),
        maxRetries: settings.maxRetries ?? MODEL_CALL_RETRIES,
        now,
      });
    },
  };
}

interface Conversation {
  readonly model: ResolvedModel;
  readonly keyEnv: string | undefined;
  readonly instructions: string;
  readonly maxSteps: number;
  readonly options: LlmStepSettings;
  readonly tools: WireTools | undefined;
  readonly languageModel: LanguageModel;
  readonly maxRetries: number;
  readonly now: () => number;
}

async function converse(
  context: StepAttemptContext,
  conversation: Conversation,
): Promise<StepOutcome> {
  const { model, tools, now } = conversation;
  const report = activityReporter(context);
  const calls: ModelCall[] = [];
  let callStart = now();
  let callText = '';
  let answer = '';
  let allText = '';
  let finishReason: string | undefined;
  let failure: unknown;

  const result = streamText({
    model: conversation.languageModel,
    ...(conversation.instructions === '' ? {} : { instructions: conversation.instructions }),
    prompt: userMessageOf(context),
    ...(tools === undefined ? {} : { tools: tools.set }),
    stopWhen: stepCountIs(conversation.maxSteps),
    maxOutputTokens: model.max_output_tokens,
    ...(conversation.options.temperature === undefined
      ? {}
      : { temperature: conversation.options.temperature }),
    providerOptions: conversation.options.providerOptions,
    abortSignal: context.signal,
    maxRetries: conversation.maxRetries,
    // Errors are read from the stream below; the default handler would print them.
    onError: () => {},
  });

  try {
    for await (const part of result.stream) {
      switch (part.type) {
        case 'start-step':
          callStart = now();
          callText = '';
          break;
        case 'text-delta':
          callText += part.text;
          allText += part.text;
          report.text(part.text);
          break;
        case 'text-end':
          report.endOfText();
          break;
        case 'tool-call':
          report.activity({
            kind: 'agent-tool-call',
            id: part.toolCallId,
            tool: tools?.nameOf(part.toolName) ?? part.toolName,
            // Parsed from the model's JSON, so it is JSON.
            input: (part.input ?? null) as JsonValue,
          });
          break;
        case 'tool-result':
          if (part.preliminary === true) break;
          report.activity({
            kind: 'agent-tool-result',
            id: part.toolCallId,
            ok: true,
            text:
              typeof part.output === 'string' ? part.output : JSON.stringify(part.output ?? null),
          });
          break;
        case 'tool-error':
          report.activity({
            kind: 'agent-tool-result',
            id: part.toolCallId,
            ok: false,
            text: part.error instanceof Error ? part.error.message : String(part.error),
          });
          break;
        case 'finish-step':
          calls.push(modelCall(model, part.usage, Math.round(now() - callStart)));
          answer = callText;
          break;
        case 'finish':
          finishReason = part.finishReason;
          break;
        case 'error':
          failure ??= part.error;
          break;
        default:
          break;
      }
    }
  } catch (error) {
    failure ??= error;
  }
  report.endOfText();

  if (context.signal.aborted) throw abortedAfter(context.signal, calls);
  if (failure !== undefined) {
    throw llmFailure(failure, {
      model,
      keyEnv: conversation.keyEnv,
      outputTail: tail(allText),
      spent: spentOf(calls),
    });
  }
  if (finishReason === undefined) {
    throw new StepFailure({
      kind: 'error',
      message: `model '${model.name}': the response ended before the model finished`,
      retryable: true,
      outputTail: tail(allText),
      spent: spentOf(calls),
    });
  }
  return {
    output: { text: answer, model: model.name, finishReason, steps: calls.length },
    usage: usageOf(calls),
    calls,
  };
}

interface StepUsage {
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly inputTokenDetails: { readonly cacheReadTokens: number | undefined };
}

/** One ledger row; cached input is billed at `cached_input` when the model has that price. */
function modelCall(model: ResolvedModel, usage: StepUsage, latencyMs: number): ModelCall {
  const inputTokens = usage.inputTokens ?? 0;
  const outputTokens = usage.outputTokens ?? 0;
  const cachedInputTokens = Math.min(usage.inputTokenDetails.cacheReadTokens ?? 0, inputTokens);
  const costUsd = priceTokens(model.price, { inputTokens, cachedInputTokens, outputTokens });
  return { model: model.name, inputTokens, outputTokens, cachedInputTokens, costUsd, latencyMs };
}

function usageOf(calls: readonly ModelCall[]): RunnerUsage {
  let inputTokens = 0;
  let outputTokens = 0;
  let cachedInputTokens = 0;
  let costUsd = 0;
  for (const call of calls) {
    inputTokens += call.inputTokens;
    outputTokens += call.outputTokens;
    cachedInputTokens += call.cachedInputTokens;
    costUsd += call.costUsd;
  }
  return { inputTokens, outputTokens, cachedInputTokens, costUsd };
}

function spentOf(calls: readonly ModelCall[]): StepFailureSpend {
  return { ...usageOf(calls), calls };
}

/**
 * The engine's abort reason, handed back as is — with what the attempt spent attached when it
 * had already paid for model calls (a copy then: the reason itself is the engine's object).
 */
function abortedAfter(signal: AbortSignal, calls: readonly ModelCall[]): StepFailure {
  const reason = abortFailure(signal);
  if (calls.length === 0) return reason;
  return new StepFailure({ ...reason.toJSON(), spent: spentOf(calls) });
}

function refused(message: string, details: Record<string, unknown> = {}): StepFailure {
  return new StepFailure({ kind: 'error', message, retryable: false, outputTail: '', details });
}

/** An agent's tools under names the providers accept, and the way back to bosun's names. */
interface WireTools {
  readonly set: ToolSet;
  /** `task.note` for `task_note`, `github/search_issues` for `github__search_issues`. */
  nameOf(wireName: string): string;
}

/**
 * The attempt's tools: the bosun operations of the agent's `tools:` and the external MCP tools its
 * `mcp:` allows. A model API takes `[a-zA-Z0-9_-]{1,64}` as a tool name, so `task.note` becomes
 * `task_note` and `github/search_issues` becomes `github__search_issues`; a longer name is cut
 * and ends in a hash of the whole, so it stays unique.
 */
async function toolsFor(
  agent: AgentProfile,
  settings: LlmRunnerSettings,
  context: StepAttemptContext,
): Promise<WireTools | undefined> {
  const names = agent.config.tools;
  const allowlist = agent.config.mcp;
  if (names.length === 0 && allowlist.length === 0) return undefined;
  const given: [string, ToolSet[string]][] = [];
  if (names.length > 0) {
    if (settings.tools === undefined) {
      throw refused(
        `llm runner: agent '${agent.name}' lists tools (${names.join(', ')}) but this runner has none to give`,
      );
    }
    const operations = settings.tools(names, context);
    const missing = names.filter((name) => !(name in operations));
    if (missing.length > 0) {
      throw refused(`llm runner: agent '${agent.name}' lists unknown tools: ${missing.join(', ')}`);
    }
    for (const name of names) given.push([name, operations[name]!]);
  }
  if (allowlist.length > 0) {
    if (settings.externalTools === undefined) {
      throw refused(
        `llm runner: agent '${agent.name}' lists MCP servers (${allowlist.join(', ')}) but this runner has no MCP client`,
      );
    }
    let external: ToolSet;
    try {
      // Starting or reaching a server may take its whole connect timeout: a cancel need not wait.
      external = await untilAborted(settings.externalTools(allowlist, context), context.signal);
    } catch (error) {
      throw context.signal.aborted ? abortFailure(context.signal) : StepFailure.from(error);
    }
    given.push(...Object.entries(external));
  }
  const set: ToolSet = {};
  const byWire = new Map<string, string>();
  for (const [name, tool] of given) {
    const wire = wireToolName(name);
    const taken = byWire.get(wire);
    if (taken === name) continue;
    if (taken !== undefined) {
      throw refused(
        `llm runner: agent '${agent.name}': tools '${taken}' and '${name}' both become '${wire}' for the model`,
      );
    }
    byWire.set(wire, name);
    set[wire] = tool;
  }
  return { set, nameOf: (wire) => byWire.get(wire) ?? wire };
}

/** `work`, or a rejection as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortFailure(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortFailure(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** `task.note` → `task_note`; `github/search_issues` → `github__search_issues`. */
export function wireToolName(name: string): string {
  const wire = name.replace('/', '__').replace(WIRE_TOOL_NAME, '_');
  if (wire.length <= MAX_WIRE_TOOL_NAME) return wire;
  const hash = fnv1a(name).toString(16).padStart(8, '0');
  return `${wire.slice(0, MAX_WIRE_TOOL_NAME - hash.length - 1)}_${hash}`;
}

interface ActivityReporter {
  text(delta: string): void;
  endOfText(): void;
  activity(event: AgentActivity): void;
}

/**
 * Where the agent's activity goes: to `report` when the context takes it (and nothing to `emit`,
 * so the journal gets the text once); otherwise the message text as whole lines on the `text`
 * stream, so a caller without `report` still sees progress.
 */
function activityReporter(context: StepAttemptContext): ActivityReporter {
  const report = context.report?.bind(context);
  if (report !== undefined) {
    return {
      text: (delta) => report({ kind: 'agent-message-delta', text: delta }),
      endOfText: () => {},
      activity: report,
    };
  }
  let pending = '';
  return {
    text(delta) {
      pending += delta;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        context.emit('text', pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    },
    endOfText() {
      if (pending === '') return;
      context.emit('text', pending);
      pending = '';
    },
    activity: () => {},
  };
}

function isEmpty(settings: object): boolean {
  for (const _key in settings) return false;
  return true;
}
