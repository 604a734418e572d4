/**
 * The claude-code runner: a step is a headless Claude Code run (`claude -p`) in the attempt's
 * workdir, its stream-json output reported as agent activity while it runs, and its result line
 * the step's output, usage and cost. A retry resumes the conversation the failed attempt left
 * (`--resume`), telling the agent what went wrong, so the work done so far is not paid for twice.
 *
 * Cost is Claude Code's `total_cost_usd`. On a resumed session recent Claude Code versions count
 * the earlier runs of the session in it, and bosun cannot take them out (a previous attempt
 * hands over its session, not its cost), so a resumed attempt reports the session's running
 * total and says so with `cumulative: true` in its output. Its tokens are this run's only.
 */

import type { ModelCall, Runner, StepAttemptContext, StepOutcome } from '../../../ports/runner.js';
import { abortFailure, StepFailure } from '../../../shared/step-failure.js';
import type { StepFailureSpend } from '../../../shared/step-failure.js';
import { composeAgentPrompt } from '../agent-cli/agent-prompt.js';
import { createClaudeCodeAccumulator } from '../agent-cli/map-claude-code-event.js';
import {
  hasVerdict,
  priceUsage,
  processFailure,
  resolveAgentCliSettings,
  runAgentCli,
} from '../agent-cli/run-agent-cli.js';
import type { AgentCliExit, AgentCliProcessOptions } from '../agent-cli/run-agent-cli.js';
import { buildClaudeCodeInvocation, parseClaudeCodeStepOptions } from './claude-code-options.js';
import type { ClaudeCodeInvocation, ClaudeCodeRunnerSettings } from './claude-code-options.js';

const AGENT_NAME = 'Claude Code';

/**
 * Result subtypes another attempt cannot fix. `error_max_budget_usd` is a spending cap: a retry
 * would only spend more. `error_max_turns` is not here: the retry resumes the session with a
 * fresh turn allowance and carries on, and the step's `retries` bound how often.
 */
const FINAL_ERROR_TYPES: ReadonlySet<string> = new Set(['error_max_budget_usd']);

export function createClaudeCodeRunner(settings: ClaudeCodeRunnerSettings = {}): Runner {
  const options = resolveAgentCliSettings(settings, 'claude');
  return { name: 'claude-code', execute: (context) => runClaudeCode(context, options) };
}

async function runClaudeCode(
  context: StepAttemptContext,
  options: AgentCliProcessOptions,
): Promise<StepOutcome> {
  if (context.signal.aborted) throw abortFailure(context.signal);
  const step = parseClaudeCodeStepOptions(context.settings);
  const prompt = composeAgentPrompt(context);
  if (prompt.text.trim() === '') throw emptyPromptFailure();
  const invocation = buildClaudeCodeInvocation(prompt, step, context.agent);
  const exit = await runAgentCli(
    context,
    invocation,
    {
      agentName: AGENT_NAME,
      runnerName: 'claude-code',
      installHint: 'install Claude Code or set command',
      accumulator: createClaudeCodeAccumulator(),
    },
    options,
  );
  const cumulative = prompt.resumeSession !== null;
  return outcomeOf(exit, context, invocation, cumulative);
}

function outcomeOf(
  exit: AgentCliExit,
  context: StepAttemptContext,
  invocation: ClaudeCodeInvocation,
  cumulative: boolean,
): StepOutcome {
  const { result } = exit;
  const session = result.sessionId ?? undefined;
  if (!hasVerdict(result)) {
    // No result line: nothing was counted, but the session can still be resumed.
    const spent = session === undefined ? undefined : { ...ZERO_SPEND, session };
    throw processFailure(exit, AGENT_NAME, spent);
  }
  const { inputTokens, outputTokens, cachedInputTokens } = result.usage;
  const costUsd = result.costUsd ?? priceUsage(result.usage, context.agent?.model ?? null) ?? 0;
  const call: ModelCall = {
    model: context.agent?.model?.name ?? exit.reportedModel ?? invocation.model ?? 'claude-code',
    inputTokens,
    outputTokens,
    cachedInputTokens,
    costUsd,
    latencyMs: result.durationMs ?? exit.elapsedMs,
  };
  if (!result.ok) {
    const errorType = result.errorType ?? 'error';
    throw new StepFailure({
      kind: 'error',
      message: result.error ?? `${AGENT_NAME} failed (${errorType})`,
      retryable: !FINAL_ERROR_TYPES.has(errorType),
      outputTail: exit.outputTail,
      details: { errorType, exitCode: exit.exitCode, turns: result.turns, cumulative },
      spent: { inputTokens, outputTokens, cachedInputTokens, costUsd, calls: [call], session },
    });
  }
  return {
    output: {
      text: result.text,
      session: result.sessionId,
      model: exit.reportedModel ?? invocation.model,
      turns: result.turns,
      durationMs: result.durationMs ?? exit.elapsedMs,
      cumulative,
    },
    usage: { inputTokens, outputTokens, cachedInputTokens, costUsd },
    calls: [call],
    session,
  };
}

const ZERO_SPEND: StepFailureSpend = {
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  costUsd: 0,
  calls: [],
};

function emptyPromptFailure(): StepFailure {
  return new StepFailure({
    kind: 'error',
    message: "claude-code runner: the step's input is empty, and it is the prompt",
    retryable: false,
    outputTail: '',
    details: { field: 'input' },
  });
}
