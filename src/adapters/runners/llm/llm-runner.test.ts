import { jsonSchema, tool } from 'ai';
import type { ToolSet } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AgentConfigSchema, ModelConfigSchema } from '../../../domain/agent.js';
import type {
  AgentActivity,
  AgentProfile,
  PreviousAttempt,
  ResolvedModel,
  Runner,
  StepAttemptContext,
} from '../../../ports/runner.js';
import { StepFailure } from '../../../shared/step-failure.js';
import { startFakeAnthropicServer } from '../../../testing/fake-anthropic-server.js';
import type { FakeAnthropicServer } from '../../../testing/fake-anthropic-server.js';
import { startFakeOpenAIServer } from '../../../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../../../testing/fake-openai-server.js';
import { describeRunnerConformance } from '../../../testing/runner-conformance.js';
import { createStepContext } from '../../../testing/step-context.js';
import type { TestStepContext } from '../../../testing/step-context.js';
import { createLlmRunner } from './index.js';
import type { LlmRunnerSettings } from './index.js';
import { MOCK_USAGE } from './llm-models.js';
import { wireToolName } from './llm-runner.js';

function modelOf(config: z.input<typeof ModelConfigSchema>, name = 'fast'): ResolvedModel {
  return { name, ...ModelConfigSchema.parse(config) };
}

function agentOf(
  model: ResolvedModel | null,
  config: Partial<z.input<typeof AgentConfigSchema>> = {},
  instructions = 'You are terse.',
): AgentProfile {
  return {
    name: 'writer',
    config: AgentConfigSchema.parse({ runner: 'llm', model: model?.name ?? 'fast', ...config }),
    instructions,
    model,
  };
}

/** The runner with this agent given to every attempt (the engine resolves it in real runs). */
function withAgent(runner: Runner, agent: AgentProfile): Runner {
  return { name: runner.name, execute: (context) => runner.execute({ ...context, agent }) };
}

interface ReportingContext extends TestStepContext {
  readonly reports: AgentActivity[];
}

function contextOf(overrides: Parameters<typeof createStepContext>[0] = {}): ReportingContext {
  const reports: AgentActivity[] = [];
  return {
    ...createStepContext({ input: 'Say hello.', ...overrides }),
    reports,
    report: (event) => reports.push(event),
  };
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

/** `task.note` as the app would hand it over, recording every execution. */
function noteTool(executed: unknown[]): ToolSet {
  return {
    'task.note': tool({
      description: 'Append a note to a task.',
      inputSchema: jsonSchema<{ task: string; text: string }>({
        type: 'object',
        properties: { task: { type: 'string' }, text: { type: 'string' } },
        required: ['task', 'text'],
      }),
      execute: (input) => {
        executed.push(input);
        return { noted: true, id: 'note_1' };
      },
    }),
  };
}

const MOCK_MODEL = modelOf({ provider: 'mock', model: 'echo' }, 'mock');

describeRunnerConformance(
  'llm (mock model)',
  () => withAgent(createLlmRunner(), agentOf(MOCK_MODEL)),
  {
    succeeds: {
      settings: { provider_options: { mock: { text: 'all good' } } },
      input: { ignored: true },
      output: { text: 'all good', model: 'mock', finishReason: 'stop', steps: 1 },
    },
    fails: {
      settings: { provider_options: { mock: { text: 'working on it', fail: 'the model broke' } } },
      message: 'the model broke',
      retryable: true,
      outputTail: 'working on it',
    },
    invalidSettings: { settings: { temprature: 0.2 }, key: 'temprature' },
    runsUntilAborted: {
      settings: { provider_options: { mock: { text: 'started\n', hang: true } } },
    },
    emits: {
      settings: { provider_options: { mock: { text: 'one\ntwo' } } },
      lines: [
        { stream: 'text', text: 'one' },
        { stream: 'text', text: 'two' },
      ],
    },
    echoes: {
      settings: { provider_options: { mock: { echo: true } } },
      read: (output) => {
        const text = (output as { text: string }).text;
        return {
          idempotencyKey: /idempotency key (\S+?)\)/.exec(text)?.[1],
          previousErrors: [...text.matchAll(/^- Attempt \d+ \(\w+\): (.*)$/gm)].map(
            (match) => match[1],
          ),
        };
      },
    },
  },
);

