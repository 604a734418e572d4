import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createJsonLineSplitter, parseJsonLine } from './agent-event.js';
import type { AgentEvent, AgentResult, AgentStreamAccumulator } from './agent-event.js';
import { createClaudeCodeAccumulator, mapClaudeCodeEvent } from './map-claude-code-event.js';

const FIXTURES = new URL('../../../../test/fixtures/agent-streams/', import.meta.url);
const MODEL = 'claude-sonnet-4-5-20250929';

/**
 * Replays a recorded stream the way a runner reads stdout: in chunks of an awkward size that cut
 * lines (and multi-byte characters' neighbours) anywhere, through splitter, parser, accumulator.
 */
async function replay(
  fixture: string,
  accumulator: AgentStreamAccumulator,
  chunkSize = 37,
): Promise<{ events: AgentEvent[]; plain: string[]; result: AgentResult }> {
  const text = await readFile(new URL(fixture, FIXTURES), 'utf8');
  const splitter = createJsonLineSplitter();
  const events: AgentEvent[] = [];
  const plain: string[] = [];
  const take = (lines: string[]): void => {
    for (const line of lines) {
      const parsed = parseJsonLine(line);
      if (parsed.kind === 'json') events.push(...accumulator.push(parsed.value));
      else plain.push(parsed.text);
    }
  };
  for (let start = 0; start < text.length; start += chunkSize) {
    take(splitter.push(text.slice(start, start + chunkSize)));
  }
  take(splitter.end());
  return { events, plain, result: accumulator.finish() };
}

describe('mapClaudeCodeEvent on recorded streams', () => {
  it('replays a one-answer run: the session, the text, and the result line as the outcome', async () => {
    const { events, plain, result } = await replay(
      'claude-code-success.jsonl',
      createClaudeCodeAccumulator(),
    );
    const answer =
      'The API listens on port 8080 by default; set `PORT` to change it (see `src/server.ts`, line 12).';
    expect(plain).toEqual([]);
    expect(events).toEqual([
      { kind: 'session', sessionId: '3f7c2a9e-8b41-4d6a-9e2f-5c1b7d8a0e64', model: MODEL },
      { kind: 'text', text: answer },
    ]);
    expect(result).toEqual({
      kind: 'result',
      ok: true,
      text: answer,
      sessionId: '3f7c2a9e-8b41-4d6a-9e2f-5c1b7d8a0e64',
      // 4 uncached + 12096 cache reads + 1834 cache writes.
      usage: {
        inputTokens: 13934,
        cachedInputTokens: 12096,
        cacheWriteInputTokens: 1834,
        outputTokens: 87,
      },
      costUsd: 0.0118233,
      durationMs: 4213,
      turns: 1,
      error: null,
      errorType: null,
    });
  });

  it('replays a run with tool calls: thinking, text, each call and its result in order', async () => {
    const { events, result } = await replay(
      'claude-code-tool-use.jsonl',
      createClaudeCodeAccumulator(),
      5,
    );
    const file = '/home/dev/projects/invoice-api/src/totals.ts';
    expect(events.map((event) => event.kind)).toEqual([
      'session',
      'reasoning',
      'text',
      'tool-use',
      'tool-result',
      'tool-use',
      'tool-result',
      'tool-use',
      'tool-result',
      'tool-use',
      'tool-result',
      'tool-use',
      'tool-result',
      'text',
    ]);
    expect(events.slice(0, 7)).toEqual([
      { kind: 'session', sessionId: '8a1d5e3f-2c7b-4e9a-b6d4-1f0e9c8b7a65', model: MODEL },
      {
        kind: 'reasoning',
        text: 'The issue number is in the prompt; read it before touching the code.',
      },
      { kind: 'text', text: "I'll read issue #42 first." },
      {
        kind: 'tool-use',
        id: 'toolu_01Kx7sVb3nQ9wE2rT5yU8iO1',
        name: 'mcp__github__get_issue',
        input: { owner: 'acme', repo: 'invoice-api', issue_number: 42 },
      },
      {
        kind: 'tool-result',
        id: 'toolu_01Kx7sVb3nQ9wE2rT5yU8iO1',
        ok: true,
        // An MCP result comes as text blocks, joined a line apart.
        text: '#42 Totals are off by one cent\nsumLineItems() rounds each line before adding; round once at the end.',
      },
      {
        kind: 'tool-use',
        id: 'toolu_01Pq2wE4rT6yU8iO0pA3sD5f',
        name: 'Bash',
        input: {
          command: 'npm test -- --run src/totals.test.ts',
          description: 'Run the totals tests',
        },
      },
      {
        kind: 'tool-result',
        id: 'toolu_01Pq2wE4rT6yU8iO0pA3sD5f',
        ok: false,
        text: 'Error: Exit code 1\n FAIL  src/totals.test.ts > sums line items\nAssertionError: expected 10.01 to be 10',
      },
    ]);
    expect(events[9]).toEqual({
      kind: 'tool-use',
      id: 'toolu_01Zx8cV6bN4mQ2wE0rT9yU7i',
      name: 'Edit',
      input: {
        file_path: file,
        old_string:
          '  return items.reduce((total, item) => total + round(item.price * item.quantity), 0);',
        new_string:
          '  return round(items.reduce((total, item) => total + item.price * item.quantity, 0));',
      },
    });
    expect(events[12]).toMatchObject({ kind: 'tool-result', ok: true });
    expect(result).toMatchObject({
      ok: true,
      text: 'Fixed #42: `sumLineItems` now rounds once, after adding the lines, so totals no longer drift by a cent. The totals tests pass.',
      sessionId: '8a1d5e3f-2c7b-4e9a-b6d4-1f0e9c8b7a65',
      usage: {
        inputTokens: 38 + 89680 + 4408,
        cachedInputTokens: 89680,
        cacheWriteInputTokens: 4408,
        outputTokens: 1239,
      },
      costUsd: 0.062133,
      durationMs: 38214,
      turns: 6,
    });
  });

  it('replays a run stopped at its turn limit as failed, with the CLI error text', async () => {
    const { events, result } = await replay(
      'claude-code-error-max-turns.jsonl',
      createClaudeCodeAccumulator(),
    );
    expect(events.map((event) => event.kind)).toEqual([
      'session',
      'text',
      'tool-use',
      'tool-result',
      'tool-use',
      'tool-result',
    ]);
    expect(result).toEqual({
      kind: 'result',
      ok: false,
      // Error results carry no `result` text.
      text: '',
      sessionId: 'c4b9e2d7-6a3f-4f18-9d5c-2e7a1b8f0c93',
      usage: {
        inputTokens: 12 + 26410 + 3120,
        cachedInputTokens: 26410,
        cacheWriteInputTokens: 3120,
        outputTokens: 402,
      },
      costUsd: 0.025689,
      durationMs: 15322,
      turns: 3,
      error: 'Reached maximum number of turns (2)',
      errorType: 'error_max_turns',
    });
  });
});

