/**
 * What the model is told for one step attempt: the step's input as the user message and, on a
 * retry, what the earlier attempts of the step left behind — their errors, the end of their
 * output, a reviewer's comment — so the model does not repeat the same mistake. The attempt's
 * idempotency key is named there too: an earlier try may already have done part of the work, and
 * a tool with lasting effects can pass the key along to recognize it. An agent step's packed
 * context (core/agents/context-packer.ts), when the engine made one, is sent instead.
 */

import type { PreviousAttempt, StepAttemptContext } from '../../../ports/runner.js';
import { tail } from '../../../shared/step-failure.js';

/** How much of each earlier attempt's output the prompt repeats (its last characters). */
const PREVIOUS_TAIL_CHARS = 1000;

export function userMessageOf(
  context: Pick<
    StepAttemptContext,
    'input' | 'previousAttempts' | 'attempt' | 'idempotencyKey' | 'context'
  >,
): string {
  // A packed context already holds the task, what it builds on and how earlier attempts failed.
  if (context.context !== undefined) return context.context.text;
  const input =
    typeof context.input === 'string' ? context.input : JSON.stringify(context.input, null, 2);
  if (context.previousAttempts.length === 0) return input;
  const lines = [
    input,
    '',
    '---',
    `Earlier attempts at this step failed. This is attempt ${context.attempt} ` +
      `(idempotency key ${context.idempotencyKey}); some of the work may already be done. ` +
      'Learn from what went wrong:',
    ...context.previousAttempts.flatMap(describeAttempt),
  ];
  return lines.join('\n');
}

function describeAttempt(previous: PreviousAttempt): string[] {
  const lines = [`- Attempt ${previous.attempt} (${previous.kind}): ${previous.error}`];
  const output = tail(previous.outputTail, PREVIOUS_TAIL_CHARS).trimEnd();
  if (output !== '') {
    lines.push('  Its output ended with:', ...output.split('\n').map((line) => `    ${line}`));
  }
  if (previous.comment !== null && previous.comment !== '') {
    lines.push(`  The reviewer said: ${previous.comment}`);
  }
  return lines;
}
