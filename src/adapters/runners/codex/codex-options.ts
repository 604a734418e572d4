/**
 * How one Codex attempt is invoked: the factory's settings, a step's `with:` (validated strictly,
 * so a typo in a workflow file fails loudly), and the command line built from them, the agent's
 * profile and the prompt, in the order OpenAI's TypeScript SDK uses (`sdk/typescript/src/exec.ts`):
 *
 *   codex exec --json [--model ID] --skip-git-repo-check --cd WORKDIR [...agent args, ...step args]
 *              [resume THREAD] -- PROMPT
 *
 * Options come before `resume`, where every Codex version takes them. `--` ends the options, so a
 * prompt that starts with `-` or reads `resume` stays the prompt. A prompt over 100 KiB (Linux
 * refuses longer arguments) is passed as `-`, which makes Codex read it from stdin.
 *
 * `--skip-git-repo-check` is always passed: the check keeps a person from running Codex by
 * mistake outside a repository, but bosun chose the folder (a worktree it made, the workspace
 * root), and a step with `workdir: none` would otherwise always fail. Codex has no flag for extra
 * system instructions, so the agent's instructions open the prompt of a new conversation (a
 * resumed one holds them already). Codex runs in its read-only sandbox unless the agent's `args`
 * say otherwise (`--sandbox workspace-write`, `--full-auto`).
 */

import { z } from 'zod';
import type { JsonValue } from '../../../domain/workflow.js';
import type { AgentProfile } from '../../../ports/runner.js';
import { parseRunnerSettings } from '../../../shared/runner-settings.js';
import type { AgentPrompt } from '../agent-cli/agent-prompt.js';
import { MAX_PROMPT_ARGUMENT_BYTES, StepEnvSchema } from '../agent-cli/run-agent-cli.js';
import type { AgentCliInvocation, AgentCliRunnerSettings } from '../agent-cli/run-agent-cli.js';

/** The factory's settings; `command` defaults to `codex`. */
export type CodexRunnerSettings = AgentCliRunnerSettings;

/** A step's `with:` for the codex runner, after validation. */
export interface CodexStepOptions {
  /** The model id Codex takes; overrides the agent's model. */
  readonly model: string | undefined;
  /** Added after the agent's `args`. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const CodexStepSettingsSchema = z.strictObject({
  model: z.string().trim().min(1, 'must not be empty').optional(),
  args: z.array(z.string()).optional(),
  env: StepEnvSchema.optional(),
});

export function parseCodexStepOptions(settings: {
  readonly [key: string]: JsonValue;
}): CodexStepOptions {
  const parsed = parseRunnerSettings('codex', CodexStepSettingsSchema, settings);
  return { model: parsed.model, args: parsed.args ?? [], env: parsed.env ?? {} };
}

export interface CodexInvocation extends AgentCliInvocation {
  /** The model id passed with `--model`; null when Codex picks its default. */
  readonly model: string | null;
}

/** The model is the step's, else the agent's configured model (its provider id), else its id. */
export function buildCodexInvocation(
  prompt: AgentPrompt,
  step: CodexStepOptions,
  agent: AgentProfile | undefined,
  workdir: string,
): CodexInvocation {
  const model = step.model ?? agent?.model?.model ?? agent?.config.model ?? null;
  const viaStdin =
    Buffer.byteLength(prompt.text) > MAX_PROMPT_ARGUMENT_BYTES || prompt.text === '-';
  const args = [
    'exec',
    '--json',
    ...(model === null ? [] : ['--model', model]),
    '--skip-git-repo-check',
    '--cd',
    workdir,
    ...(agent?.config.args ?? []),
    ...step.args,
    ...(prompt.resumeSession === null ? [] : ['resume', prompt.resumeSession]),
    '--',
    viaStdin ? '-' : prompt.text,
  ];
  return { args, stdin: viaStdin ? prompt.text : '', env: step.env, model };
}
