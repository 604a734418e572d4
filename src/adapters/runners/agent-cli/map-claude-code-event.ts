/**
 * Maps Claude Code's headless output (`claude -p PROMPT --output-format stream-json --verbose`)
 * to AgentEvents: one JSON object a line, a `system`/`init` line first, then `assistant` lines
 * (text, thinking and tool_use blocks) and `user` lines (tool_result blocks), and last a
 * `result` line that is authoritative for the outcome, cost and session id.
 *
 * Format sources: the Claude Agent SDK's TypeScript types (npm `@anthropic-ai/claude-agent-sdk`,
 * `sdk.d.ts`: SDKSystemMessage, SDKAssistantMessage, SDKUserMessage, SDKAPIRetryMessage,
 * SDKResultSuccess / SDKResultError), the Python SDK's parser
 * (anthropics/claude-agent-sdk-python, `src/claude_agent_sdk/_internal/message_parser.py`), and
 * the headless-mode page of the Claude Code docs (docs.anthropic.com, "Headless mode").
 *
 * Shapes are checked leniently: extra fields are ignored (the format grows often), a line or
 * block of an unknown type maps to nothing, and nothing here throws.
 */

import { z } from 'zod';
import type { JsonValue } from '../../../domain/workflow.js';
import { createAgentStreamAccumulator } from './agent-event.js';
import type { AgentEvent, AgentResult, AgentStreamAccumulator, AgentUsage } from './agent-event.js';

/** Anthropic Messages API usage; every field may be missing on a crash or startup-error result. */
const UsageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
});

const SystemInitSchema = z.object({
  subtype: z.literal('init'),
  session_id: z.string(),
  model: z.string().nullish(),
});

const ApiRetrySchema = z.object({
  subtype: z.literal('api_retry'),
  attempt: z.number(),
  max_retries: z.number(),
  retry_delay_ms: z.number(),
  error_status: z.number().nullish(),
  error: z.string().nullish(),
});

const MessageSchema = z.object({
  message: z.object({ content: z.union([z.string(), z.array(z.unknown())]) }),
});

const ContentBlockSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('thinking'), thinking: z.string() }),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.json() }),
  z.object({
    type: z.literal('tool_result'),
    tool_use_id: z.string(),
    // A string, or content blocks (text, image, …) as MCP tools return them.
    content: z.union([z.string(), z.array(z.unknown())]).nullish(),
    is_error: z.boolean().nullish(),
  }),
]);

const TextBlockSchema = z.object({ type: z.literal('text'), text: z.string() });

/**
 * `result` is present on success only (with `is_error` true it holds the API error's text);
 * the error subtypes carry `errors` instead, which may be empty.
 */
const ResultSchema = z.object({
  subtype: z.string(),
  is_error: z.boolean(),
  result: z.string().nullish(),
  session_id: z.string(),
  total_cost_usd: z.number().nullish(),
  duration_ms: z.number().nullish(),
  num_turns: z.number().nullish(),
  usage: UsageSchema.nullish(),
  errors: z.array(z.string()).nullish(),
});

/** What a person is told when a result names its subtype but carries no error text. */
const SUBTYPE_MESSAGES: Readonly<Record<string, string>> = {
  error_max_turns: 'Claude Code stopped at its turn limit (--max-turns)',
  error_max_budget_usd: 'Claude Code stopped at its spending limit (--max-budget-usd)',
  error_during_execution: 'Claude Code failed while running',
  error_max_structured_output_retries: 'Claude Code could not produce the requested output shape',
};

const TypeSchema = z.object({ type: z.string() });

/**
 * The events one parsed stdout line gives, in order (an assistant line may hold text and several
 * tool calls). Subagent (Task) messages map like the main agent's: their tool calls are real work.
 */
export function mapClaudeCodeEvent(value: unknown): AgentEvent[] {
  const envelope = TypeSchema.safeParse(value);
  if (!envelope.success) return [];
  switch (envelope.data.type) {
    case 'system':
      return mapSystem(value);
    case 'assistant':
      return mapContent(value, 'assistant');
    case 'user':
      return mapContent(value, 'user');
    case 'result':
      return mapResult(value);
    default:
      // stream_event, rate_limit_event, tool_progress, …: nothing bosun shows.
      return [];
  }
}

