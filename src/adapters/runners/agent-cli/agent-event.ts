/**
 * The vendor-neutral vocabulary of the agent CLI runners. Claude Code (`claude -p --output-format
 * stream-json`) and Codex (`codex exec --json`) both write one JSON object a line on stdout; their
 * mappers turn each object into `AgentEvent`s, so a runner, a log view or a cost meter reads one
 * shape whatever the agent. This module also holds the pieces both runners share: a splitter
 * that cuts stdout chunks into lines, a line parser that never throws, and the accumulator that
 * folds a whole stream into the run's one `result`.
 */

import type { JsonValue } from '../../../domain/workflow.js';
import { tryParseJson } from '../../../shared/json.js';

/**
 * Tokens in the OpenAI convention: `inputTokens` counts every input token, and the cache fields
 * are parts of it. (Anthropic reports cache reads and writes apart from `input_tokens`; its
 * mapper adds them up so both vendors mean the same thing by `inputTokens`.)
 */
export interface AgentUsage {
  readonly inputTokens: number;
  /** The part of `inputTokens` read from the provider's prompt cache (billed cheaper). */
  readonly cachedInputTokens: number;
  /** The part of `inputTokens` written to the prompt cache (Anthropic bills it dearer; Codex: 0). */
  readonly cacheWriteInputTokens: number;
  readonly outputTokens: number;
}

export const ZERO_USAGE: AgentUsage = {
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteInputTokens: 0,
  outputTokens: 0,
};

/** The run's outcome: the last event of a stream, built by an accumulator's `finish()`. */
export interface AgentResult {
  readonly kind: 'result';
  readonly ok: boolean;
  /** The agent's final answer (Claude: the result line's text; Codex: its last agent message). */
  readonly text: string;
  /** What `--resume` (Claude) or `exec resume` (Codex) takes to continue; null if never seen. */
  readonly sessionId: string | null;
  readonly usage: AgentUsage;
  /**
   * As the agent reported it; null when it reports none (Codex: bosun prices the tokens). Claude
   * Code's figure is a running total: on a resumed session recent versions include the spend of
   * the runs before, so a runner that charges per attempt subtracts what it recorded for them.
   */
  readonly costUsd: number | null;
  readonly durationMs: number | null;
  /** Model round trips as the agent counts them; null when it does not (Codex). */
  readonly turns: number | null;
  /** Why `ok` is false, for a person; null when ok. */
  readonly error: string | null;
  /**
   * Why `ok` is false, for a program: Claude Code's result subtype (`error_max_turns`,
   * `error_during_execution`, …) or `api_error` (a "success" that is_error); for a stream without
   * a result line, `turn_failed`, `stream_error` or `no_result`.
   */
  readonly errorType: string | null;
}

export type AgentEvent =
  /** The agent named its session (Claude's `system/init`, Codex's `thread.started`). */
  | { readonly kind: 'session'; readonly sessionId: string; readonly model: string | null }
  /** Text the agent wrote for the user. */
  | { readonly kind: 'text'; readonly text: string }
  /** The agent's visible reasoning (Claude thinking blocks, Codex reasoning summaries). */
  | { readonly kind: 'reasoning'; readonly text: string }
  /** The agent started a tool call (a shell command, a file edit, an MCP tool, …). */
  | {
      readonly kind: 'tool-use';
      readonly id: string;
      readonly name: string;
      readonly input: JsonValue;
    }
  /** A tool call ended; `id` matches its `tool-use`. */
  | {
      readonly kind: 'tool-result';
      readonly id: string;
      readonly ok: boolean;
      readonly text: string;
    }
  /** Something worth showing that does not decide the outcome (API retries, warnings). */
  | { readonly kind: 'notice'; readonly message: string }
  /**
   * An error on the stream itself. Not necessarily the end: Codex reports its reconnect attempts
   * this way too, so only a stream that ends without a finished turn fails on it.
   */
  | { readonly kind: 'error'; readonly message: string }
  /** A turn ended (Codex only). `usage` is Codex's running total for the session so far. */
  | {
      readonly kind: 'turn-end';
      readonly ok: boolean;
      readonly usage: AgentUsage | null;
      readonly error: string | null;
    }
  | AgentResult;

/** Cuts a child's stdout, arriving in chunks of any size, into whole lines. */
export interface JsonLineSplitter {
  /** The lines this chunk completed, without their `\n` or `\r\n`; blank lines are dropped. */
  push(chunk: string): string[];
  /** Call when stdout ended: the last line if it had no newline (or nothing). */
  end(): string[];
}

/**
 * A line longer than this is passed on in pieces rather than held whole. It will not parse as
 * JSON then, and the runner keeps it as plain output; the limit only guards memory against a
 * child that writes without ever ending a line. Claude's largest lines (a tool result holding a
 * whole file) stay far below it.
 */
