/**
 * How one Claude Code attempt is invoked: the factory's settings, a step's `with:` (validated
 * strictly, so a typo in a workflow file fails loudly), and the command line built from them, the
 * agent's profile and the prompt:
 *
 *   claude -p PROMPT --output-format stream-json --verbose [--model ID] [--max-turns N]
 *          [--append-system-prompt=INSTRUCTIONS] [--resume SESSION] [...agent args, ...step args]
 *
 * `-p` is a switch, and the prompt its own argument, put right after it so that a variadic flag
 * among the extra args (`--allowedTools Read Edit`) cannot swallow it. stream-json in print mode
 * needs `--verbose`. A prompt that would not survive as an argument goes through stdin instead:
 * one that starts with `-` (Commander would read it as a flag), one without a space (Commander
 * would run a subcommand of that name, such as `update`), and one over 100 KiB (Linux refuses
 * longer arguments).
 */

import { z } from 'zod';
import type { JsonValue } from '../../../domain/workflow.js';
import type { AgentProfile } from '../../../ports/runner.js';
import { parseRunnerSettings } from '../../../shared/runner-settings.js';
import type { AgentPrompt } from '../agent-cli/agent-prompt.js';
import { MAX_PROMPT_ARGUMENT_BYTES, StepEnvSchema } from '../agent-cli/run-agent-cli.js';
import type { AgentCliInvocation, AgentCliRunnerSettings } from '../agent-cli/run-agent-cli.js';

/** The factory's settings; `command` defaults to `claude`. */
export type ClaudeCodeRunnerSettings = AgentCliRunnerSettings;

/** A step's `with:` for the claude-code runner, after validation. */
export interface ClaudeCodeStepOptions {
  /** The model id Claude Code takes; overrides the agent's model. */
  readonly model: string | undefined;
  /** Overrides the agent's `max_steps`. */
  readonly maxTurns: number | undefined;
  /** Added after the agent's `args`. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const ClaudeCodeStepSettingsSchema = z.strictObject({
  model: z.string().trim().min(1, 'must not be empty').optional(),
  max_turns: z.number().int('must be a whole number').positive('must be positive').optional(),
  args: z.array(z.string()).optional(),
  env: StepEnvSchema.optional(),
});

export function parseClaudeCodeStepOptions(settings: {
  readonly [key: string]: JsonValue;
}): ClaudeCodeStepOptions {
  const parsed = parseRunnerSettings('claude-code', ClaudeCodeStepSettingsSchema, settings);
  return {
    model: parsed.model,
    maxTurns: parsed.max_turns,
    args: parsed.args ?? [],
    env: parsed.env ?? {},
  };
}

export interface ClaudeCodeInvocation extends AgentCliInvocation {
  /** The model id passed with `--model`; null when Claude Code picks its default. */
  readonly model: string | null;
}

/**
 * The model is the step's, else the agent's configured model (its provider id), else the id the
 * agent names directly; turns the step's, else the agent's `max_steps`.
 */
export function buildClaudeCodeInvocation(
  prompt: AgentPrompt,
  step: ClaudeCodeStepOptions,
  agent: AgentProfile | undefined,
): ClaudeCodeInvocation {
  const model = step.model ?? agent?.model?.model ?? agent?.config.model ?? null;
  const maxTurns = step.maxTurns ?? agent?.config.max_steps;
  const viaStdin = !fitsAsArgument(prompt.text);
  const args = [
    '-p',
    ...(viaStdin ? [] : [prompt.text]),
    '--output-format',
    'stream-json',
    '--verbose',
    ...(model === null ? [] : ['--model', model]),
    ...(maxTurns === undefined ? [] : ['--max-turns', String(maxTurns)]),
    // With `=`, instructions that start with `-` (a YAML front matter, a list) stay a value.
    ...(agent?.instructions.trim() ? [`--append-system-prompt=${agent.instructions}`] : []),
    ...(prompt.resumeSession === null ? [] : ['--resume', prompt.resumeSession]),
    ...(agent?.config.args ?? []),
    ...step.args,
  ];
  return { args, stdin: viaStdin ? prompt.text : '', env: step.env, model };
}

function fitsAsArgument(prompt: string): boolean {
  return (
    !prompt.startsWith('-') &&
    /\s/.test(prompt) &&
    Buffer.byteLength(prompt) <= MAX_PROMPT_ARGUMENT_BYTES
  );
}
