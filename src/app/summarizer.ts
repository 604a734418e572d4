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
import type { AgentDirectory } from './agent-directory.js';
import { callModelText, llmAgentProfile } from './model-text.js';

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
  if (!Object.values(directory.section.agents).some((agent) => agent.role === SUMMARIZER_ROLE)) {
    return null;
  }
  const profile = llmAgentProfile(directory, { role: SUMMARIZER_ROLE }, 'summarizer');
  return { agent: profile.name, instructions: profile.instructions, model: profile.model };
}

function summarizeWith(
  settings: SummarizerSettings,
  choice: SummarizerChoice,
  prompt: SummaryPrompt,
  signal: AbortSignal | undefined,
): Promise<SummaryResult> {
  return callModelText(settings, {
    purpose: 'summarizer',
    model: choice.model,
    instructions: [prompt.instructions, choice.instructions],
    prompt: prompt.prompt,
    timeoutMs: settings.timeoutMs ?? SUMMARY_TIMEOUT_MS,
    maxRetries: MODEL_CALL_RETRIES,
    signal,
  });
}
