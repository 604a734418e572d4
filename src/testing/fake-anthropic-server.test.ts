import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropicServer } from './fake-anthropic-server.js';
import type { FakeAnthropicServer } from './fake-anthropic-server.js';

interface StreamEvent {
  readonly event: string;
  readonly data: { readonly type: string; readonly [key: string]: unknown };
}

/** The `event:`/`data:` pairs of an SSE body, in order. */
function events(body: string): StreamEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine = '', dataLine = ''] = block.split('\n');
      return {
        event: eventLine.slice('event: '.length),
        data: JSON.parse(dataLine.slice('data: '.length)) as StreamEvent['data'],
      };
    });
}

describe('fake Anthropic server', () => {
  let server: FakeAnthropicServer;
  beforeEach(async () => {
    server = await startFakeAnthropicServer({ apiKey: 'sk-ant' });
  });
  afterEach(async () => {
    await server.close();
  });

  const post = (
    body: unknown,
    init: { key?: string; version?: string | null; signal?: AbortSignal } = {},
  ) =>
    fetch(`${server.url}/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': init.key ?? 'sk-ant',
        ...(init.version === null ? {} : { 'anthropic-version': init.version ?? '2023-06-01' }),
      },
      body: JSON.stringify(body),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  const message = {
    model: 'claude-x',
    max_tokens: 100,
    system: 'Be brief.',
    messages: [{ role: 'user', content: 'hi' }],
  };

  it('answers a plain request with content blocks, a stop reason and the usage', async () => {
    server.enqueue({
      type: 'text',
      text: 'Hello',
      usage: { inputTokens: 9, outputTokens: 1, cacheReadInputTokens: 30 },
    });
    const response = await post(message);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: 'msg_fake_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [{ type: 'text', text: 'Hello' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 9,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 30,
        output_tokens: 1,
      },
    });
  });

  it('streams message_start, the text block, message_delta and message_stop', async () => {
    server.enqueue({
      type: 'text',
      text: ['Hel', 'lo'],
      usage: { inputTokens: 9, outputTokens: 2, cacheCreationInputTokens: 5 },
    });
    const response = await post({ ...message, stream: true });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const sent = events(await response.text());
    expect(sent.map((each) => each.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(sent.every((each) => each.event === each.data.type)).toBe(true);
    expect(sent[0]?.data).toMatchObject({
      message: {
        content: [],
        usage: { input_tokens: 9, cache_creation_input_tokens: 5, cache_read_input_tokens: 0 },
      },
    });
    expect(sent.slice(3, 5).map((each) => each.data['delta'])).toEqual([
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
    ]);
    expect(sent[6]?.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 2 },
    });
  });

  it('streams tool use as a tool_use block whose input arrives as input_json_delta', async () => {
    server.enqueue({
      type: 'tool-use',
      text: 'Noting.',
      calls: [{ id: 'toolu_x', name: 'task_note', input: { task: 'T-1', text: 'long enough' } }],
    });
    const sent = events(await (await post({ ...message, stream: true })).text());
    const start = sent.find(
      (each) =>
        each.event === 'content_block_start' &&
        (each.data['content_block'] as { type: string }).type === 'tool_use',
    );
    expect(start?.data).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'toolu_x', name: 'task_note', input: {} },
    });
    const partials = sent
      .filter(
        (each) =>
          (each.data['delta'] as { type?: string } | undefined)?.type === 'input_json_delta',
      )
      .map((each) => (each.data['delta'] as { partial_json: string }).partial_json);
    expect(partials.length).toBeGreaterThan(1);
    expect(JSON.parse(partials.join(''))).toEqual({ task: 'T-1', text: 'long enough' });
    expect(sent.find((each) => each.event === 'message_delta')?.data).toMatchObject({
      delta: { stop_reason: 'tool_use' },
    });
  });

  it('records the key, the version, the system prompt and the messages', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    await post({ ...message, system: [{ type: 'text', text: 'Be brief.' }], stream: true });
    expect(server.requests[0]).toMatchObject({
      path: '/v1/messages',
      apiKey: 'sk-ant',
      version: '2023-06-01',
      model: 'claude-x',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
  });

  it('answers a scripted error with its status, retry-after and an Anthropic error body', async () => {
    server.enqueue({ type: 'http-error', status: 429, retryAfter: '7' });
    const response = await post(message);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({
      type: 'error',
      error: {
        type: 'rate_limit_error',
        message: 'Number of requests has exceeded your rate limit.',
      },
    });
  });

  it('breaks a malformed stream off in the middle of an event', async () => {
    server.enqueue({ type: 'malformed', text: 'par' });
    const body = await (await post({ ...message, stream: true })).text();
    expect(body).toContain('"text":"par"');
    expect(body).not.toContain('message_stop');
    expect(() => events(body)).toThrow();
  });

  it('never answers a stalled request, until the client gives up', async () => {
    server.enqueue({ type: 'stall' });
    const controller = new AbortController();
    const answer = post(message, { signal: controller.signal }).then(
      () => 'answered',
      () => 'gave up',
    );
    await server.waitForRequests(1);
    controller.abort();
    expect(await answer).toBe('gave up');
  });

  it('refuses a wrong key with 401 and keeps the queued reply', async () => {
    server.enqueue({ type: 'text', text: 'ok' });
    const response = await post(message, { key: 'nope' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
    expect(server.pending).toBe(1);
  });

  it.each<[string, unknown, { version?: string | null }]>([
    ['no anthropic-version header', message, { version: null }],
    ['no max_tokens', { ...message, max_tokens: undefined }, {}],
    [
      'a tool name with a dot',
      { ...message, tools: [{ name: 'task.note', input_schema: {} }] },
      {},
    ],
  ])('refuses a request with %s (400)', async (_case, body, init) => {
    server.enqueue({ type: 'text', text: 'ok' });
    const response = await post(body, init);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(server.pending).toBe(1);
  });
});