describe('mapClaudeCodeEvent on single lines', () => {
  const session = 'f0e1d2c3-b4a5-4697-8877-665544332211';

  it('gives an assistant message with text and two tool calls as three events in order', () => {
    expect(
      mapClaudeCodeEvent({
        type: 'assistant',
        message: {
          id: 'msg_1',
          role: 'assistant',
          content: [
            { type: 'text', text: 'Reading both files.' },
            { type: 'tool_use', id: 'toolu_a', name: 'Read', input: { file_path: '/w/a.ts' } },
            { type: 'tool_use', id: 'toolu_b', name: 'Read', input: { file_path: '/w/b.ts' } },
          ],
        },
        parent_tool_use_id: null,
        session_id: session,
      }),
    ).toEqual([
      { kind: 'text', text: 'Reading both files.' },
      { kind: 'tool-use', id: 'toolu_a', name: 'Read', input: { file_path: '/w/a.ts' } },
      { kind: 'tool-use', id: 'toolu_b', name: 'Read', input: { file_path: '/w/b.ts' } },
    ]);
  });

  it('skips content blocks it does not know and keeps the rest', () => {
    expect(
      mapClaudeCodeEvent({
        type: 'assistant',
        message: {
          content: [
            { type: 'redacted_thinking', data: 'xyz' },
            { type: 'text' },
            { type: 'text', text: 'kept' },
          ],
        },
        session_id: session,
      }),
    ).toEqual([{ kind: 'text', text: 'kept' }]);
  });

  it('reads a tool result with no content as empty, and ignores image blocks', () => {
    expect(
      mapClaudeCodeEvent({
        type: 'user',
        message: {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_a' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_b',
              content: [
                { type: 'image', source: {} },
                { type: 'text', text: 'caption' },
              ],
            },
          ],
        },
      }),
    ).toEqual([
      { kind: 'tool-result', id: 'toolu_a', ok: true, text: '' },
      { kind: 'tool-result', id: 'toolu_b', ok: true, text: 'caption' },
    ]);
  });

  it('gives nothing for the echoed prompt, a user message whose content is a string', () => {
    expect(
      mapClaudeCodeEvent({ type: 'user', message: { role: 'user', content: 'Fix the bug' } }),
    ).toEqual([]);
  });

  it('reports an API retry as a notice', () => {
    expect(
      mapClaudeCodeEvent({
        type: 'system',
        subtype: 'api_retry',
        attempt: 2,
        max_retries: 10,
        retry_delay_ms: 1200,
        error_status: 529,
        error: 'overloaded',
        session_id: session,
      }),
    ).toEqual([
      { kind: 'notice', message: 'API request failed (529 overloaded); retry 2/10 in 1200 ms' },
    ]);
  });

  it.each([
    ['an unknown type', { type: 'stream_event', event: {}, session_id: session }],
    ['an unknown system subtype', { type: 'system', subtype: 'compact_boundary' }],
    ['an init line without a session id', { type: 'system', subtype: 'init', model: MODEL }],
    ['an assistant line without content', { type: 'assistant', message: {} }],
    ['a result line without is_error', { type: 'result', subtype: 'success', session_id: session }],
    ['a line without a type', { session_id: session }],
    ['an array', [{ type: 'assistant' }]],
    ['a string', 'assistant'],
    ['null', null],
  ])('gives nothing for %s, without throwing', (_name, value) => {
    expect(mapClaudeCodeEvent(value)).toEqual([]);
  });

  it('reads a result line without usage, cost or timings as zero tokens and unknown figures', () => {
    expect(
      mapClaudeCodeEvent({
        type: 'result',
        subtype: 'success',
        is_error: false,
        result: 'ok',
        session_id: session,
      }),
    ).toEqual([
      {
        kind: 'result',
        ok: true,
        text: 'ok',
        sessionId: session,
        usage: { inputTokens: 0, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 0 },
        costUsd: null,
        durationMs: null,
        turns: null,
        error: null,
        errorType: null,
      },
    ]);
  });

  it('names the limit when a turn-limit result carries no error text', () => {
    expect(
      mapClaudeCodeEvent({
        type: 'result',
        subtype: 'error_max_turns',
        is_error: true,
        errors: [],
        session_id: session,
      }),
    ).toMatchObject([
      {
        ok: false,
        error: 'Claude Code stopped at its turn limit (--max-turns)',
        errorType: 'error_max_turns',
      },
    ]);
  });

  it('reads a "success" that is_error as an API error whose text is the result', () => {
    expect(
      mapClaudeCodeEvent({
        type: 'result',
        subtype: 'success',
        is_error: true,
        result: 'API Error: 401 {"type":"error","error":{"type":"authentication_error"}}',
        session_id: session,
      }),
    ).toMatchObject([
      {
        ok: false,
        error: 'API Error: 401 {"type":"error","error":{"type":"authentication_error"}}',
        errorType: 'api_error',
      },
    ]);
  });

  it('names an unfamiliar error subtype rather than dropping the result', () => {
    expect(
      mapClaudeCodeEvent({
        type: 'result',
        subtype: 'error_something_new',
        is_error: true,
        session_id: session,
      }),
    ).toMatchObject([
      {
        ok: false,
        error: 'Claude Code ended with error_something_new',
        errorType: 'error_something_new',
      },
    ]);
  });
});

