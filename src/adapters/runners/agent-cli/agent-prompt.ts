/**
 * What a CLI agent is told for one attempt of a step, the same for Claude Code and Codex. The
 * step's input is the task (a string as it is, anything else as JSON). A retry learns from the
 * attempts before it: when the last one left a conversation, that conversation is resumed and
 * the prompt only says what went wrong, since the agent remembers the task and its own work;
 * otherwise the task is sent again with a short list of how the earlier attempts failed. An agent
 * step's packed context (core/agents/context-packer.ts), when the engine made one, is sent as the
 * task and already says how earlier attempts failed.
 */

import type { PreviousAttempt, StepAttemptContext } from '../../../ports/runner.js';

export interface AgentPrompt {
  readonly text: string;
  /** The conversation to continue (Claude `--resume`, Codex `exec resume`); null for a new one. */
  readonly resumeSession: string | null;
}

/** Error messages and comments are clipped: a prompt should not carry a whole stack trace. */
const MAX_NOTE_CHARS = 1000;

/**
 * `preamble` goes before the task of a new conversation (Codex has no flag for extra system
 * instructions); a resumed conversation already holds it.
 */
export function composeAgentPrompt(
  context: Pick<StepAttemptContext, 'input' | 'previousAttempts' | 'context'>,
  options: { readonly preamble?: string | undefined } = {},
): AgentPrompt {
  const last = context.previousAttempts.at(-1);
  if (last?.session != null && last.session !== '') {
    return { text: resumeText(last), resumeSession: last.session };
  }
  // A packed context already holds the task, what it builds on and how earlier attempts failed.
  const packed = context.context?.text;
  const task =
    packed ??
    (typeof context.input === 'string' ? context.input : JSON.stringify(context.input, null, 2));
  const parts = [options.preamble?.trim() ?? '', task];
  if (packed === undefined && context.previousAttempts.length > 0) {
    parts.push(failuresText(context.previousAttempts));
  }
  return { text: parts.filter((part) => part !== '').join('\n\n'), resumeSession: null };
}

function resumeText(last: PreviousAttempt): string {
  const lines = [
    `Your last attempt at this task failed (attempt ${last.attempt}, ${last.kind}): ${clip(last.error)}`,
  ];
  if (last.comment != null && last.comment.trim() !== '') {
    lines.push(`Reviewer's comment: ${clip(last.comment)}`);
  }
  lines.push('Continue from where you stopped and finish the task.');
  return lines.join('\n');
}

function failuresText(attempts: readonly PreviousAttempt[]): string {
  const lines = ['Earlier attempts at this task failed:'];
  for (const attempt of attempts) {
    lines.push(`- Attempt ${attempt.attempt} (${attempt.kind}): ${clip(attempt.error)}`);
    if (attempt.comment != null && attempt.comment.trim() !== '') {
      lines.push(`  Reviewer's comment: ${clip(attempt.comment)}`);
    }
  }
  lines.push('Do not repeat what made them fail.');
  return lines.join('\n');
}

/** One line, at most MAX_NOTE_CHARS: a multi-line message would break the list above. */
function clip(text: string): string {
  const flat = text.trim().replace(/\s*\n\s*/g, ' ⏎ ');
  return flat.length <= MAX_NOTE_CHARS ? flat : `${flat.slice(0, MAX_NOTE_CHARS - 1)}…`;
}
