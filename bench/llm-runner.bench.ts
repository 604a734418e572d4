/**
 * What the llm runner adds around one model call: 200 streamed chat completions from the fake
 * OpenAI-compatible server through `createLlmRunner().execute()` (the AI SDK's streamText, the
 * provider, reporting, usage and cost) against 200 of the same requests made directly — `fetch`
 * with the body the provider sends, reading the whole SSE answer. The two kinds alternate, so
 * drift in the machine's load hits both; the result is the median of the per-pair differences.
 * Target ≤ 2 ms per call. Two more lines split it: the AI SDK's own `streamText` with the same
 * provider model and options, measured the same way, and what the runner adds on top of that.
 */

import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { stepCountIs, streamText } from 'ai';
import { createLlmRunner } from '../src/adapters/runners/llm/index.js';
import { AgentConfigSchema, ModelConfigSchema } from '../src/domain/agent.js';
import type { AgentProfile, StepAttemptContext } from '../src/ports/runner.js';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { FakeOpenAIReply } from '../src/testing/fake-openai-server.js';
import { createStepContext } from '../src/testing/step-context.js';
import { median, result } from './engine-harness.js';
import { round } from './report.js';

const CALLS = 200;
const WARM_UP = 50;
const INSTRUCTIONS = 'You are a terse assistant.';
const INPUT = 'Summarize the sprint in one sentence.';
const EXPECTED = 'The sprint shipped the runner, the fakes and the benchmark on time.';
const REPLY: FakeOpenAIReply = {
  type: 'text',
  text: EXPECTED,
  usage: { promptTokens: 40, completionTokens: 14 },
};

const server = await startFakeOpenAIServer({ apiKey: 'sk-bench' });
const model = {
  name: 'bench',
  ...ModelConfigSchema.parse({
    provider: 'openai-compatible',
    model: 'bench-model',
    base_url: server.url,
    api_key_env: 'BENCH_KEY',
    max_output_tokens: 256,
    price: { input: 1, output: 2 },
  }),
};
const agent: AgentProfile = {
  name: 'bench',
  config: AgentConfigSchema.parse({ runner: 'llm', model: 'bench' }),
  instructions: INSTRUCTIONS,
  model,
};
const runner = createLlmRunner();
const env = { BENCH_KEY: 'sk-bench' };

// The request the provider sends for this step, made by hand.
const directBody = JSON.stringify({
  model: 'bench-model',
  max_tokens: 256,
  messages: [
    { role: 'system', content: INSTRUCTIONS },
    { role: 'user', content: INPUT },
  ],
  stream: true,
  stream_options: { include_usage: true },
});

async function direct(): Promise<number> {
  server.enqueue(REPLY);
  const start = performance.now();
  const response = await fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: directBody,
  });
  const body = await response.text();
  const ms = performance.now() - start;
  if (!body.endsWith('data: [DONE]\n\n')) throw new Error(`direct call: unexpected body ${body}`);
  return ms;
}

async function throughRunner(): Promise<number> {
  server.enqueue(REPLY);
  const context: StepAttemptContext = {
    ...createStepContext({ input: INPUT }),
    agent,
    env,
    report: () => {},
  };
  const start = performance.now();
  const outcome = await runner.execute(context);
  const ms = performance.now() - start;
  if ((outcome.output as { text: string }).text !== EXPECTED) {
    throw new Error(`runner call: unexpected output ${JSON.stringify(outcome.output)}`);
  }
  return ms;
}

/** The same call through the AI SDK alone: the same provider model, prompt and options. */
const sdkModel = createOpenAICompatible({
  baseURL: server.url,
  name: 'openaiCompatible',
  apiKey: 'sk-bench',
  includeUsage: true,
})('bench-model');
async function bareStreamText(): Promise<number> {
  server.enqueue(REPLY);
  const start = performance.now();
  const stream = streamText({
    model: sdkModel,
    instructions: INSTRUCTIONS,
    prompt: INPUT,
    maxOutputTokens: 256,
    stopWhen: stepCountIs(agent.config.max_steps),
    abortSignal: new AbortController().signal,
    maxRetries: 2,
    providerOptions: {},
    onError: () => {},
  });
  let text = '';
  for await (const part of stream.stream) if (part.type === 'text-delta') text += part.text;
  const ms = performance.now() - start;
  if (text !== EXPECTED) throw new Error(`streamText: unexpected text ${text}`);
  return ms;
}

for (let i = 0; i < WARM_UP; i += 1) {
  await direct();
  await bareStreamText();
  await throughRunner();
}
const directMs: number[] = [];
const sdkMs: number[] = [];
const runnerMs: number[] = [];
for (let i = 0; i < CALLS; i += 1) {
  // Rotate which goes first, so none always meets a freshly used connection.
  const order = [direct, bareStreamText, throughRunner];
  const times = new Map<unknown, number>();
  for (let k = 0; k < order.length; k += 1) {
    const measure = order[(i + k) % order.length]!;
    times.set(measure, await measure());
  }
  directMs.push(times.get(direct)!);
  sdkMs.push(times.get(bareStreamText)!);
  runnerMs.push(times.get(throughRunner)!);
}
await server.close();

const request = server.requests.at(-1);
if (request?.messages[1]?.content !== INPUT) throw new Error('the runner sent another prompt');

const pairwise = (a: readonly number[], b: readonly number[]): number =>
  median(a.map((value, index) => value - b[index]!));
result({
  name: 'llm-runner-overhead',
  metric: 'median-overhead-per-call',
  value: round(pairwise(runnerMs, directMs), 3),
  unit: 'ms',
  target: 2,
  calls: CALLS,
  runnerMedianMs: round(median(runnerMs), 3),
  directMedianMs: round(median(directMs), 3),
});
// Where that goes: the AI SDK's own streamText with the same provider model and options, and
// what the runner adds on top of it (prompt, reporting, usage and cost, error mapping).
result({
  name: 'llm-runner-overhead-sdk-share',
  metric: 'median-streamtext-over-fetch',
  value: round(pairwise(sdkMs, directMs), 3),
  unit: 'ms',
  calls: CALLS,
  streamTextMedianMs: round(median(sdkMs), 3),
});
result({
  name: 'llm-runner-overhead-own-share',
  metric: 'median-runner-over-streamtext',
  value: round(pairwise(runnerMs, sdkMs), 3),
  unit: 'ms',
  calls: CALLS,
});