describe('llm runner against an OpenAI-compatible server', () => {
  let server: FakeOpenAIServer;
  let model: ResolvedModel;
  const env = { LOCAL_KEY: 'sk-local' };
  beforeEach(async () => {
    server = await startFakeOpenAIServer({ apiKey: 'sk-local' });
    model = modelOf({
      provider: 'openai-compatible',
      model: 'qwen2.5-coder:7b',
      base_url: server.url,
      api_key_env: 'LOCAL_KEY',
      max_output_tokens: 512,
      price: { input: 3, output: 15, cached_input: 0.3 },
    });
  });
  afterEach(async () => {
    await server.close();
  });
  const run = (
    context: StepAttemptContext,
    agent: AgentProfile = agentOf(model),
    settings: LlmRunnerSettings = {},
  ) => createLlmRunner(settings).execute({ ...context, agent, env });

  it('streams the answer, reporting each text delta in order, and returns the final text', async () => {
    server.enqueue({
      type: 'text',
      text: ['Hel', 'lo', ', world'],
      usage: { promptTokens: 20, completionTokens: 3 },
    });
    const context = contextOf();
    const outcome = await run(context);
    expect(outcome.output).toEqual({
      text: 'Hello, world',
      model: 'fast',
      finishReason: 'stop',
      steps: 1,
    });
    expect(context.reports).toEqual([
      { kind: 'agent-message-delta', text: 'Hel' },
      { kind: 'agent-message-delta', text: 'lo' },
      { kind: 'agent-message-delta', text: ', world' },
    ]);
    // The text went to report, so nothing is emitted twice.
    expect(context.emitted).toEqual([]);
  });

  it('sends the instructions, the input, the model id, the key and the output limit', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    await run(contextOf({ input: 'Summarize the sprint.' }));
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.authorization).toBe('Bearer sk-local');
    expect(request?.model).toBe('qwen2.5-coder:7b');
    expect(request?.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Summarize the sprint.' },
    ]);
    expect(request?.body).toMatchObject({
      max_tokens: 512,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends an input that is not a string as pretty JSON', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    await run(contextOf({ input: { task: 'T-1', labels: ['a'] } }));
    expect(server.requests[0]?.messages[1]?.content).toBe(
      JSON.stringify({ task: 'T-1', labels: ['a'] }, null, 2),
    );
  });

  it('passes a step’s temperature and provider options on', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    await run(
      contextOf({
        settings: { temperature: 0.2, provider_options: { openaiCompatible: { user: 'bosun' } } },
      }),
    );
    expect(server.requests[0]?.body).toMatchObject({ temperature: 0.2, user: 'bosun' });
  });

  it('counts tokens and cost per call, cached input at its own price', async () => {
    server.enqueue({
      type: 'text',
      text: 'ok',
      usage: { promptTokens: 1000, completionTokens: 200, cachedTokens: 400 },
    });
    const outcome = await run(contextOf());
    // (600 × $3 + 400 × $0.30 + 200 × $15) per million tokens
    const costUsd = (600 * 3 + 400 * 0.3 + 200 * 15) / 1e6;
    expect(outcome.calls).toEqual([
      {
        model: 'fast',
        inputTokens: 1000,
        outputTokens: 200,
        cachedInputTokens: 400,
        costUsd: expect.closeTo(costUsd, 12) as number,
        latencyMs: expect.any(Number) as number,
      },
    ]);
    expect(costUsd).toBeCloseTo(0.00492, 12);
    expect(outcome.usage).toEqual({
      inputTokens: 1000,
      outputTokens: 200,
      cachedInputTokens: 400,
      costUsd: expect.closeTo(0.00492, 12) as number,
    });
  });

  it('bills cached input at the input price when the model has no cached_input price', async () => {
    server.enqueue({
      type: 'text',
      text: 'ok',
      usage: { promptTokens: 1000, completionTokens: 200, cachedTokens: 400 },
    });
    const plain: ResolvedModel = { ...model, price: { input: 3, output: 15 } };
    const outcome = await run(contextOf(), agentOf(plain));
    expect(outcome.usage?.costUsd).toBeCloseTo((1000 * 3 + 200 * 15) / 1e6, 12);
  });

  it('measures each call’s latency with the injected clock', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    let tick = 0;
    const outcome = await run(contextOf(), agentOf(model), { now: () => (tick += 100) });
    expect(outcome.calls?.[0]?.latencyMs).toBe(100);
  });

  it('runs the tool loop: the model calls task.note once, reads the result and answers', async () => {
    server.enqueue(
      {
        type: 'tool-calls',
        text: 'Noting it.',
        calls: [{ id: 'call_a', name: 'task_note', arguments: { task: 'T-1', text: 'done' } }],
        usage: { promptTokens: 100, completionTokens: 10 },
      },
      { type: 'text', text: 'Noted.', usage: { promptTokens: 150, completionTokens: 4 } },
    );
    const executed: unknown[] = [];
    const context = contextOf();
    const outcome = await run(context, agentOf(model, { tools: ['task.note'] }), {
      tools: () => noteTool(executed),
    });

    expect(executed).toEqual([{ task: 'T-1', text: 'done' }]);
    expect(outcome.output).toEqual({
      text: 'Noted.',
      model: 'fast',
      finishReason: 'stop',
      steps: 2,
    });
    expect(context.reports.filter((event) => event.kind !== 'agent-message-delta')).toEqual([
      {
        kind: 'agent-tool-call',
        id: 'call_a',
        tool: 'task.note',
        input: { task: 'T-1', text: 'done' },
      },
      {
        kind: 'agent-tool-result',
        id: 'call_a',
        ok: true,
        text: '{"noted":true,"id":"note_1"}',
      },
    ]);
    // Providers refuse dots in tool names: the model sees task_note.
    expect(server.requests[0]?.toolNames).toEqual(['task_note']);
    const second = server.requests[1]?.messages ?? [];
    expect(second.at(-2)?.tool_calls?.[0]?.function.name).toBe('task_note');
    expect(second.at(-1)).toMatchObject({
      role: 'tool',
      tool_call_id: 'call_a',
      content: '{"noted":true,"id":"note_1"}',
    });
    expect(outcome.calls?.map((call) => [call.inputTokens, call.outputTokens])).toEqual([
      [100, 10],
      [150, 4],
    ]);
    expect(outcome.usage).toMatchObject({ inputTokens: 250, outputTokens: 14 });
    expect(outcome.usage?.costUsd).toBeCloseTo((250 * 3 + 14 * 15) / 1e6, 12);
  });

  it('reports a tool that throws as a failed result the model can read', async () => {
    server.enqueue(
      {
        type: 'tool-calls',
        calls: [{ id: 'call_b', name: 'task_note', arguments: { task: 'T-9', text: 'x' } }],
      },
      { type: 'text', text: 'That task does not exist.' },
    );
    const failing: ToolSet = {
      'task.note': tool({
        inputSchema: jsonSchema<{ task: string }>({ type: 'object' }),
        execute: (): string => {
          throw new Error('no task T-9');
        },
      }),
    };
    const context = contextOf();
    const outcome = await run(context, agentOf(model, { tools: ['task.note'] }), {
      tools: () => failing,
    });
    expect(context.reports).toContainEqual({
      kind: 'agent-tool-result',
      id: 'call_b',
      ok: false,
      text: 'no task T-9',
    });
    expect((outcome.output as { text: string }).text).toBe('That task does not exist.');
  });

  it('stops after max_steps model calls even when the model wants more tools', async () => {
    server.enqueue({
      type: 'tool-calls',
      calls: [{ name: 'task_note', arguments: { task: 'T-1', text: 'x' } }],
    });
    const executed: unknown[] = [];
    const outcome = await run(contextOf(), agentOf(model, { tools: ['task.note'], max_steps: 1 }), {
      tools: () => noteTool(executed),
    });
    expect(server.requests).toHaveLength(1);
    expect(outcome.output).toMatchObject({ finishReason: 'tool-calls', steps: 1 });
  });

  it('hands the tools factory the agent’s tool names and the attempt', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    const seen: [readonly string[], string][] = [];
    await run(
      contextOf({ idempotencyKey: 'run_1:step_1:1' }),
      agentOf(model, { tools: ['task.note'] }),
      {
        tools: (names, attempt) => {
          seen.push([names, attempt.idempotencyKey]);
          return noteTool([]);
        },
      },
    );
    expect(seen).toEqual([[['task.note'], 'run_1:step_1:1']]);
  });

  it('refuses an agent whose tools the runner cannot provide', async () => {
    const agent = agentOf(model, { tools: ['task.note', 'task.burn'] });
    const without = await failureOf(run(contextOf(), agent));
    expect(without).toMatchObject({ retryable: false });
    expect(without.message).toContain('task.note, task.burn');
    const unknown = await failureOf(run(contextOf(), agent, { tools: () => noteTool([]) }));
    expect(unknown.message).toContain('unknown tools: task.burn');
    expect(server.requests).toHaveLength(0);
  });

  it('tells a retry what the earlier attempts left behind', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    const previousAttempts: PreviousAttempt[] = [
      {
        attempt: 1,
        kind: 'error',
        error: 'tests failed: 3 of 40',
        outputTail: 'FAIL src/a.test.ts\nexpected 2, got 3',
        comment: null,
        session: null,
      },
      {
        attempt: 2,
        kind: 'rejected',
        error: 'approval rejected',
        outputTail: '',
        comment: 'Keep the public API unchanged.',
        session: null,
      },
    ];
    await run(contextOf({ attempt: 3, idempotencyKey: 'run_1:step_1:3', previousAttempts }));
    const user = String(server.requests[0]?.messages[1]?.content);
    expect(user.startsWith('Say hello.\n')).toBe(true);
    expect(user).toContain('This is attempt 3 (idempotency key run_1:step_1:3)');
    expect(user).toContain('- Attempt 1 (error): tests failed: 3 of 40');
    expect(user).toContain('    FAIL src/a.test.ts\n    expected 2, got 3');
    expect(user).toContain('- Attempt 2 (rejected): approval rejected');
    expect(user).toContain('The reviewer said: Keep the public API unchanged.');
  });

  it('waits out a 429 as retry-after says and then succeeds', async () => {
    server.enqueue(
      { type: 'http-error', status: 429, retryAfter: '0' },
      { type: 'text', text: 'made it' },
    );
    const started = performance.now();
    const outcome = await run(contextOf());
    expect((outcome.output as { text: string }).text).toBe('made it');
    expect(server.requests).toHaveLength(2);
    // Without the header the SDK would back off 2 s first.
    expect(performance.now() - started).toBeLessThan(1500);
    expect(outcome.calls).toHaveLength(1);
  });

  it('fails retryably on server errors, once the SDK’s own retries are spent', async () => {
    const serverError = { type: 'http-error', status: 500, retryAfter: '0' } as const;
    server.enqueue(serverError, serverError, serverError);
    const failure = await failureOf(run(contextOf()));
    expect(failure.kind).toBe('error');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain(`server error from ${server.url} (500:`);
    expect(failure.message).toContain('gave up after 3 tries');
    expect(failure.details).toMatchObject({ statusCode: 500, tries: 3 });
    expect(server.requests).toHaveLength(3);
    expect(failure.spent).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      costUsd: 0,
      calls: [],
    });
  });

  it('keeps what the calls before a failure spent', async () => {
    const serverError = { type: 'http-error', status: 503, retryAfter: '0' } as const;
    server.enqueue(
      {
        type: 'tool-calls',
        text: 'First I note it.',
        calls: [{ name: 'task_note', arguments: { task: 'T-1', text: 'x' } }],
        usage: { promptTokens: 1000, completionTokens: 100 },
      },
      serverError,
      serverError,
      serverError,
    );
    const failure = await failureOf(
      run(contextOf(), agentOf(model, { tools: ['task.note'] }), { tools: () => noteTool([]) }),
    );
    expect(failure.retryable).toBe(true);
    expect(failure.outputTail).toBe('First I note it.');
    expect(failure.spent).toMatchObject({ inputTokens: 1000, outputTokens: 100 });
    expect(failure.spent?.calls).toHaveLength(1);
    expect(failure.spent?.costUsd).toBeCloseTo((1000 * 3 + 100 * 15) / 1e6, 12);
    // It survives the journal.
    expect(JSON.parse(JSON.stringify(failure))).toMatchObject({ spent: { inputTokens: 1000 } });
  });

  it('fails retryably on a stream that turns to garbage, keeping the text so far', async () => {
    server.enqueue({ type: 'malformed', text: 'Half an ans' });
    const failure = await failureOf(run(contextOf()));
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain(`invalid response from ${server.url}`);
    expect(failure.outputTail).toBe('Half an ans');
    expect(failure.spent?.calls).toHaveLength(1);
  });

  it('gives up on a server that never answers as soon as the attempt is aborted', async () => {
    server.enqueue({ type: 'stall' });
    const context = contextOf();
    const execution = run(context).catch((error: unknown) => error);
    await server.waitForRequests(1);
    const reason = new StepFailure({
      kind: 'timeout',
      message: 'step timed out after 30s',
      retryable: true,
      outputTail: '',
    });
    const started = performance.now();
    context.abort(reason);
    expect(await execution).toBe(reason);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('hands back the abort reason with what the calls before the abort spent', async () => {
    server.enqueue(
      {
        type: 'tool-calls',
        calls: [{ name: 'task_note', arguments: { task: 'T-1', text: 'x' } }],
        usage: { promptTokens: 500, completionTokens: 50 },
      },
      { type: 'stall' },
    );
    const context = contextOf();
    const execution = run(context, agentOf(model, { tools: ['task.note'] }), {
      tools: () => noteTool([]),
    }).catch((error: unknown) => error);
    await server.waitForRequests(2);
    context.abort(
      new StepFailure({
        kind: 'cancelled',
        message: 'run cancelled',
        retryable: false,
        outputTail: '',
      }),
    );
    const failure = (await execution) as StepFailure;
    expect(failure).toMatchObject({
      kind: 'cancelled',
      message: 'run cancelled',
      retryable: false,
    });
    expect(failure.spent).toMatchObject({ inputTokens: 500, outputTokens: 50 });
    expect(failure.spent?.calls).toHaveLength(1);
  });

  it('reports an AbortSignal.timeout() abort as a timeout', async () => {
    server.enqueue({ type: 'stall' });
    const context = contextOf();
    const execution = run(context).catch((error: unknown) => error);
    await server.waitForRequests(1);
    context.abort(new DOMException('signal timed out', 'TimeoutError'));
    expect(await execution).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('fails for good when the key is refused, naming the variable it came from', async () => {
    const failure = await failureOf(
      createLlmRunner().execute({
        ...contextOf(),
        agent: agentOf(model),
        env: { LOCAL_KEY: 'sk-wrong' },
      }),
    );
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('refused the API key (401: Incorrect API key provided.)');
    expect(failure.message).toContain('check the key in LOCAL_KEY');
    expect(server.requests).toHaveLength(1);
  });

  it('fails for good on an unknown model, naming the model id and the base URL', async () => {
    server.enqueue({ type: 'http-error', status: 404 });
    const failure = await failureOf(run(contextOf()));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain(`${server.url} does not know model id 'qwen2.5-coder:7b'`);
  });

  it('fails for good on a request the server refuses', async () => {
    server.enqueue({ type: 'http-error', status: 400, message: 'context length exceeded' });
    const failure = await failureOf(run(contextOf()));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('context length exceeded');
  });

  it('fails retryably when the server cannot be reached', async () => {
    const gone: ResolvedModel = { ...model, base_url: 'http://127.0.0.1:9/v1' };
    const failure = await failureOf(
      run(contextOf(), agentOf(gone), { fetch: refusingFetch, maxRetries: 0 }),
    );
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('http://127.0.0.1:9/v1');
  });

  it('sends its requests through the injected fetch', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    const urls: string[] = [];
    const spy: typeof fetch = (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    await run(contextOf(), agentOf(model), { fetch: spy });
    expect(urls).toEqual([`${server.url}/chat/completions`]);
  });

  it('emits the text as lines when the context takes no reports', async () => {
    server.enqueue({ type: 'text', text: ['first li', 'ne\nsecond', ' line'] });
    const context = createStepContext({ input: 'go' });
    await run(context);
    expect(context.emitted).toEqual([
      { stream: 'text', text: 'first line' },
      { stream: 'text', text: 'second line' },
    ]);
  });

  it('offers external MCP tools as server__tool beside the operations, named server/tool in reports', async () => {
    server.enqueue(
      {
        type: 'tool-calls',
        calls: [{ id: 'call_x', name: 'web__echo', arguments: { text: 'hi' } }],
      },
      { type: 'text', text: 'It said hi.' },
    );
    const asked: (readonly string[])[] = [];
    const executed: unknown[] = [];
    const context = contextOf();
    const outcome = await run(
      context,
      agentOf(model, { tools: ['task.note'], mcp: ['web/echo'] }),
      {
        tools: () => noteTool([]),
        externalTools: (allowlist) => {
          asked.push(allowlist);
          return Promise.resolve({
            'web/echo': tool({
              description: 'Repeats the text.',
              inputSchema: jsonSchema<{ text: string }>({
                type: 'object',
                properties: { text: { type: 'string' } },
              }),
              execute: (input) => {
                executed.push(input);
                return `echo: ${input.text}`;
              },
            }),
          });
        },
      },
    );
    expect(asked).toEqual([['web/echo']]);
    expect(executed).toEqual([{ text: 'hi' }]);
    expect(server.requests[0]?.toolNames).toEqual(['task_note', 'web__echo']);
    expect(server.requests[1]?.messages.at(-1)).toMatchObject({
      role: 'tool',
      tool_call_id: 'call_x',
      content: 'echo: hi',
    });
    expect(context.reports.filter((event) => event.kind !== 'agent-message-delta')).toEqual([
      { kind: 'agent-tool-call', id: 'call_x', tool: 'web/echo', input: { text: 'hi' } },
      { kind: 'agent-tool-result', id: 'call_x', ok: true, text: 'echo: hi' },
    ]);
    expect((outcome.output as { text: string }).text).toBe('It said hi.');
  });

  it('fails the attempt as the external tools say, before any model call', async () => {
    const agent = agentOf(model, { mcp: ['web'] });
    const unreachable = new StepFailure({
      kind: 'error',
      message: "agent 'writer': mcp server 'web': unreachable: connect ECONNREFUSED",
      retryable: true,
      outputTail: '',
    });
    const failure = await failureOf(
      run(contextOf(), agent, { externalTools: () => Promise.reject(unreachable) }),
    );
    expect(failure).toBe(unreachable);
    const plain = await failureOf(
      run(contextOf(), agent, { externalTools: () => Promise.reject(new Error('boom')) }),
    );
    expect(plain).toMatchObject({ message: 'boom', retryable: true });
    const without = await failureOf(run(contextOf(), agent));
    expect(without).toMatchObject({ retryable: false });
    expect(without.message).toBe(
      "llm runner: agent 'writer' lists MCP servers (web) but this runner has no MCP client",
    );
    expect(server.requests).toHaveLength(0);
  });

  it('does not wait for MCP servers that are slow to start when the attempt is cancelled', async () => {
    const context = contextOf();
    let asked!: () => void;
    const listing = new Promise<void>((resolve) => (asked = resolve));
    const execution = run(context, agentOf(model, { mcp: ['slow'] }), {
      externalTools: () => {
        asked();
        return new Promise<ToolSet>(() => {});
      },
    }).catch((error: unknown) => error);
    await listing;
    context.abort();
    expect(await execution).toMatchObject({ kind: 'cancelled', retryable: false });
    expect(server.requests).toHaveLength(0);
  });

  it('reads the key from the process environment when the attempt has none', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    process.env['BOSUN_TEST_LLM_KEY'] = 'sk-local';
    try {
      const keyed: ResolvedModel = { ...model, api_key_env: 'BOSUN_TEST_LLM_KEY' };
      await createLlmRunner().execute({ ...contextOf(), agent: agentOf(keyed) });
    } finally {
      delete process.env['BOSUN_TEST_LLM_KEY'];
    }
    expect(server.requests[0]?.authorization).toBe('Bearer sk-local');
  });
});

describe('llm runner against the Anthropic API', () => {
  let server: FakeAnthropicServer;
  let model: ResolvedModel;
  const env = { CLAUDE_KEY: 'sk-ant' };
  beforeEach(async () => {
    server = await startFakeAnthropicServer({ apiKey: 'sk-ant' });
    model = modelOf(
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        base_url: server.url,
        api_key_env: 'CLAUDE_KEY',
        max_output_tokens: 1024,
        price: { input: 3, output: 15, cached_input: 0.3 },
      },
      'sonnet',
    );
  });
  afterEach(async () => {
    await server.close();
  });
  const run = (
    context: StepAttemptContext,
    agent: AgentProfile = agentOf(model),
    settings: LlmRunnerSettings = {},
  ) => createLlmRunner(settings).execute({ ...context, agent, env });

  it('streams the answer and sends key, version, system prompt and output limit', async () => {
    server.enqueue({ type: 'text', text: ['Hi', ' there'] });
    const context = contextOf();
    const outcome = await run(context);
    expect(outcome.output).toEqual({
      text: 'Hi there',
      model: 'sonnet',
      finishReason: 'stop',
      steps: 1,
    });
    expect(context.reports).toEqual([
      { kind: 'agent-message-delta', text: 'Hi' },
      { kind: 'agent-message-delta', text: ' there' },
    ]);
    const [request] = server.requests;
    expect(request).toMatchObject({
      apiKey: 'sk-ant',
      model: 'claude-sonnet-4-5',
      system: 'You are terse.',
      stream: true,
    });
    expect(request?.version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(request?.body['max_tokens']).toBe(1024);
  });

  it('counts cache reads and writes as input, and bills reads at the cached price', async () => {
    server.enqueue({
      type: 'text',
      text: 'ok',
      usage: {
        inputTokens: 100,
        outputTokens: 20,
        cacheReadInputTokens: 40,
        cacheCreationInputTokens: 8,
      },
    });
    const outcome = await run(contextOf());
    expect(outcome.calls?.[0]).toMatchObject({
      model: 'sonnet',
      inputTokens: 148,
      outputTokens: 20,
      cachedInputTokens: 40,
    });
    // (108 × $3 + 40 × $0.30 + 20 × $15) per million tokens
    expect(outcome.calls?.[0]?.costUsd).toBeCloseTo(0.000636, 12);
  });

  it('runs the tool loop with tool_use blocks', async () => {
    server.enqueue(
      {
        type: 'tool-use',
        calls: [{ id: 'toolu_a', name: 'task_note', input: { task: 'T-2', text: 'shipped' } }],
        usage: { inputTokens: 50, outputTokens: 12 },
      },
      { type: 'text', text: 'Done.', usage: { inputTokens: 80, outputTokens: 2 } },
    );
    const executed: unknown[] = [];
    const context = contextOf();
    const outcome = await run(context, agentOf(model, { tools: ['task.note'] }), {
      tools: () => noteTool(executed),
    });
    expect(executed).toEqual([{ task: 'T-2', text: 'shipped' }]);
    expect(outcome.output).toMatchObject({ text: 'Done.', steps: 2 });
    expect(context.reports).toContainEqual({
      kind: 'agent-tool-call',
      id: 'toolu_a',
      tool: 'task.note',
      input: { task: 'T-2', text: 'shipped' },
    });
    expect(server.requests[1]?.messages.at(-1)).toMatchObject({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_a' }],
    });
    expect(outcome.usage).toMatchObject({ inputTokens: 130, outputTokens: 14 });
  });

  it('waits out a 429 and then succeeds', async () => {
    server.enqueue(
      { type: 'http-error', status: 429, retryAfter: '0' },
      { type: 'text', text: 'made it' },
    );
    const outcome = await run(contextOf());
    expect((outcome.output as { text: string }).text).toBe('made it');
    expect(server.requests).toHaveLength(2);
  });

  it('fails retryably when overloaded (529) past the SDK’s retries', async () => {
    const overloaded = { type: 'http-error', status: 529, retryAfter: '0' } as const;
    server.enqueue(overloaded, overloaded, overloaded);
    const failure = await failureOf(run(contextOf()));
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('(529: Overloaded)');
  });

  it('fails retryably on a broken stream', async () => {
    server.enqueue({ type: 'malformed', text: 'Par' });
    const failure = await failureOf(run(contextOf()));
    expect(failure.retryable).toBe(true);
    expect(failure.outputTail).toBe('Par');
  });

  it('fails for good when the key is refused, naming the variable', async () => {
    const failure = await failureOf(
      createLlmRunner().execute({
        ...contextOf(),
        agent: agentOf(model),
        env: { CLAUDE_KEY: 'no' },
      }),
    );
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('invalid x-api-key');
    expect(failure.message).toContain('CLAUDE_KEY');
  });

  it('rejects promptly with the abort reason while the server stalls', async () => {
    server.enqueue({ type: 'stall' });
    const context = contextOf();
    const execution = run(context).catch((error: unknown) => error);
    await server.waitForRequests(1);
    context.abort();
    expect(await execution).toMatchObject({ kind: 'cancelled', retryable: false });
  });
});

describe('llm runner without a usable model', () => {
  it.each<[string, z.input<typeof ModelConfigSchema>, string]>([
    [
      'anthropic',
      { provider: 'anthropic', model: 'claude-x', api_key_env: 'MY_CLAUDE_KEY' },
      'MY_CLAUDE_KEY',
    ],
    ['anthropic', { provider: 'anthropic', model: 'claude-x' }, 'ANTHROPIC_API_KEY'],
    ['openai', { provider: 'openai', model: 'gpt-x' }, 'OPENAI_API_KEY'],
  ])(
    'refuses %s without a key, naming the variable, before any request',
    async (_provider, config, variable) => {
      const saved = process.env[variable];
      delete process.env[variable];
      const requests: unknown[] = [];
      try {
        const failure = await failureOf(
          createLlmRunner({
            fetch: (input) => {
              requests.push(input);
              return Promise.reject(new Error('no network in this test'));
            },
          }).execute({ ...contextOf(), agent: agentOf(modelOf(config)), env: {} }),
        );
        expect(failure.retryable).toBe(false);
        expect(failure.message).toContain(`${variable} is not set`);
      } finally {
        if (saved !== undefined) process.env[variable] = saved;
      }
      expect(requests).toEqual([]);
    },
  );

  it('refuses a step without an agent, or an agent without a model', async () => {
    const runner = createLlmRunner();
    const noAgent = await failureOf(runner.execute(contextOf()));
    expect(noAgent.message).toContain('the step names no agent');
    expect(noAgent.retryable).toBe(false);
    const noModel = await failureOf(runner.execute({ ...contextOf(), agent: agentOf(null) }));
    expect(noModel.message).toContain("agent 'writer' has no model");
  });

  it('names the model id and base URL when OpenAI does not know the model', async () => {
    const server = await startFakeOpenAIServer();
    try {
      // The openai provider speaks the Responses API, which this fake does not serve.
      const model = modelOf({ provider: 'openai', model: 'gpt-x', base_url: server.url });
      const failure = await failureOf(
        createLlmRunner().execute({
          ...contextOf(),
          agent: agentOf(model),
          env: { OPENAI_API_KEY: 'k' },
        }),
      );
      expect(failure.retryable).toBe(false);
      expect(failure.message).toContain(`${server.url} does not know model id 'gpt-x'`);
      expect(server.requests[0]?.path).toBe('/v1/responses');
    } finally {
      await server.close();
    }
  });
});

describe('tool names for model APIs', () => {
  it('turns dots and the server slash into what the APIs accept', () => {
    expect(wireToolName('task.note')).toBe('task_note');
    expect(wireToolName('github/search_issues')).toBe('github__search_issues');
    expect(wireToolName('my.server/get.thing')).toBe('my_server__get_thing');
  });

  it('keeps a long name within 64 characters and unique, by a hash of the whole', () => {
    const long = `server/${'a'.repeat(80)}`;
    const other = `server/${'a'.repeat(79)}b`;
    expect(wireToolName(long)).toHaveLength(64);
    expect(wireToolName(long)).toMatch(/^server__a+_[0-9a-f]{8}$/);
    expect(wireToolName(other)).not.toBe(wireToolName(long));
    expect(wireToolName(long)).toBe(wireToolName(long));
  });
});

describe('llm runner on the mock model', () => {
  const runner = withAgent(createLlmRunner(), agentOf(MOCK_MODEL));

  it('answers the same prompt the same way, with fixed token counts, without a network', async () => {
    const requests: unknown[] = [];
    const offline = withAgent(
      createLlmRunner({
        fetch: (input) => {
          requests.push(input);
          return Promise.reject(new Error('no network'));
        },
      }),
      agentOf(MOCK_MODEL),
    );
    const first = await offline.execute(contextOf({ input: 'Plan the release.' }));
    const second = await offline.execute(contextOf({ input: 'Plan the release.' }));
    expect(first.output).toEqual({
      text: 'Mock answer to: "Plan the release."',
      model: 'mock',
      finishReason: 'stop',
      steps: 1,
    });
    expect(second.output).toEqual(first.output);
    expect(first.usage).toEqual({
      inputTokens: MOCK_USAGE.inputTokens,
      outputTokens: MOCK_USAGE.outputTokens,
      cachedInputTokens: 0,
      costUsd: 0,
    });
    expect(requests).toEqual([]);
  });

  it('prices its fixed tokens like any model', async () => {
    const priced = modelOf(
      { provider: 'mock', model: 'echo', price: { input: 1, output: 2 } },
      'mock',
    );
    const outcome = await withAgent(createLlmRunner(), agentOf(priced)).execute(contextOf());
    expect(outcome.usage?.costUsd).toBeCloseTo(
      (MOCK_USAGE.inputTokens * 1 + MOCK_USAGE.outputTokens * 2) / 1e6,
      15,
    );
  });

  it('shortens a long prompt in its answer', async () => {
    const outcome = await runner.execute(contextOf({ input: 'word '.repeat(40) }));
    expect((outcome.output as { text: string }).text).toBe(
      `Mock answer to: "${'word '.repeat(12).slice(0, 60)}…"`,
    );
  });

  it('refuses a mock option it does not know, naming it', async () => {
    const failure = await failureOf(
      runner.execute(contextOf({ settings: { provider_options: { mock: { explode: true } } } })),
    );
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('with.provider_options.mock.explode');
  });

  it('refuses a temperature out of range, naming the key', async () => {
    const failure = await failureOf(runner.execute(contextOf({ settings: { temperature: 3 } })));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('llm runner: with.temperature: must be 2 or less');
  });
});

/** A fetch that finds nothing listening, as the real one does on a closed port. */
const refusingFetch: typeof fetch = () =>
  Promise.reject(
    Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    }),
  );
