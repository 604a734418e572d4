import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../domain/workflow.js';
import { StepFailure } from '../../../shared/step-failure.js';
import { describeRunnerConformance } from '../../../testing/runner-conformance.js';
import { createStepContext } from '../../../testing/step-context.js';
import { createMockRunner } from './index.js';
import type { MockTimers } from './index.js';

describeRunnerConformance('mock', () => createMockRunner(), {
  succeeds: {
    settings: { output: { ok: true, items: [1, 'two', null] } },
    input: { ignored: true },
    output: { ok: true, items: [1, 'two', null] },
  },
  fails: {
    settings: { fail: true, error: 'boom', emit: ['working', 'oops'] },
    message: 'boom',
    retryable: false,
    outputTail: 'oops',
  },
  invalidSettings: { settings: { latency: 'soon' }, key: 'latency' },
  runsUntilAborted: { settings: { latency: '5m', emit: ['started'] } },
  emits: {
    settings: { emit: ['one', 'two'] },
    lines: [
      { stream: 'text', text: 'one' },
      { stream: 'text', text: 'two' },
    ],
  },
  echoes: {
    settings: { echo_context: true },
    read: (output) => {
      const document = output as {
        idempotency_key: string;
        previous_attempts: { error: string }[];
      };
      return {
        idempotencyKey: document.idempotency_key,
        previousErrors: document.previous_attempts.map((previous) => previous.error),
      };
    },
  },
});

/** Timers that fire only when the test says so. */
function createManualTimers(): MockTimers & {
  readonly pending: Map<number, { callback: () => void; ms: number }>;
  fireAll(): void;
} {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 1;
  return {
    pending,
    setTimeout(callback, ms) {
      const handle = next++;
      pending.set(handle, { callback, ms });
      return handle;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    fireAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const timer of due) timer.callback();
    },
  };
}

/** Timers that fail the test if the runner touches them. */
const forbiddenTimers: MockTimers = {
  setTimeout: () => {
    throw new Error('a zero-latency step must not start a timer');
  },
  clearTimeout: () => {
    throw new Error('a zero-latency step must not clear a timer');
  },
};

/** Lets every pending promise callback run, so a test can see whether a promise has settled. */
function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function failureOf(promise: Promise<unknown>): Promise<StepFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StepFailure);
    return error as StepFailure;
  }
  throw new Error('expected the attempt to fail');
}

