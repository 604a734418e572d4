import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createAgentStreamAccumulator,
  createJsonLineSplitter,
  parseJsonLine,
  ZERO_USAGE,
} from './agent-event.js';
import type { AgentEvent } from './agent-event.js';

/** Feeds `chunks` through a fresh splitter and returns every line, `end()` included. */
function split(chunks: readonly string[], maxLineChars?: number): string[] {
  const splitter = createJsonLineSplitter(maxLineChars === undefined ? {} : { maxLineChars });
  return [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
}

describe('createJsonLineSplitter', () => {
  it('gives each complete line without its newline, as soon as its newline arrives', () => {
    const splitter = createJsonLineSplitter();
    expect(splitter.push('{"a":1}\n{"b":')).toEqual(['{"a":1}']);
    expect(splitter.push('2}\n')).toEqual(['{"b":2}']);
    expect(splitter.end()).toEqual([]);
  });

  it('gives the same lines wherever the chunk boundaries fall', () => {
    const text = '{"type":"a","text":"héllo ✓"}\r\n{"type":"b"}\n\nplain output\n{"type":"c"}';
    const expected = [
      '{"type":"a","text":"héllo ✓"}',
      '{"type":"b"}',
      'plain output',
      '{"type":"c"}',
    ];
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 })), (cuts) => {
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), text.length];
        const chunks = bounds.slice(1).map((end, index) => text.slice(bounds[index], end));
        expect(split(chunks)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('strips CRLF endings, also when the CR and the LF arrive in different chunks', () => {
    expect(split(['{"a":1}\r', '\n{"b":2}\r\n'])).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('drops blank and whitespace-only lines', () => {
    expect(split(['\n\n  \n\r\n{"a":1}\n\t\n'])).toEqual(['{"a":1}']);
  });

  it('gives a last line that has no newline only at end()', () => {
    const splitter = createJsonLineSplitter();
    expect(splitter.push('{"type":"result"}')).toEqual([]);
    expect(splitter.end()).toEqual(['{"type":"result"}']);
    expect(splitter.end()).toEqual([]);
  });

  it('passes a line longer than the limit on in pieces instead of holding it', () => {
    // Pieces are cut at chunk boundaries once the held text passes the limit.
    expect(split(['abcdef', 'ghij', 'k\nxy\n'], 5)).toEqual(['abcdef', 'ghijk', 'xy']);
  });
});

describe('parseJsonLine', () => {
  it('reads a JSON object as an event', () => {
    expect(parseJsonLine('{"type":"turn.started"}')).toEqual({
      kind: 'json',
      value: { type: 'turn.started' },
    });
  });

  it.each(['not json', '{"type":', '42', '"text"', '[1,2]', 'null', 'Loaded 3 MCP servers'])(
    'keeps %j as plain text, since every event is an object',
    (line) => {
      expect(parseJsonLine(line)).toEqual({ kind: 'text', text: line });
    },
  );

  it('never throws, whatever the line holds', () => {
    fc.assert(
      fc.property(fc.string(), (line) => {
        expect(['json', 'text']).toContain(parseJsonLine(line).kind);
      }),
    );
  });
});

describe('createAgentStreamAccumulator', () => {
  /** A mapper that takes events as they are, to test the accumulator alone. */
  const identity = (value: unknown): AgentEvent[] => [value as AgentEvent];

  it('holds a result event back for finish() and lets it decide', () => {
    const accumulator = createAgentStreamAccumulator(identity, 'Test agent');
    const result: AgentEvent = {
      kind: 'result',
      ok: true,
      text: 'done',
      sessionId: 's-1',
      usage: ZERO_USAGE,
      costUsd: 0.5,
      durationMs: 10,
      turns: 2,
      error: null,
      errorType: null,
    };
    expect(accumulator.push({ kind: 'turn-end', ok: false, usage: null, error: 'x' })).toHaveLength(
      1,
    );
    expect(accumulator.push(result)).toEqual([]);
    expect(accumulator.finish()).toBe(result);
  });

  it('passes each tool call on once, however often it is announced', () => {
    const accumulator = createAgentStreamAccumulator(identity, 'Test agent');
    const use: AgentEvent = { kind: 'tool-use', id: 't1', name: 'shell', input: { command: 'ls' } };
    expect(accumulator.push(use)).toEqual([use]);
    expect(accumulator.push(use)).toEqual([]);
  });

  it('reports a stream with no result and no finished turn as ended early, naming the agent', () => {
    const accumulator = createAgentStreamAccumulator(identity, 'Test agent');
    accumulator.push({ kind: 'session', sessionId: 's-2', model: null });
    accumulator.push({ kind: 'text', text: 'halfway' });
    expect(accumulator.finish()).toEqual({
      kind: 'result',
      ok: false,
      text: 'halfway',
      sessionId: 's-2',
      usage: ZERO_USAGE,
      costUsd: null,
      durationMs: null,
      turns: null,
      error: "Test agent's output ended before the run finished",
      errorType: 'no_result',
    });
  });
});