/** Accumulates a Claude Code stream; the result line decides the outcome. */
export function createClaudeCodeAccumulator(): AgentStreamAccumulator {
  return createAgentStreamAccumulator(mapClaudeCodeEvent, 'Claude Code');
}

function mapSystem(value: unknown): AgentEvent[] {
  const init = SystemInitSchema.safeParse(value);
  if (init.success) {
    return [{ kind: 'session', sessionId: init.data.session_id, model: init.data.model ?? null }];
  }
  const retry = ApiRetrySchema.safeParse(value);
  if (retry.success) {
    const { attempt, max_retries, retry_delay_ms, error_status, error } = retry.data;
    const cause = [error_status, error].filter((part) => part != null).join(' ');
    return [
      {
        kind: 'notice',
        message: `API request failed${cause ? ` (${cause})` : ''}; retry ${attempt}/${max_retries} in ${retry_delay_ms} ms`,
      },
    ];
  }
  // Hooks, compaction boundaries, status and task messages carry nothing bosun shows.
  return [];
}

/**
 * Assistant lines give text, reasoning and tool calls; user lines give tool results. The
 * prompt itself (user text, echoed with --replay-user-messages) is not an agent event.
 */
function mapContent(value: unknown, role: 'assistant' | 'user'): AgentEvent[] {
  const message = MessageSchema.safeParse(value);
  if (!message.success || typeof message.data.message.content === 'string') return [];
  const events: AgentEvent[] = [];
  for (const raw of message.data.message.content) {
    const block = ContentBlockSchema.safeParse(raw);
    if (!block.success) continue;
    const data = block.data;
    if (role === 'assistant' && data.type === 'text') {
      events.push({ kind: 'text', text: data.text });
    } else if (role === 'assistant' && data.type === 'thinking') {
      events.push({ kind: 'reasoning', text: data.thinking });
    } else if (role === 'assistant' && data.type === 'tool_use') {
      events.push({
        kind: 'tool-use',
        id: data.id,
        name: data.name,
        input: data.input as JsonValue,
      });
    } else if (role === 'user' && data.type === 'tool_result') {
      events.push({
        kind: 'tool-result',
        id: data.tool_use_id,
        ok: data.is_error !== true,
        text: toolResultText(data.content),
      });
    }
  }
  return events;
}

/** A tool result's text blocks joined; images and other blocks have no text to show. */
function toolResultText(content: string | readonly unknown[] | null | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((block) => TextBlockSchema.safeParse(block))
    .flatMap((block) => (block.success ? [block.data.text] : []))
    .join('\n');
}

function mapResult(value: unknown): AgentEvent[] {
  const parsed = ResultSchema.safeParse(value);
  if (!parsed.success) return [];
  const line = parsed.data;
  const ok = line.subtype === 'success' && !line.is_error;
  const result: AgentResult = {
    kind: 'result',
    ok,
    text: line.result ?? '',
    sessionId: line.session_id,
    usage: toUsage(line.usage),
    costUsd: line.total_cost_usd ?? null,
    durationMs: line.duration_ms ?? null,
    turns: line.num_turns ?? null,
    error: ok ? null : resultError(line),
    errorType: ok ? null : line.subtype === 'success' ? 'api_error' : line.subtype,
  };
  return [result];
}

function resultError(line: z.output<typeof ResultSchema>): string {
  const errors = (line.errors ?? []).filter((error) => error.trim() !== '');
  if (errors.length > 0) return errors.join('\n');
  // A failed "success" is an API error whose text is the result itself.
  if (line.subtype === 'success' && line.result) return line.result;
  return SUBTYPE_MESSAGES[line.subtype] ?? `Claude Code ended with ${line.subtype}`;
}

/**
 * `input_tokens` excludes cache reads and writes in Anthropic's usage; they are added so that
 * `inputTokens` means every input token, as for Codex. This is the result's `usage` (the main
 * agent loop of this invocation); `modelUsage`, which adds subagents, is cumulative over a
 * resumed session and so would count earlier runs again.
 */
function toUsage(usage: z.output<typeof UsageSchema> | null | undefined): AgentUsage {
  const uncached = usage?.input_tokens ?? 0;
  const cacheRead = usage?.cache_read_input_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: uncached + cacheRead + cacheWrite,
    cachedInputTokens: cacheRead,
    cacheWriteInputTokens: cacheWrite,
    outputTokens: usage?.output_tokens ?? 0,
  };
}