describe('createClaudeCodeAccumulator', () => {
  it('shows progress from push() and keeps the result line for finish()', () => {
    const accumulator = createClaudeCodeAccumulator();
    const session = 'aa11bb22-cc33-4d44-8e55-ff6677889900';
    expect(
      accumulator.push({ type: 'system', subtype: 'init', session_id: session, model: MODEL }),
    ).toEqual([{ kind: 'session', sessionId: session, model: MODEL }]);
    expect(
      accumulator.push({
        type: 'result',
        subtype: 'success',
        is_error: false,
        result: 'done',
        session_id: session,
        total_cost_usd: 0.01,
      }),
    ).toEqual([]);
    expect(accumulator.finish()).toMatchObject({ ok: true, text: 'done', costUsd: 0.01 });
  });

  it('fails a stream that ends without a result line, keeping the session to resume', () => {
    const accumulator = createClaudeCodeAccumulator();
    const session = 'aa11bb22-cc33-4d44-8e55-ff6677889901';
    accumulator.push({ type: 'system', subtype: 'init', session_id: session, model: MODEL });
    accumulator.push({
      type: 'assistant',
      message: { content: [{ type: 'text', text: 'Starting on it.' }] },
      session_id: session,
    });
    expect(accumulator.finish()).toEqual({
      kind: 'result',
      ok: false,
      text: 'Starting on it.',
      sessionId: session,
      usage: { inputTokens: 0, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 0 },
      costUsd: null,
      durationMs: null,
      turns: null,
      error: "Claude Code's output ended before the run finished",
      errorType: 'no_result',
    });
  });
});
