import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createJsonLineSplitter, parseJsonLine, ZERO_USAGE } from './agent-event.js';
import type { AgentEvent, AgentResult, AgentStreamAccumulator } from './agent-event.js';
import { createCodexAccumulator, mapCodexEvent } from './map-codex-event.js';

const FIXTURES = new URL('../../../../test/fixtures/agent-streams/', import.meta.url);
const PROJECT = '/home/dev/projects/invoice-api';

/** Replays a recorded stream in awkward chunks through splitter, parser and accumulator. */
async function replay(
  fixture: string,
  accumulator: AgentStreamAccumulator,
  chunkSize = 29,
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

/** The events `lines` give through a fresh accumulator, then its result. */
function accumulate(lines: readonly unknown[]): { events: AgentEvent[]; result: AgentResult } {
  const accumulator = createCodexAccumulator();
  const events = lines.flatMap((line) => accumulator.push(line));
  return { events, result: accumulator.finish() };
}

describe('mapCodexEvent on recorded streams', () => {
  it('replays a one-answer run: the last agent message is the answer, usage from turn.completed', async () => {
    const { events, plain, result } = await replay('codex-success.jsonl', createCodexAccumulator());
    const command = "bash -lc 'rg -n PORT src'";
    const usage = {
      inputTokens: 24763,
      cachedInputTokens: 24448,
      cacheWriteInputTokens: 0,
      outputTokens: 122,
    };
    expect(plain).toEqual([]);
    expect(events).toEqual([
      { kind: 'session', sessionId: '019a4f3c-2b7e-7d21-9c4a-6f0e8b1d3a57', model: null },
      { kind: 'reasoning', text: '**Looking for the port setting**' },
      { kind: 'tool-use', id: 'item_1', name: 'command_execution', input: { command } },
      {
        kind: 'tool-result',
        id: 'item_1',
        ok: true,
        text: 'src/server.ts:12:const port = Number(process.env.PORT ?? 8080);\n',
      },
      { kind: 'reasoning', text: '**Answering with the default and the override**' },
      {
        kind: 'text',
        text: 'The API listens on port 8080 unless `PORT` is set (`src/server.ts:12`).',
      },
      { kind: 'turn-end', ok: true, usage, error: null },
    ]);
    expect(result).toEqual({
      kind: 'result',
      ok: true,
      text: 'The API listens on port 8080 unless `PORT` is set (`src/server.ts:12`).',
      sessionId: '019a4f3c-2b7e-7d21-9c4a-6f0e8b1d3a57',
      usage,
      costUsd: null,
      durationMs: null,
      turns: null,
      error: null,
      errorType: null,
    });
  });

  it('replays commands, an MCP call and file changes, each call announced once', async () => {
    const { events, result } = await replay(
      'codex-command-and-file-change.jsonl',
      createCodexAccumulator(),
      7,
    );
    const test = "bash -lc 'npm test -- --run src/totals.test.ts'";
    expect(events).toEqual([
      { kind: 'session', sessionId: '019a4f51-8c3d-7a64-b2e1-0d9f7c5a3e18', model: null },
      {
        kind: 'notice',
        message:
          'Model metadata for `gpt-5-codex` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.',
      },
      { kind: 'reasoning', text: '**Running the failing test first**' },
      { kind: 'tool-use', id: 'item_3', name: 'command_execution', input: { command: test } },
      {
        kind: 'tool-result',
        id: 'item_3',
        ok: false,
        text: ' FAIL  src/totals.test.ts > sums line items\nAssertionError: expected 10.01 to be 10\n',
      },
      {
        kind: 'tool-use',
        id: 'item_4',
        name: 'mcp__github__get_issue',
        input: { owner: 'acme', repo: 'invoice-api', issue_number: 42 },
      },
      { kind: 'tool-result', id: 'item_4', ok: true, text: '#42 Totals are off by one cent' },
      {
        kind: 'tool-use',
        id: 'item_5',
        name: 'file_change',
        input: { changes: [{ path: `${PROJECT}/src/totals.ts`, kind: 'update' }] },
      },
      { kind: 'tool-result', id: 'item_5', ok: true, text: `update ${PROJECT}/src/totals.ts` },
      // Reported only on completion, as older Codex versions do for file changes.
      {
        kind: 'tool-use',
        id: 'item_6',
        name: 'file_change',
        input: {
          changes: [
            { path: `${PROJECT}/src/totals.test.ts`, kind: 'update' },
            { path: `${PROJECT}/src/fixtures/cents.json`, kind: 'add' },
          ],
        },
      },
      {
        kind: 'tool-result',
        id: 'item_6',
        ok: true,
        text: `update ${PROJECT}/src/totals.test.ts\nadd ${PROJECT}/src/fixtures/cents.json`,
      },
      { kind: 'tool-use', id: 'item_7', name: 'command_execution', input: { command: test } },
      {
        kind: 'tool-result',
        id: 'item_7',
        ok: true,
        text: ' ✓ src/totals.test.ts (5 tests) 7ms\n\n Test Files  1 passed (1)\n      Tests  5 passed (5)\n',
      },
      {
        kind: 'text',
        text: 'Fixed #42: `sumLineItems` rounds once after adding the lines. I added a regression test with a cents fixture; the totals tests pass.',
      },
      {
        kind: 'turn-end',
        ok: true,
        usage: {
          inputTokens: 187420,
          cachedInputTokens: 161792,
          cacheWriteInputTokens: 0,
          outputTokens: 3184,
        },
        error: null,
      },
    ]);
    expect(result).toMatchObject({
      ok: true,
      text: 'Fixed #42: `sumLineItems` rounds once after adding the lines. I added a regression test with a cents fixture; the totals tests pass.',
      sessionId: '019a4f51-8c3d-7a64-b2e1-0d9f7c5a3e18',
      error: null,
    });
  });

  it('replays a failed turn as failed with its error, after the reconnect notices', async () => {
    const { events, result } = await replay('codex-turn-failed.jsonl', createCodexAccumulator());
    const disconnect =
      'stream disconnected before completion: Transport error: error decoding response body';
    expect(events.slice(-4)).toEqual([
      { kind: 'error', message: `Reconnecting... 1/5 (${disconnect})` },
      { kind: 'error', message: `Reconnecting... 2/5 (${disconnect})` },
      { kind: 'error', message: disconnect },
      { kind: 'turn-end', ok: false, usage: null, error: disconnect },
    ]);
    expect(result).toEqual({
      kind: 'result',
      ok: false,
      text: '',
      sessionId: '019a4f66-1e9b-7c03-a5d2-8b4f6e0c2d71',
      usage: ZERO_USAGE,
      costUsd: null,
      durationMs: null,
      turns: null,
      error: disconnect,
      errorType: 'turn_failed',
    });
  });
});

describe('mapCodexEvent on single lines', () => {
  const command = {
    id: 'item_1',
    type: 'command_execution',
    command: 'bash -lc ls',
    aggregated_output: '',
    status: 'in_progress',
  };

  it('announces a tool call when it starts and again, with its result, when it completes', () => {
    expect(mapCodexEvent({ type: 'item.started', item: command })).toEqual([
      {
        kind: 'tool-use',
        id: 'item_1',
        name: 'command_execution',
        input: { command: 'bash -lc ls' },
      },
    ]);
    expect(
      mapCodexEvent({
        type: 'item.completed',
        item: { ...command, aggregated_output: 'a\n', exit_code: 0, status: 'completed' },
      }),
    ).toEqual([
      {
        kind: 'tool-use',
        id: 'item_1',
        name: 'command_execution',
        input: { command: 'bash -lc ls' },
      },
      { kind: 'tool-result', id: 'item_1', ok: true, text: 'a\n' },
    ]);
  });

  it('gives nothing for item.updated: calls are shown when they end', () => {
    expect(mapCodexEvent({ type: 'item.updated', item: command })).toEqual([]);
  });

  it('fails a command the sandbox declined', () => {
    expect(
      mapCodexEvent({
        type: 'item.completed',
        item: { ...command, command: 'curl example.test', exit_code: null, status: 'declined' },
      }),
    ).toContainEqual({ kind: 'tool-result', id: 'item_1', ok: false, text: '' });
  });

  it('fails an MCP call that reports an error, with the error as its text', () => {
    expect(
      mapCodexEvent({
        type: 'item.completed',
        item: {
          id: 'item_9',
          type: 'mcp_tool_call',
          server: 'docs',
          tool: 'search',
          arguments: { q: 'retry policy' },
          result: null,
          error: { message: 'tool call timed out after 60s' },
          status: 'failed',
        },
      }),
    ).toEqual([
      { kind: 'tool-use', id: 'item_9', name: 'mcp__docs__search', input: { q: 'retry policy' } },
      { kind: 'tool-result', id: 'item_9', ok: false, text: 'tool call timed out after 60s' },
    ]);
  });

  it('reports a web search as a call with its query', () => {
    expect(
      mapCodexEvent({
        type: 'item.completed',
        item: {
          id: 'item_2',
          type: 'web_search',
          query: 'vitest fake timers',
          action: { type: 'search' },
        },
      }),
    ).toEqual([
      {
        kind: 'tool-use',
        id: 'item_2',
        name: 'web_search',
        input: { query: 'vitest fake timers' },
      },
      { kind: 'tool-result', id: 'item_2', ok: true, text: '' },
    ]);
  });

  it('reads a turn.completed without usage as a finished turn with unknown usage', () => {
    expect(mapCodexEvent({ type: 'turn.completed' })).toEqual([
      { kind: 'turn-end', ok: true, usage: null, error: null },
    ]);
  });

  it('reads usage without cached_input_tokens as none cached', () => {
    expect(
      mapCodexEvent({ type: 'turn.completed', usage: { input_tokens: 900, output_tokens: 40 } }),
    ).toEqual([
      {
        kind: 'turn-end',
        ok: true,
        usage: {
          inputTokens: 900,
          cachedInputTokens: 0,
          cacheWriteInputTokens: 0,
          outputTokens: 40,
        },
        error: null,
      },
    ]);
  });

  it.each([
    ['an unknown event type', { type: 'item.plan.delta', item_id: 'item_1', delta: 'x' }],
    ['turn.started', { type: 'turn.started' }],
    ['a todo list', { type: 'item.completed', item: { id: 'i', type: 'todo_list', items: [] } }],
    [
      'an unknown item type',
      { type: 'item.completed', item: { id: 'i', type: 'collab_tool_call' } },
    ],
    [
      'an item without an id',
      { type: 'item.completed', item: { type: 'agent_message', text: 'x' } },
    ],
    [
      'an agent message without text',
      { type: 'item.completed', item: { id: 'i', type: 'agent_message' } },
    ],
    ['thread.started without an id', { type: 'thread.started' }],
    ['an array', [{ type: 'turn.started' }]],
    ['a number', 42],
    ['undefined', undefined],
  ])('gives nothing for %s, without throwing', (_name, value) => {
    expect(mapCodexEvent(value)).toEqual([]);
  });
});

describe('createCodexAccumulator', () => {
  const started = { type: 'thread.started', thread_id: '019a5000-0000-7000-8000-000000000001' };

  it('keeps the latest usage total instead of adding turns up, since Codex reports running totals', () => {
    const { result } = accumulate([
      started,
      {
        type: 'turn.completed',
        usage: { input_tokens: 1000, cached_input_tokens: 0, output_tokens: 10 },
      },
      {
        type: 'turn.completed',
        usage: { input_tokens: 2500, cached_input_tokens: 900, output_tokens: 30 },
      },
    ]);
    expect(result.usage).toEqual({
      inputTokens: 2500,
      cachedInputTokens: 900,
      cacheWriteInputTokens: 0,
      outputTokens: 30,
    });
  });

  it('takes the last agent message as the answer', () => {
    const message = (id: string, text: string): unknown => ({
      type: 'item.completed',
      item: { id, type: 'agent_message', text },
    });
    const { result } = accumulate([
      started,
      message('item_0', 'Looking.'),
      message('item_1', 'Done.'),
      {
        type: 'turn.completed',
        usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 },
      },
    ]);
    expect(result.text).toBe('Done.');
  });

  it('succeeds when the turn completes after stream errors: those were retries', () => {
    const { result } = accumulate([
      started,
      { type: 'error', message: 'Reconnecting... 1/5' },
      { type: 'turn.completed' },
    ]);
    expect(result).toMatchObject({ ok: true, error: null, errorType: null, usage: ZERO_USAGE });
  });

  it('fails with the last stream error when the stream ends without finishing the turn', () => {
    const { result } = accumulate([
      started,
      { type: 'turn.started' },
      { type: 'error', message: 'Reconnecting... 5/5' },
      { type: 'error', message: 'exceeded retry limit, last status: 429 Too Many Requests' },
    ]);
    expect(result).toMatchObject({
      ok: false,
      sessionId: '019a5000-0000-7000-8000-000000000001',
      error: 'exceeded retry limit, last status: 429 Too Many Requests',
      errorType: 'stream_error',
    });
  });

  it('fails a turn.failed without a message with the last stream error, or a plain reason', () => {
    expect(
      accumulate([started, { type: 'error', message: 'quota exceeded' }, { type: 'turn.failed' }])
        .result,
    ).toMatchObject({ ok: false, error: 'quota exceeded', errorType: 'turn_failed' });
    expect(accumulate([started, { type: 'turn.failed', error: null }]).result).toMatchObject({
      ok: false,
      error: 'the turn failed',
      errorType: 'turn_failed',
    });
  });

  it('fails a stream that ended before any turn ended, naming Codex', () => {
    expect(accumulate([started, { type: 'turn.started' }]).result).toMatchObject({
      ok: false,
      error: "Codex's output ended before the run finished",
      errorType: 'no_result',
    });
  });
});
