import { describe, expect, it } from 'vitest';
import { AgentConfigSchema, ModelConfigSchema } from '../../../domain/agent.js';
import type { AgentProfile } from '../../../ports/runner.js';
import { StepFailure } from '../../../shared/step-failure.js';
import { catchError } from '../../../testing/catch-error.js';
import { buildCodexInvocation, parseCodexStepOptions } from './codex-options.js';

const NO_STEP_OPTIONS = parseCodexStepOptions({});

function agent(overrides: Partial<AgentProfile> = {}): AgentProfile {
  return {
    name: 'fixer',
    config: AgentConfigSchema.parse({ runner: 'codex', args: ['--sandbox', 'workspace-write'] }),
    instructions: '',
    model: null,
    ...overrides,
  };
}

describe('codex step options', () => {
  it('reads model, args and env', () => {
    expect(
      parseCodexStepOptions({ model: 'gpt-5', args: ['--full-auto'], env: { A: 'b' } }),
    ).toEqual({ model: 'gpt-5', args: ['--full-auto'], env: { A: 'b' } });
  });

  it.each([
    [{ args: '--full-auto' }, 'with.args'],
    [{ max_turns: 3 }, 'with.max_turns: is not a codex runner setting'],
  ])('refuses %j without retrying, naming the key', (settings, message) => {
    const failure = catchError(() => parseCodexStepOptions(settings)) as StepFailure;
    expect(failure).toBeInstanceOf(StepFailure);
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain(message);
  });
});

describe('the codex command line', () => {
  it('puts options first and the prompt last, after --', () => {
    const invocation = buildCodexInvocation(
      { text: '- fix the totals', resumeSession: null },
      NO_STEP_OPTIONS,
      undefined,
      '/work/tree',
    );
    expect(invocation).toEqual({
      args: [
        'exec',
        '--json',
        '--skip-git-repo-check',
        '--cd',
        '/work/tree',
        '--',
        '- fix the totals',
      ],
      stdin: '',
      env: {},
      model: null,
    });
  });

  it('adds the model and the agent’s and step’s args, and resumes before the prompt', () => {
    const model = {
      ...ModelConfigSchema.parse({ provider: 'openai', model: 'gpt-5-codex' }),
      name: 'codex-large',
    };
    const invocation = buildCodexInvocation(
      { text: 'Now add a test', resumeSession: 'thread-1' },
      parseCodexStepOptions({ args: ['-c', 'model_reasoning_effort="high"'] }),
      agent({ model }),
      '/work/tree',
    );
    expect(invocation.args).toEqual([
      'exec',
      '--json',
      '--model',
      'gpt-5-codex',
      '--skip-git-repo-check',
      '--cd',
      '/work/tree',
      '--sandbox',
      'workspace-write',
      '-c',
      'model_reasoning_effort="high"',
      'resume',
      'thread-1',
      '--',
      'Now add a test',
    ]);
  });

  it('passes a prompt longer than an argument may be as `-`, through stdin', () => {
    const prompt = `fix ${'x'.repeat(200 * 1024)}`;
    const invocation = buildCodexInvocation(
      { text: prompt, resumeSession: null },
      NO_STEP_OPTIONS,
      undefined,
      '/work/tree',
    );
    expect(invocation.args.slice(-2)).toEqual(['--', '-']);
    expect(invocation.stdin).toBe(prompt);
  });
});