describe('mock runner', () => {
  it('answers a step without settings with its key and input, without any timer', async () => {
    const runner = createMockRunner({ timers: forbiddenTimers });
    const context = createStepContext({ stepKey: 'plan', input: { topic: 'boats' } });
    await expect(runner.execute(context)).resolves.toEqual({
      output: { step: 'plan', input: { topic: 'boats' } },
    });
  });

  it('adds the earlier attempts to the default output when there are some', async () => {
    const context = createStepContext({
      stepKey: 'plan',
      input: null,
      attempt: 2,
      previousAttempts: [
        {
          attempt: 1,
          kind: 'error',
          error: 'flaky',
          outputTail: 'tail',
          comment: 'try again',
          session: null,
        },
      ],
    });
    await expect(createMockRunner().execute(context)).resolves.toEqual({
      output: {
        step: 'plan',
        input: null,
        previous_attempts: [
          {
            attempt: 1,
            kind: 'error',
            error: 'flaky',
            output_tail: 'tail',
            comment: 'try again',
          },
        ],
      },
    });
  });

  it('returns the scripted output, including an explicit null', async () => {
    const runner = createMockRunner({ timers: forbiddenTimers });
    await expect(
      runner.execute(createStepContext({ settings: { output: null } })),
    ).resolves.toEqual({ output: null });
    await expect(
      runner.execute(createStepContext({ settings: { output: ['a', { b: 2 }] } })),
    ).resolves.toEqual({ output: ['a', { b: 2 }] });
  });

  it('reports scripted usage in the port’s camelCase, zero where left out', async () => {
    const settings = { usage: { input_tokens: 120, cost_usd: 0.5 } };
    const outcome = await createMockRunner().execute(createStepContext({ settings }));
    expect(outcome.usage).toEqual({ inputTokens: 120, outputTokens: 0, costUsd: 0.5 });
  });

  it('answers only once its latency has passed', async () => {
    const timers = createManualTimers();
    const runner = createMockRunner({ timers });
    let settled = false;
    const execution = runner
      .execute(createStepContext({ settings: { latency: '2s', output: 'done' } }))
      .finally(() => {
        settled = true;
      });
    await flushPromises();
    expect(settled).toBe(false);
    expect([...timers.pending.values()].map((timer) => timer.ms)).toEqual([2000]);
    timers.fireAll();
    await expect(execution).resolves.toEqual({ output: 'done' });
  });

  it('takes a latency given as a number of milliseconds', async () => {
    const timers = createManualTimers();
    const execution = createMockRunner({ timers }).execute(
      createStepContext({ settings: { latency: 250 } }),
    );
    expect([...timers.pending.values()].map((timer) => timer.ms)).toEqual([250]);
    timers.fireAll();
    await expect(execution).resolves.toBeDefined();
  });

  it('rejects with the abort reason during its latency and drops the timer', async () => {
    const timers = createManualTimers();
    const context = createStepContext({ settings: { latency: '1h' } });
    const execution = createMockRunner({ timers }).execute(context);
    const reason = new StepFailure({
      kind: 'timeout',
      message: 'step timed out after 30s',
      retryable: true,
      outputTail: '',
    });
    context.abort(reason);
    await expect(execution).rejects.toBe(reason);
    expect(timers.pending.size).toBe(0);
  });

  it('fails attempts 1..fail_attempts with retryable failures, then succeeds', async () => {
    const runner = createMockRunner();
    const settings = { fail_attempts: 2, output: 'finally' };
    for (const attempt of [1, 2]) {
      const failure = await failureOf(runner.execute(createStepContext({ settings, attempt })));
      expect(failure.toJSON()).toMatchObject({
        kind: 'error',
        message: `mock failure on attempt ${attempt}`,
        retryable: true,
      });
    }
    await expect(runner.execute(createStepContext({ settings, attempt: 3 }))).resolves.toEqual({
      output: 'finally',
    });
  });

  it('fails every attempt with fail: true, non-retryable unless retryable: true', async () => {
    const runner = createMockRunner();
    for (const attempt of [1, 5]) {
      const failure = await failureOf(
        runner.execute(createStepContext({ settings: { fail: true, error: 'nope' }, attempt })),
      );
      expect({ message: failure.message, retryable: failure.retryable }).toEqual({
        message: 'nope',
        retryable: false,
      });
    }
    const retryable = await failureOf(
      runner.execute(createStepContext({ settings: { fail: true, retryable: true } })),
    );
    expect(retryable.retryable).toBe(true);
  });

  it('emits its lines on the text stream before finishing, failures included', async () => {
    const context = createStepContext({ settings: { emit: ['a', 'b'], fail: true } });
    const failure = await failureOf(createMockRunner().execute(context));
    expect(context.emitted).toEqual([
      { stream: 'text', text: 'a' },
      { stream: 'text', text: 'b' },
    ]);
    expect(failure.outputTail).toBe('a\nb');
  });

  it('echoes the attempt with echo_context, in the shell runner’s stdin shape', async () => {
    const context = createStepContext({
      runId: 'run_1',
      stepKey: 'deploy',
      attempt: 2,
      idempotencyKey: 'run_1:step_1:2',
      input: { env: 'prod' },
      settings: { echo_context: true },
    });
    await expect(createMockRunner().execute(context)).resolves.toEqual({
      output: {
        input: { env: 'prod' },
        previous_attempts: [],
        run: 'run_1',
        step: 'deploy',
        attempt: 2,
        idempotency_key: 'run_1:step_1:2',
      },
    });
  });

  it.each<[string, { [key: string]: JsonValue }, string]>([
    ['an unknown key', { ouptut: 1 }, 'mock runner: with.ouptut: is not a mock runner setting'],
    ['a wrong type', { fail_attempts: -1 }, 'mock runner: with.fail_attempts:'],
    ['a bad duration', { latency: '5 minutes' }, "mock runner: with.latency: '5 minutes'"],
    [
      'a bad usage field',
      { usage: { tokens: 1 } },
      'mock runner: with.usage.tokens: is not allowed',
    ],
  ])('refuses %s with a non-retryable failure naming the key', async (_case, settings, message) => {
    const failure = await failureOf(createMockRunner().execute(createStepContext({ settings })));
    expect(failure.kind).toBe('error');
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain(message);
  });

  it('validates a settings object once, however many attempts use it', async () => {
    const runner = createMockRunner();
    const settings = { latency: 'soon' };
    const first = await failureOf(runner.execute(createStepContext({ settings })));
    const second = await failureOf(runner.execute(createStepContext({ settings, attempt: 2 })));
    // The cached verdict is handed back as is rather than re-derived.
    expect(second).toBe(first);
  });
});
