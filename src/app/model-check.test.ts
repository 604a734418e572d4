import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { MOCK_USAGE } from '../adapters/runners/llm/llm-models.js';
import { ModelConfigSchema } from '../domain/agent.js';
import type { ResolvedModel } from '../ports/runner.js';
import { BosunError } from '../shared/errors.js';
import { startFakeAnthropicServer } from '../testing/fake-anthropic-server.js';
import { startFakeOpenAIServer } from '../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../testing/fake-openai-server.js';
import type { ModelCheckSettings } from './model-check.js';
import { CHECK_PROMPT, checkModel, checkModels, summarizeModels } from './model-check.js';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function openAIServer(options: { apiKey?: string } = {}): Promise<FakeOpenAIServer> {
  const server = await startFakeOpenAIServer(options);
  servers.push(server);
  return server;
}

function modelOf(config: z.input<typeof ModelConfigSchema>, name = 'local'): ResolvedModel {
  return { name, ...ModelConfigSchema.parse(config) };
}

/** A clock that moves 7 ms each time it is read: a call's latency is exactly 7. */
function settingsOf(env: Record<string, string> = {}): ModelCheckSettings {
  let ms = 1000;
  return { env, now: () => (ms += 7) };
}

/** A port nothing listens on: bound, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('checkModel', () => {
  it('reports latency, exact tokens and answer size from an OpenAI-compatible server', async () => {
    const server = await openAIServer({ apiKey: 'sk-local' });
    server.enqueue({ type: 'text', text: 'OK', usage: { promptTokens: 12, completionTokens: 1 } });
    const model = modelOf({
      provider: 'openai-compatible',
      model: 'qwen2.5-coder:7b',
      base_url: server.url,
      api_key_env: 'LOCAL_KEY',
    });

    const row = await checkModel(model, 5000, settingsOf({ LOCAL_KEY: 'sk-local' }));

    expect(row).toEqual({
      name: 'local',
      provider: 'openai-compatible',
      modelId: 'qwen2.5-coder:7b',
      ok: true,
      latencyMs: 7,
      inputTokens: 12,
      outputTokens: 1,
      responseChars: 2,
      reason: null,
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.model).toBe('qwen2.5-coder:7b');
    expect(server.requests[0]!.messages).toEqual([{ role: 'user', content: CHECK_PROMPT }]);
  });

  it('reports exact tokens from Anthropic', async () => {
    const server = await startFakeAnthropicServer({ apiKey: 'sk-ant' });
    servers.push(server);
    server.enqueue({ type: 'text', text: 'OK.', usage: { inputTokens: 11, outputTokens: 3 } });
    const model = modelOf({ provider: 'anthropic', model: 'claude-x', base_url: server.url });

    const row = await checkModel(model, 5000, settingsOf({ ANTHROPIC_API_KEY: 'sk-ant' }));

    expect(row).toMatchObject({ ok: true, inputTokens: 11, outputTokens: 3, responseChars: 3 });
  });

  it('passes the mock model without a network', async () => {
    const row = await checkModel(modelOf({ provider: 'mock', model: 'small' }), 5000, settingsOf());
    expect(row).toMatchObject({
      ok: true,
      inputTokens: MOCK_USAGE.inputTokens,
      outputTokens: MOCK_USAGE.outputTokens,
      reason: null,
    });
  });

  it('names the key variable, and that it is set, when the server refuses the key (401)', async () => {
    const server = await openAIServer({ apiKey: 'sk-right' });
    const model = modelOf({
      provider: 'openai-compatible',
      model: 'qwen',
      base_url: server.url,
      api_key_env: 'LOCAL_KEY',
    });

    const row = await checkModel(model, 5000, settingsOf({ LOCAL_KEY: 'sk-wrong' }));

    expect(row.ok).toBe(false);
    expect(row.latencyMs).toBe(7);
    expect(row.reason).toBe(
      `unauthorized: the key in LOCAL_KEY (set) was refused: 401 Incorrect API key provided. (${server.url})`,
    );
  });

  it('says no key was sent when a server wants one and the model names no variable', async () => {
    const server = await openAIServer({ apiKey: 'sk-right' });
    const model = modelOf({ provider: 'openai-compatible', model: 'qwen', base_url: server.url });

    const row = await checkModel(model, 5000, settingsOf());

    expect(row.reason).toMatch(
      /^unauthorized: no key was sent \(set api_key_env on the model\): 401 /,
    );
  });

  it('names the model id and the base URL when the server does not know the model (404)', async () => {
    const server = await openAIServer();
    server.enqueue({ type: 'http-error', status: 404 });
    const model = modelOf({
      provider: 'openai-compatible',
      model: 'gpt-nope',
      base_url: server.url,
    });

    const row = await checkModel(model, 5000, settingsOf());

    expect(row.ok).toBe(false);
    expect(row.reason).toBe(
      `unknown model: 'gpt-nope' at ${server.url}: 404 The model \`gpt-nope\` does not exist or you do not have access to it.`,
    );
  });

  it('tells a wrong address (a 404 that names no model) from an unknown model', async () => {
    const server = await openAIServer();
    // The openai provider speaks the Responses API, which this fake does not serve.
    const model = modelOf({ provider: 'openai', model: 'gpt-x', base_url: server.url });

    const row = await checkModel(model, 5000, settingsOf({ OPENAI_API_KEY: 'sk' }));

    expect(row.reason).toBe(
      `not found: 404 Unknown request URL: POST /v1/responses. Is base_url the API root (…/v1)? (${server.url})`,
    );
  });

  it('reports another HTTP status with the server message', async () => {
    const server = await openAIServer();
    server.enqueue({ type: 'http-error', status: 500, message: 'the GPU caught fire' });
    const model = modelOf({ provider: 'openai-compatible', model: 'qwen', base_url: server.url });

    const row = await checkModel(model, 5000, settingsOf());

    expect(row.reason).toBe(`http 500: the GPU caught fire (${server.url})`);
  });

  it('calls a server that refuses connections unreachable', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const model = modelOf({ provider: 'openai-compatible', model: 'qwen', base_url: url });

    const row = await checkModel(model, 5000, settingsOf());

    expect(row.ok).toBe(false);
    expect(row.reason).toMatch(/^unreachable: .*ECONNREFUSED/);
    expect(row.reason).toContain(`(${url})`);
  });

  it('gives up on a server that never answers after the timeout, without retrying', async () => {
    const server = await openAIServer();
    server.enqueue({ type: 'stall' }, { type: 'stall' });
    const model = modelOf({ provider: 'openai-compatible', model: 'qwen', base_url: server.url });

    const row = await checkModel(model, 150, { env: {} });

    expect(row.ok).toBe(false);
    expect(row.reason).toBe(`unreachable: no answer within 150ms (${server.url})`);
    expect(row.latencyMs).toBeGreaterThanOrEqual(140);
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when the variable named by api_key_env is not set', async () => {
    const server = await openAIServer();
    const model = modelOf({
      provider: 'openai-compatible',
      model: 'qwen',
      base_url: server.url,
      api_key_env: 'LOCAL_KEY',
    });

    const row = await checkModel(model, 5000, settingsOf({ LOCAL_KEY: '' }));

    expect(row).toMatchObject({
      ok: false,
      latencyMs: null,
      inputTokens: null,
      reason: 'missing key: LOCAL_KEY is not set',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('sends nothing to a hosted provider without its default key variable', async () => {
    const row = await checkModel(
      modelOf({ provider: 'anthropic', model: 'claude-x' }),
      5000,
      settingsOf(),
    );
    expect(row.reason).toBe('missing key: ANTHROPIC_API_KEY is not set');
  });
});

describe('checkModels', () => {
  const models = {
    good: ModelConfigSchema.parse({ provider: 'mock', model: 'small' }),
    keyless: ModelConfigSchema.parse({ provider: 'openai', model: 'gpt-x' }),
  };

  it('checks every model, in the order configured, and is ok only when all are', async () => {
    const report = await checkModels(models, { timeoutMs: 5000 }, settingsOf());
    expect(report.ok).toBe(false);
    expect(report.models.map((row) => [row.name, row.ok])).toEqual([
      ['good', true],
      ['keyless', false],
    ]);
  });

  it('checks only the model asked for', async () => {
    const report = await checkModels(models, { model: 'good', timeoutMs: 5000 }, settingsOf());
    expect(report).toMatchObject({ ok: true, models: [{ name: 'good' }] });
  });

  it('refuses a model name bosun.yaml does not declare, listing the ones it does', async () => {
    const error = await checkModels(models, { model: 'nope', timeoutMs: 5000 }, settingsOf()).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(BosunError);
    expect((error as BosunError).code).toBe('not_found');
    expect((error as BosunError).message).toBe(
      "model 'nope' is not in bosun.yaml (models: good, keyless)",
    );
  });
});

describe('summarizeModels', () => {
  it('shows the base URL a provider defaults to, its key variable and the prices', () => {
    const rows = summarizeModels({
      sonnet: ModelConfigSchema.parse({
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        context_window: 200_000,
        price: { input: 3, output: 15, cached_input: 0.3 },
      }),
      small: ModelConfigSchema.parse({ provider: 'mock', model: 'small' }),
    });
    expect(rows).toEqual([
      {
        name: 'sonnet',
        provider: 'anthropic',
        modelId: 'claude-sonnet-4-5',
        baseUrl: 'https://api.anthropic.com/v1',
        keyEnv: 'ANTHROPIC_API_KEY',
        inputPrice: 3,
        outputPrice: 15,
        cachedInputPrice: 0.3,
        contextWindow: 200_000,
        maxOutputTokens: 4096,
      },
      {
        name: 'small',
        provider: 'mock',
        modelId: 'small',
        baseUrl: null,
        keyEnv: null,
        inputPrice: 0,
        outputPrice: 0,
        cachedInputPrice: null,
        contextWindow: null,
        maxOutputTokens: 4096,
      },
    ]);
  });
});
