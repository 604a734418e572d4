import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from './fake-openai-server.js';
import type { FakeOpenAIServer } from './fake-openai-server.js';

interface Chunk {
  readonly choices: readonly {
    readonly delta: {
      readonly role?: string;
      readonly content?: string;
      readonly tool_calls?: readonly {
        readonly index: number;
        readonly id?: string;
        readonly function: { readonly name?: string; readonly arguments?: string };
      }[];
    };
    readonly finish_reason: string | null;
  }[];
  readonly usage?: unknown;
}

/** The `data:` payloads of an SSE body, in order; `[DONE]` stays a string. */
function events(body: string): unknown[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length))
    .map((data) => (data === '[DONE]' ? data : (JSON.parse(data) as unknown)));
}

describe('fake OpenAI-compatible server', () => {
  let server: FakeOpenAIServer;
  beforeEach(async () => {
    server = await startFakeOpenAIServer({ apiKey: 'sk-test' });
  });
  afterEach(async () => {
    await server.close();
  });

  const post = (body: unknown, init: { key?: string; path?: string; signal?: AbortSignal } = {}) =>
    fetch(`${server.url}${init.path ?? '/chat/completions'}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${init.key ?? 'sk-test'}`,
      },
      body: JSON.stringify(body),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  const chat = { model: 'm-1', messages: [{ role: 'user', content: 'hi' }] };

  it('listens on 127.0.0.1 and gives a base URL ending in /v1', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('answers a plain request with a chat.completion carrying the usage', async () => {
    server.enqueue({
      type: 'text',
      text: 'Hello there',
      usage: { promptTokens: 12, completionTokens: 2, cachedTokens: 4 },
    });
    const response = await post(chat);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      object: 'chat.completion',
      model: 'm-1',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 2,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 4 },
      },
    });
  });

  it('answers tool calls with their function names and JSON arguments', async () => {
    server.enqueue({
      type: 'tool-calls',
      calls: [{ id: 'call_x', name: 'task_note', arguments: { text: 'a' } }],
    });
    const document = (await (await post(chat)).json()) as {
      choices: { message: unknown; finish_reason: string }[];
    };
    expect(document.choices[0]).toMatchObject({
      message: {
        content: null,
        tool_calls: [
          {
            id: 'call_x',
            type: 'function',
            function: { name: 'task_note', arguments: '{"text":"a"}' },
          },
        ],
      },
      finish_reason: 'tool_calls',
    });
  });

  it('streams text deltas, then the finish reason, the usage chunk and [DONE]', async () => {
    server.enqueue({
      type: 'text',
      text: ['Hel', 'lo'],
      usage: { promptTokens: 7, completionTokens: 2 },
    });
    const response = await post({ ...chat, stream: true, stream_options: { include_usage: true } });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const sent = events(await response.text());
    expect(sent.at(-1)).toBe('[DONE]');
    const chunks = sent.slice(0, -1) as Chunk[];
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content)).toEqual([
      '',
      'Hel',
      'lo',
      undefined,
      undefined,
    ]);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks[3]?.choices[0]?.finish_reason).toBe('stop');
    // Every chunk but the last carries usage: null; the last has no choices and the usage.
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 2 },
    });
  });

  it('sends no usage chunk unless include_usage asks for it', async () => {
    server.enqueue({ type: 'text', text: 'x' });
    const chunks = events(await (await post({ ...chat, stream: true })).text());
    expect(
      chunks.filter((chunk) => typeof chunk === 'object' && 'usage' in (chunk as object)),
    ).toEqual([]);
  });

  it('streams a tool call as its name first, then its arguments in pieces', async () => {
    server.enqueue({
      type: 'tool-calls',
      calls: [{ id: 'call_y', name: 'task_note', arguments: { task: 'T-1', text: 'long enough' } }],
    });
    const chunks = events(await (await post({ ...chat, stream: true })).text()).slice(
      0,
      -1,
    ) as Chunk[];
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: 'call_y',
      type: 'function',
      function: { name: 'task_note', arguments: '' },
    });
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.map((call) => call.function.arguments ?? '').join('')).toBe(
      '{"task":"T-1","text":"long enough"}',
    );
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('records what each request carried', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    await post({
      ...chat,
      stream: true,
      tools: [{ type: 'function', function: { name: 'task_note', parameters: {} } }],
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      authorization: 'Bearer sk-test',
      model: 'm-1',
      messages: [{ role: 'user', content: 'hi' }],
      toolNames: ['task_note'],
      stream: true,
    });
  });

  it('answers a scripted error with its status, retry-after and an OpenAI error body', async () => {
    server.enqueue({ type: 'http-error', status: 429, retryAfter: '3' });
    const response = await post(chat);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toEqual({
      error: {
        message: 'Rate limit reached for requests. Please try again later.',
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
  });

  it('breaks a malformed stream off in the middle of an event', async () => {
    server.enqueue({ type: 'malformed', text: 'par' });
    const body = await (await post({ ...chat, stream: true })).text();
    expect(body).toContain('"content":"par"');
    expect(body).not.toContain('[DONE]');
    const last = body.trim().split('\n\n').at(-1) ?? '';
    expect(() => JSON.parse(last.slice('data: '.length))).toThrow();
  });

  it('never answers a stalled request, until the client gives up', async () => {
    server.enqueue({ type: 'stall' });
    const controller = new AbortController();
    const answer = post(chat, { signal: controller.signal }).then(
      () => 'answered',
      () => 'gave up',
    );
    await server.waitForRequests(1);
    controller.abort();
    expect(await answer).toBe('gave up');
  });

  it('closes promptly with a stalled request still open', async () => {
    server.enqueue({ type: 'stall' });
    const answer = post(chat).then(
      () => 'answered',
      () => 'cut off',
    );
    await server.waitForRequests(1);
    await server.close();
    expect(await answer).toBe('cut off');
    server = await startFakeOpenAIServer();
  });

  it('refuses a wrong key with 401 and keeps the queued reply', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    const response = await post(chat, { key: 'sk-other' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(server.pending).toBe(1);
  });

  it('refuses a function name with a dot, as OpenAI does', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    const response = await post({
      ...chat,
      tools: [{ type: 'function', function: { name: 'task.note', parameters: {} } }],
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('tools[0]') as string,
      },
    });
  });

  it('answers 404 for another path and 500 when no reply is queued', async () => {
    expect((await post(chat, { path: '/responses' })).status).toBe(404);
    const empty = await post(chat);
    expect(empty.status).toBe(500);
    expect(await empty.json()).toMatchObject({
      error: { message: expect.stringContaining('no reply queued') as string },
    });
  });
});
