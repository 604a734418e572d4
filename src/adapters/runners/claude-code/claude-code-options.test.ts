import { describe, expect, it } from 'vitest';
import { AgentConfigSchema, ModelConfigSchema } from '../../../domain/agent.js';
import type { AgentProfile } from '../../../ports/runner.js';
import { StepFailure } from '../../../shared/step-failure.js';
import { catchError } from '../../../testing/catch-error.js';
import { buildClaudeCodeInvocation, parseClaudeCodeStepOptions } from './claude-code-options.js';

const NO_STEP_OPTIONS = parseClaudeCodeStepOptions({});

function agent(overrides: Partial<AgentProfile> = {}): AgentProfile {
  return {
    name: 'fixer',
    config: AgentConfigSchema.parse({
      runner: 'claude-code',
      max_steps: 12,
      args: ['--permission-mode', 'acceptEdits'],
    }),
    instructions: '',
    model: null,
    ...overrides,
  };
}

const fresh = (text: string) => ({ text, resumeSession: null });

describe('claude-code step options', () => {
  it('reads model, max_turns, args and env', () => {
    expect(
      parseClaudeCodeStepOptions({
        model: 'opus',
        max_turns: 3,
        args: ['--allowedTools=Read'],
        env: { FOO: 'bar' },
      }),
    ).toEqual({ model: 'opus', maxTurns: 3, args: ['--allowedTools=Read'], env: { FOO: 'bar' } });
  });

  it.each([
    [{ max_turns: 0 }, 'with.max_turns: must be positive'],
    [{ max_turns: 1.5 }, 'with.max_turns: must be a whole number'],
    [{ model: ' ' }, 'with.model: must not be empty'],
    [{ env: { 'BAD-NAME': 'x' } }, 'with.env.BAD-NAME'],
    [{ prompt: 'x' }, 'with.prompt: is not a claude-code runner setting'],
  ])('refuses %j without retrying, naming the key', (settings, message) => {
    const failure = catchError(() => parseClaudeCodeStepOptions(settings)) as StepFailure;
    expect(failure).toBeInstanceOf(StepFailure);
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain(message);
  });
});

describe('the claude command line', () => {
  it('puts the prompt right after -p and needs nothing else without an agent', () => {
    const invocation = buildClaudeCodeInvocation(
      fresh('Fix issue #42'),
      NO_STEP_OPTIONS,
      undefined,
    );
    expect(invocation).toEqual({
      args: ['-p', 'Fix issue #42', '--output-format', 'stream-json', '--verbose'],
      stdin: '',
      env: {},
      model: null,
    });
  });

  it('adds the agent’s model, turn limit, instructions and args, then the step’s', () => {
    const model = {
      ...ModelConfigSchema.parse({ provider: 'anthropic', model: 'claude-sonnet-4-5' }),
      name: 'sonnet',
    };
    const invocation = buildClaudeCodeInvocation(
      { text: 'Now add a test', resumeSession: 'session-1' },
      parseClaudeCodeStepOptions({ args: ['--allowedTools', 'Read', 'Edit'] }),
      agent({ model, instructions: '---\nbe brief\n' }),
    );
    expect(invocation.args).toEqual([
      '-p',
      'Now add a test',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
      'claude-sonnet-4-5',
      '--max-turns',
      '12',
      '--append-system-prompt=---\nbe brief\n',
      '--resume',
      'session-1',
      '--permission-mode',
      'acceptEdits',
      '--allowedTools',
      'Read',
      'Edit',
    ]);
    expect(invocation.model).toBe('claude-sonnet-4-5');
  });

  it('prefers the step’s model and turns to the agent’s', () => {
    const invocation = buildClaudeCodeInvocation(
      fresh('Fix it now'),
      parseClaudeCodeStepOptions({ model: 'opus', max_turns: 2 }),
      agent({ config: AgentConfigSchema.parse({ runner: 'claude-code', model: 'haiku' }) }),
    );
    expect(invocation.args).toEqual(
      expect.arrayContaining(['--model', 'opus', '--max-turns', '2']),
    );
    expect(invocation.model).toBe('opus');
  });

  it('takes the agent’s model id as the CLI knows it when it names no configured model', () => {
    const invocation = buildClaudeCodeInvocation(
      fresh('Fix it now'),
      NO_STEP_OPTIONS,
      agent({ config: AgentConfigSchema.parse({ runner: 'claude-code', model: 'haiku' }) }),
    );
    expect(invocation.model).toBe('haiku');
  });

  it.each([
    ['starts with a dash', '- fix the totals\n- add a test'],
    ['is one word, which could name a subcommand', 'update'],
    ['is longer than an argument may be', `fix ${'x'.repeat(200 * 1024)}`],
  ])('sends a prompt that %s through stdin', (_case, prompt) => {
    const invocation = buildClaudeCodeInvocation(fresh(prompt), NO_STEP_OPTIONS, undefined);
    expect(invocation.args).toEqual(['-p', '--output-format', 'stream-json', '--verbose']);
    expect(invocation.stdin).toBe(prompt);
  });
});
