import { describe, expect, it } from 'vitest';
import type { PreviousAttempt } from '../../../ports/runner.js';
import { composeAgentPrompt } from './agent-prompt.js';

function attempt(overrides: Partial<PreviousAttempt> & { attempt: number }): PreviousAttempt {
  return {
    kind: 'error',
    error: 'it failed',
    outputTail: '',
    comment: null,
    session: null,
    ...overrides,
  };
}

describe('composeAgentPrompt', () => {
  it('sends the packed context instead of the input, with no second list of failures', () => {
    const packed =
      '## Task\nFix issue #42\n\n## Earlier attempts (they failed)\n- Attempt 1 (error)';
    const prompt = composeAgentPrompt(
      {
        input: 'Fix issue #42',
        previousAttempts: [attempt({ attempt: 1 })],
        context: { text: packed, tokens: 20 },
      },
      { preamble: 'Be careful.' },
    );
    expect(prompt).toEqual({ text: `Be careful.\n\n${packed}`, resumeSession: null });
  });

  it('gives a string input as it is, in a new conversation', () => {
    expect(composeAgentPrompt({ input: 'Fix issue #42', previousAttempts: [] })).toEqual({
      text: 'Fix issue #42',
      resumeSession: null,
    });
  });

  it('gives any other input as indented JSON', () => {
    const prompt = composeAgentPrompt({ input: { issue: 42 }, previousAttempts: [] });
    expect(prompt.text).toBe('{\n  "issue": 42\n}');
  });

  it('puts a preamble before the task of a new conversation', () => {
    const prompt = composeAgentPrompt(
      { input: 'Fix issue #42', previousAttempts: [] },
      { preamble: 'You are careful.\n' },
    );
    expect(prompt.text).toBe('You are careful.\n\nFix issue #42');
  });

  it('lists how earlier attempts failed, with reviewers’ comments, after the task', () => {
    const prompt = composeAgentPrompt({
      input: 'Fix issue #42',
      previousAttempts: [
        attempt({ attempt: 1, error: 'tests failed:\n  expected 10.01 to be 10' }),
        attempt({ attempt: 2, kind: 'rejected', error: 'rejected', comment: 'Round once.' }),
      ],
    });
    expect(prompt).toEqual({
      text: [
        'Fix issue #42',
        '',
        'Earlier attempts at this task failed:',
        '- Attempt 1 (error): tests failed: ⏎ expected 10.01 to be 10',
        '- Attempt 2 (rejected): rejected',
        "  Reviewer's comment: Round once.",
        'Do not repeat what made them fail.',
      ].join('\n'),
      resumeSession: null,
    });
  });

  it('resumes the conversation the last attempt left and says only what went wrong', () => {
    const prompt = composeAgentPrompt(
      {
        input: 'Fix issue #42',
        previousAttempts: [
          attempt({ attempt: 1, session: 'older' }),
          attempt({
            attempt: 2,
            kind: 'timeout',
            error: 'timed out',
            comment: 'Be quicker.',
            session: 's-2',
          }),
        ],
      },
      { preamble: 'not sent again' },
    );
    expect(prompt).toEqual({
      text: [
        'Your last attempt at this task failed (attempt 2, timeout): timed out',
        "Reviewer's comment: Be quicker.",
        'Continue from where you stopped and finish the task.',
      ].join('\n'),
      resumeSession: 's-2',
    });
  });

  it('starts over when only an earlier attempt left a conversation', () => {
    const prompt = composeAgentPrompt({
      input: 'Fix issue #42',
      previousAttempts: [attempt({ attempt: 1, session: 's-1' }), attempt({ attempt: 2 })],
    });
    expect(prompt.resumeSession).toBeNull();
    expect(prompt.text.startsWith('Fix issue #42\n\nEarlier attempts')).toBe(true);
  });

  it('clips a long error message', () => {
    const prompt = composeAgentPrompt({
      input: 'task',
      previousAttempts: [attempt({ attempt: 1, error: 'x'.repeat(5000) })],
    });
    const line = prompt.text.split('\n').find((each) => each.startsWith('- Attempt 1'));
    expect(line).toBe(`- Attempt 1 (error): ${'x'.repeat(999)}…`);
  });
});
