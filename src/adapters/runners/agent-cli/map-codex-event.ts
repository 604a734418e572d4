/**
 * Maps Codex's headless output (`codex exec --json PROMPT`, or `codex exec --json resume ID
 * PROMPT`) to AgentEvents. Each line is a ThreadEvent: `thread.started` (the id `resume` takes),
 * `turn.started`, `item.started` / `item.updated` / `item.completed` around a thread item
 * (agent_message, reasoning, command_execution, file_change, mcp_tool_call, web_search,
 * todo_list, error), then `turn.completed` with token usage or `turn.failed`; a top-level
 * `error` may come at any time.
 *
 * Format sources: openai/codex `codex-rs/exec/src/exec_events.rs` (the event and item types),
 * `codex-rs/exec/src/event_processor_with_jsonl_output.rs` (when each event is written, and that
 * `turn.completed` usage is the session's running total), `docs/exec.md` (JSON output mode), and
 * the TypeScript SDK's `sdk/typescript/src/thread.ts` (how OpenAI's own client reads the final
 * response, usage and failure from the stream).
 *
 * This mapper is pure and remembers nothing, so it cannot know the run's final answer: Codex
 * writes no result line. `createCodexAccumulator()` builds the result from the whole stream.
 * Codex reports no cost; bosun prices the tokens from the model. Shapes are checked leniently
 * (extra fields ignored, unknown types map to nothing) and nothing here throws.
 */

import { z } from 'zod';
import type { JsonValue } from '../../../domain/workflow.js';
import { createAgentStreamAccumulator } from './agent-event.js';
import type { AgentEvent, AgentStreamAccumulator, AgentUsage } from './agent-event.js';

const UsageSchema = z.object({
  input_tokens: z.number(),
  // Newer than the other two fields; a missing count is read as none cached.
  cached_input_tokens: z.number().nullish(),
  output_tokens: z.number(),
});

const EventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('thread.started'), thread_id: z.string() }),
  z.object({ type: z.literal('turn.completed'), usage: z.unknown().optional() }),
  z.object({ type: z.literal('turn.failed'), error: z.object({ message: z.string() }).nullish() }),
  z.object({
    type: z.enum(['item.started', 'item.updated', 'item.completed']),
    // Loose: the item's own fields are checked by ItemSchema once its type is known.
    item: z.looseObject({ id: z.string(), type: z.string() }),
  }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);

const ItemSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('agent_message'), text: z.string() }),
  z.object({ type: z.literal('reasoning'), text: z.string() }),
  z.object({
    type: z.literal('command_execution'),
    command: z.string(),
    aggregated_output: z.string().nullish(),
    exit_code: z.number().nullish(),
    // in_progress | completed | failed | declined
    status: z.string(),
  }),
  z.object({
    type: z.literal('file_change'),
    changes: z.array(z.object({ path: z.string(), kind: z.string() })),
    // in_progress | completed | failed
    status: z.string(),
  }),
  z.object({
    type: z.literal('mcp_tool_call'),
    server: z.string(),
    tool: z.string(),
    arguments: z.json().nullish(),
    result: z.object({ content: z.array(z.unknown()) }).nullish(),
    error: z.object({ message: z.string() }).nullish(),
    status: z.string(),
  }),
  z.object({ type: z.literal('web_search'), query: z.string() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);

type Item = z.output<typeof ItemSchema>;

const TextBlockSchema = z.object({ type: z.literal('text'), text: z.string() });

/**
 * The events one parsed stdout line gives. A tool call's `tool-use` comes with `item.started`
 * and again with `item.completed` (followed by its `tool-result`), because some items, such as
 * file changes on older Codex versions, are only ever reported completed; the accumulator passes
 * each `tool-use` on once. `item.updated` maps to nothing: bosun shows calls when they end.
 *
 * `turn.completed` gives a `turn-end` whose usage is a running total for the whole session
 * (Codex's `ThreadTokenUsage.total`, which on `exec resume` may include earlier runs): keep the
 * latest, never add them up.
 */
export function mapCodexEvent(value: unknown): AgentEvent[] {
  const parsed = EventSchema.safeParse(value);
  if (!parsed.success) return [];
  const event = parsed.data;
  switch (event.type) {
    case 'thread.started':
      return [{ kind: 'session', sessionId: event.thread_id, model: null }];
    case 'turn.completed':
      return [{ kind: 'turn-end', ok: true, usage: toUsage(event.usage), error: null }];
    case 'turn.failed':
      return [{ kind: 'turn-end', ok: false, usage: null, error: event.error?.message ?? null }];
    case 'error':
      return [{ kind: 'error', message: event.message }];
    case 'item.updated':
      return [];
    case 'item.started':
    case 'item.completed': {
      const item = ItemSchema.safeParse(event.item);
      if (!item.success) return [];
      return event.type === 'item.started'
        ? mapStartedItem(event.item.id, item.data)
        : mapCompletedItem(event.item.id, item.data);
    }
  }
}

/** Accumulates a Codex stream into the run's result (see createAgentStreamAccumulator). */
export function createCodexAccumulator(): AgentStreamAccumulator {
  return createAgentStreamAccumulator(mapCodexEvent, 'Codex');
}

function mapStartedItem(id: string, item: Item): AgentEvent[] {
  const toolUse = describeToolUse(id, item);
  return toolUse === null ? [] : [toolUse];
}

function mapCompletedItem(id: string, item: Item): AgentEvent[] {
  switch (item.type) {
    case 'agent_message':
      return [{ kind: 'text', text: item.text }];
    case 'reasoning':
      return [{ kind: 'reasoning', text: item.text }];
    case 'error':
      // A non-fatal error item: config and deprecation warnings, model reroutes.
      return [{ kind: 'notice', message: item.message }];
    default: {
      const toolUse = describeToolUse(id, item);
      return toolUse === null ? [] : [toolUse, describeToolResult(id, item)];
    }
  }
}

/**
 * Codex items carry no tool name, so the item type stands in; MCP tools are named like Claude
 * Code names them (`mcp__<server>__<tool>`) so one filter fits both agents.
 */
function describeToolUse(id: string, item: Item): AgentEvent | null {
  switch (item.type) {
    case 'command_execution':
      return { kind: 'tool-use', id, name: 'command_execution', input: { command: item.command } };
    case 'file_change':
      return {
        kind: 'tool-use',
        id,
        name: 'file_change',
        input: { changes: item.changes.map(({ path, kind }) => ({ path, kind })) },
      };
    case 'mcp_tool_call':
      return {
        kind: 'tool-use',
        id,
        name: `mcp__${item.server}__${item.tool}`,
        input: (item.arguments ?? null) as JsonValue,
      };
    case 'web_search':
      return { kind: 'tool-use', id, name: 'web_search', input: { query: item.query } };
    default:
      return null;
  }
}

function describeToolResult(id: string, item: Item): AgentEvent {
  switch (item.type) {
    case 'command_execution':
      // `failed` is a non-zero exit; `declined` means the sandbox or approval policy refused it.
      return {
        kind: 'tool-result',
        id,
        ok: item.status === 'completed',
        text: item.aggregated_output ?? '',
      };
    case 'file_change':
      return {
        kind: 'tool-result',
        id,
        ok: item.status === 'completed',
        text: item.changes.map(({ path, kind }) => `${kind} ${path}`).join('\n'),
      };
    case 'mcp_tool_call':
      return {
        kind: 'tool-result',
        id,
        ok: item.status === 'completed' && item.error == null,
        text: item.error?.message ?? mcpResultText(item.result?.content ?? []),
      };
    default:
      // A web search reports no results in the stream, only that it ran.
      return { kind: 'tool-result', id, ok: true, text: '' };
  }
}

/** An MCP result's text blocks joined; images and resources have no text to show. */
function mcpResultText(content: readonly unknown[]): string {
  return content
    .map((block) => TextBlockSchema.safeParse(block))
    .flatMap((block) => (block.success ? [block.data.text] : []))
    .join('\n');
}

/** Codex counts cached tokens inside `input_tokens` already: the shape bosun uses. */
function toUsage(value: unknown): AgentUsage | null {
  const usage = UsageSchema.safeParse(value);
  if (!usage.success) return null;
  return {
    inputTokens: usage.data.input_tokens,
    cachedInputTokens: usage.data.cached_input_tokens ?? 0,
    cacheWriteInputTokens: 0,
    outputTokens: usage.data.output_tokens,
  };
}
