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
import type { ResolvedModel } from '../ports/runner.js';
import { BosunError } from '../shared/errors.js';
import type { AgentDirectory } from './agent-directory.js';
import { resolveModel } from './agent-directory.js';
import { callModelText, llmAgentProfile } from './model-text.js';

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
  // The first of the roles some agent plays (`bosun brief`: briefer, then analyst).
  const role = (options.roles ?? [ANALYST_ROLE]).find((wanted) =>
    Object.values(section.agents).some((agent) => agent.role === wanted),
  );
  if (!named && role === undefined) {
    return options.model === undefined
      ? null
      : { agent: null, instructions: '', model: modelNamed(options.model) };
  }
  const profile = llmAgentProfile(
    directory,
    named ? { agent: options.agent! } : { role: role! },
    options.purpose ?? 'ask',
    options.model === undefined ? undefined : modelNamed(options.model),
  );
  return { agent: profile.name, instructions: profile.instructions, model: profile.model };
}

function answerWith(
  settings: AnswererSettings,
  choice: AnswererChoice,
  prompt: AnswerPrompt,
): Promise<AnswerResult> {
  return callModelText(settings, {
    purpose: prompt.purpose ?? 'ask',
    model: choice.model,
    instructions: [prompt.instructions, choice.instructions],
    prompt: prompt.prompt,
    timeoutMs: settings.timeoutMs ?? ANSWER_TIMEOUT_MS,
    maxRetries: settings.maxRetries ?? MODEL_CALL_RETRIES,
  });
}
