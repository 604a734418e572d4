/**
 * The codex runner: a step is a headless Codex run (`codex exec --json`) in the attempt's
 * workdir, its events reported as agent activity while it runs, its last agent message the step's
 * output. A retry resumes the thread the failed attempt left (`codex exec resume`), telling the
 * agent what went wrong.
 *
 * Codex reports tokens but no cost. bosun prices them when the agent's model is a configured
 * model (`models:` with `price`); for a bare model id it has no price, reports a cost of 0 and
 * says so with `costKnown: false` in the output. Codex's token counts are the thread's running
 * total, so a resumed attempt reports (and prices) the earlier runs of the thread again; its
 * output says so with `cumulative: true`.
 */

import type { ModelCall, Runner, StepAttemptContext, StepOutcome } from '../../../ports/runner.js';
import { abortFailure, StepFailure } from '../../../shared/step-failure.js';
import { composeAgentPrompt } from '../agent-cli/agent-prompt.js';
import { createCodexAccumulator } from '../agent-cli/map-codex-event.js';
import {
  hasVerdict,
  priceUsage,
  processFailure,
  resolveAgentCliSettings,
  runAgentCli,
} from '../agent-cli/run-agent-cli.js';
import type { AgentCliExit, AgentCliProcessOptions } from '../agent-cli/run-agent-cli.js';
import { buildCodexInvocation, parseCodexStepOptions } from './codex-options.js';
import type { CodexInvocation, CodexRunnerSettings } from './codex-options.js';

const AGENT_NAME = 'Codex';

export function createCodexRunner(settings: CodexRunnerSettings = {}): Runner {
  const options = resolveAgentCliSettings(settings, 'codex');
  return { name: 'codex', execute: (context) => runCodex(context, options) };
}

async function runCodex(
  context: StepAttemptContext,
  options: AgentCliProcessOptions,
): Promise<StepOutcome> {
  if (context.signal.aborted) throw abortFailure(context.signal);
  const step = parseCodexStepOptions(context.settings);
  const prompt = composeAgentPrompt(context, { preamble: context.agent?.instructions });
  if (prompt.text.trim() === '') throw emptyPromptFailure();
  const invocation = buildCodexInvocation(prompt, step, context.agent, context.workdir);
  const exit = await runAgentCli(
    context,
    invocation,
    {
      agentName: AGENT_NAME,
      runnerName: 'codex',
      installHint: 'install Codex or set command',
      accumulator: createCodexAccumulator(),
    },
    options,
  );
  return outcomeOf(exit, context, invocation, prompt.resumeSession !== null);
}

function outcomeOf(
  exit: AgentCliExit,
  context: StepAttemptContext,
  invocation: CodexInvocation,
  cumulative: boolean,
): StepOutcome {
  const { result } = exit;
  const session = result.sessionId ?? undefined;
  const { inputTokens, outputTokens, cachedInputTokens } = result.usage;
  const price = priceUsage(result.usage, context.agent?.model ?? null);
  const costUsd = price ?? 0;
  const call: ModelCall = {
    model: context.agent?.model?.name ?? invocation.model ?? 'codex',
    inputTokens,
    outputTokens,
    cachedInputTokens,
    costUsd,
    latencyMs: exit.elapsedMs,
  };
  // A run cut off before its turn ended counted no tokens; only its thread is worth keeping.
  const counted = inputTokens + outputTokens > 0;
  const spent = {
    inputTokens,
    outputTokens,
    cachedInputTokens,
    costUsd,
    calls: counted ? [call] : [],
    session,
  };
  if (!hasVerdict(result)) {
    throw processFailure(exit, AGENT_NAME, session === undefined ? undefined : spent);
  }
  if (!result.ok) {
    throw new StepFailure({
      kind: 'error',
      // Retryable: a failed turn is an API, network or usage-limit error, not a wrong answer.
      message: result.error ?? `${AGENT_NAME}'s turn failed`,
      retryable: true,
      outputTail: exit.outputTail,
      details: { errorType: result.errorType, exitCode: exit.exitCode, cumulative },
      spent,
    });
  }
  return {
    output: {
      text: result.text,
      session: result.sessionId,
      turns: exit.turnsEnded,
      costKnown: price !== null,
      cumulative,
    },
    usage: { inputTokens, outputTokens, cachedInputTokens, costUsd },
    calls: [call],
    session,
  };
}

function emptyPromptFailure(): StepFailure {
  return new StepFailure({
    kind: 'error',
    message: "codex runner: the step's input is empty, and it is the prompt",
    retryable: false,
    outputTail: '',
    details: { field: 'input' },
  });
}