const DEFAULT_MAX_LINE_CHARS = 16 * 1024 * 1024;

export function createJsonLineSplitter(
  options: { readonly maxLineChars?: number } = {},
): JsonLineSplitter {
  const maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  let pending = '';

  const keep = (lines: string[], line: string): void => {
    // CRLF output (a Windows build, a pty) and blank keep-alive lines must not reach the parser.
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() !== '') lines.push(text);
  };

  return {
    push(chunk) {
      const lines: string[] = [];
      let start = 0;
      // Only the new chunk is searched, so a long line arriving in many chunks costs linear time.
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        keep(lines, pending + chunk.slice(start, end));
        pending = '';
        start = end + 1;
      }
      pending += chunk.slice(start);
      if (pending.length > maxLineChars) {
        keep(lines, pending);
        pending = '';
      }
      return lines;
    },
    end() {
      const lines: string[] = [];
      keep(lines, pending);
      pending = '';
      return lines;
    },
  };
}

/**
 * One stdout line, read. Every event of both formats is a JSON object, so only an object counts
 * as an event; anything else (a warning, a progress bar, even a bare `42`) is plain text the
 * runner keeps as output.
 */
export type AgentOutputLine =
  | { readonly kind: 'json'; readonly value: { readonly [key: string]: unknown } }
  | { readonly kind: 'text'; readonly text: string };

export function parseJsonLine(line: string): AgentOutputLine {
  const value = tryParseJson(line);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return { kind: 'json', value: value as { readonly [key: string]: unknown } };
  }
  return { kind: 'text', text: line };
}

/**
 * Folds one run's stream into its result. `push` maps a parsed line and returns the events to
 * show as they happen; `finish`, called once stdout has ended, returns the outcome.
 */
export interface AgentStreamAccumulator {
  push(value: unknown): AgentEvent[];
  finish(): AgentResult;
}

/**
 * The accumulator both mappers share. A `result` event from the mapper (Claude's result line) is
 * authoritative and held back for `finish`. Without one (Codex never writes one, and a crashed
 * Claude may not), the result is built from what the stream showed: the session it named, its
 * last text, the latest usage total, and whether a turn ended well.
 *
 * It also passes each tool call's `tool-use` on once: Codex repeats it when the call completes,
 * because a call may complete without ever having been announced as started.
 */
export function createAgentStreamAccumulator(
  map: (value: unknown) => AgentEvent[],
  agentName: string,
): AgentStreamAccumulator {
  let sessionId: string | null = null;
  let lastText: string | null = null;
  let usage: AgentUsage | null = null;
  let turnEnded = false;
  let turnFailure: string | null = null;
  let lastError: string | null = null;
  let result: AgentResult | null = null;
  const announcedTools = new Set<string>();

  const observe = (event: AgentEvent): boolean => {
    switch (event.kind) {
      case 'session':
        sessionId = event.sessionId;
        return true;
      case 'text':
        lastText = event.text;
        return true;
      case 'tool-use':
        if (announcedTools.has(event.id)) return false;
        announcedTools.add(event.id);
        return true;
      case 'error':
        lastError = event.message;
        return true;
      case 'turn-end':
        turnEnded = true;
        // Codex's usage is a running total for the session, so the latest replaces, never adds.
        usage = event.usage ?? usage;
        if (!event.ok) turnFailure ??= event.error ?? lastError ?? 'the turn failed';
        return true;
      case 'result':
        result = event;
        return false;
      default:
        return true;
    }
  };

  return {
    push(value) {
      return map(value).filter(observe);
    },
    finish() {
      if (result !== null) return result;
      const failure = describeFailure(turnFailure, turnEnded, lastError, agentName);
      return {
        kind: 'result',
        ok: failure === null,
        text: lastText ?? '',
        sessionId,
        usage: usage ?? ZERO_USAGE,
        costUsd: null,
        durationMs: null,
        turns: null,
        error: failure?.error ?? null,
        errorType: failure?.errorType ?? null,
      };
    },
  };
}

/** Why a stream without a result line failed, or null when a turn ended well. */
function describeFailure(
  turnFailure: string | null,
  turnEnded: boolean,
  lastError: string | null,
  agentName: string,
): { readonly error: string; readonly errorType: string } | null {
  if (turnFailure !== null) return { error: turnFailure, errorType: 'turn_failed' };
  // A turn that ended well outweighs earlier stream errors: those were retries that worked.
  if (turnEnded) return null;
  if (lastError !== null) return { error: lastError, errorType: 'stream_error' };
  return { error: `${agentName}'s output ended before the run finished`, errorType: 'no_result' };
}
