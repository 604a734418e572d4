/**
 * A scripted stand-in for the Anthropic API: a real HTTP server on 127.0.0.1 (random port) that
 * answers `POST /v1/messages` in the Messages API wire format, so the llm runner's tests run the
 * real `@ai-sdk/anthropic` provider over real sockets. A test queues the replies (text, tool use,
 * token counts, or a failure: an HTTP error, a stream that turns to garbage, a request that is
 * never answered) and afterwards reads the requests it received.
 *
 * The format follows Anthropic's API reference, "Messages" and "Streaming Messages"
 * (https://docs.anthropic.com/en/api/messages and /en/docs/build-with-claude/streaming): the key
 * in `x-api-key`, the API version in `anthropic-version`, `max_tokens` required; a response has
 * `content` blocks (`text`, `tool_use` with `id`, `name`, `input`), a `stop_reason` (`end_turn`,
 * `tool_use`, `max_tokens`) and `usage` whose `input_tokens` excludes the prompt-cache tokens
 * counted apart in `cache_read_input_tokens` and `cache_creation_input_tokens`. A stream is SSE
 * `event:`/`data:` pairs: `message_start` (the message with empty content and the input usage),
 * per block `content_block_start`, `content_block_delta` (`text_delta`, or `input_json_delta`
 * with `partial_json` for tool input) and `content_block_stop`, then `message_delta` (the
 * `stop_reason` and `usage.output_tokens`) and `message_stop`. Errors are
 * `{ type: 'error', error: { type, message } }` with the HTTP status; a 429 carries
 * `retry-after`.
 */

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { tryParseJson } from '../shared/json.js';
import type { ScriptedServer } from './fake-http-server.js';
import {
  deltasOf,
  isObject,
  readBody,
  sendJson,
  splitInThree,
  startScriptedServer,
  writeSseHead,
} from './fake-http-server.js';

/** Token counts as the API reports them: `inputTokens` excludes the two cache counts. */
export interface FakeAnthropicUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheCreationInputTokens?: number;
}

export interface FakeAnthropicToolUse {
  /** Default `toolu_<n>`, numbered across the server's life. */
  readonly id?: string;
  readonly name: string;
  readonly input: { readonly [key: string]: unknown };
}

export type FakeAnthropicReply =
  | {
      readonly type: 'text';
      /** One string is streamed a word at a time; a list is streamed as exactly these deltas. */
      readonly text: string | readonly string[];
      readonly usage?: FakeAnthropicUsage;
      readonly stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence';
    }
  | {
      readonly type: 'tool-use';
      readonly calls: readonly FakeAnthropicToolUse[];
      /** Text the assistant says before its tool use. */
      readonly text?: string;
      readonly usage?: FakeAnthropicUsage;
    }
  | {
      readonly type: 'http-error';
      readonly status: number;
      /** Sent as the `retry-after` header (seconds). */
      readonly retryAfter?: string;
      readonly message?: string;
    }
  /** A stream that starts well (message_start, one text delta) and then sends a broken event. */
  | { readonly type: 'malformed'; readonly text?: string }
  /** Reads the request and never answers, until the client gives up or the server closes. */
  | { readonly type: 'stall' };

/** One message of a request, as far as tests look into it. */
export interface FakeAnthropicMessage {
  readonly role: string;
  /** A string, or blocks such as `{ type: 'text', text }`, `tool_use` and `tool_result`. */
  readonly content: unknown;
}

export interface FakeAnthropicRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The `x-api-key` header, if any. */
  readonly apiKey: string | undefined;
  /** The `anthropic-version` header, if any. */
  readonly version: string | undefined;
  /** The parsed JSON body; `{}` when there was none or it was not JSON. */
  readonly body: { readonly [key: string]: unknown };
  readonly model: string | undefined;
  /** The top-level `system` as text (blocks joined), if any. */
  readonly system: string | undefined;
  readonly messages: readonly FakeAnthropicMessage[];
  readonly toolNames: readonly string[];
  readonly stream: boolean;
}

export interface FakeAnthropicServerOptions {
  /** When set, a request with another `x-api-key` is refused with 401 before the queue is used. */
  readonly apiKey?: string;
}

export type FakeAnthropicServer = ScriptedServer<FakeAnthropicReply, FakeAnthropicRequest>;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const DEFAULT_USAGE: FakeAnthropicUsage = { inputTokens: 10, outputTokens: 5 };

export async function startFakeAnthropicServer(
  options: FakeAnthropicServerOptions = {},
): Promise<FakeAnthropicServer> {
  let messages = 0;
  let toolUses = 0;

  return startScriptedServer<FakeAnthropicReply, FakeAnthropicRequest>(
    async (incoming, response, script) => {
      const parsed = tryParseJson(await readBody(incoming));
      const body = isObject(parsed) ? parsed : {};
      const request: FakeAnthropicRequest = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: incoming.headers,
        apiKey: header(incoming.headers, 'x-api-key'),
        version: header(incoming.headers, 'anthropic-version'),
        body,
        model: typeof body['model'] === 'string' ? body['model'] : undefined,
        system: systemOf(body['system']),
        messages: Array.isArray(body['messages'])
          ? (body['messages'] as FakeAnthropicMessage[])
          : [],
        toolNames: Array.isArray(body['tools'])
          ? body['tools'].map((tool: unknown) =>
              isObject(tool) && typeof tool['name'] === 'string' ? tool['name'] : '',
            )
          : [],
        stream: body['stream'] === true,
      };
      script.record(request);

      if (request.method !== 'POST' || request.path !== '/v1/messages') {
        sendError(response, 404, 'not_found_error', `Not found: ${request.method} ${request.path}`);
        return;
      }
      if (options.apiKey !== undefined && request.apiKey !== options.apiKey) {
        sendError(response, 401, 'authentication_error', 'invalid x-api-key');
        return;
      }
      const problem = invalidRequest(parsed, request);
      if (problem !== undefined) {
        sendError(response, 400, 'invalid_request_error', problem);
        return;
      }
      const reply = script.next();
      if (reply === undefined) {
        sendError(
          response,
          500,
          'api_error',
          'fake Anthropic server: no reply queued for this request',
        );
        return;
      }
      messages += 1;
      const id = `msg_fake_${messages}`;
      const model = request.model ?? 'unknown';
      switch (reply.type) {
        case 'http-error': {
          const kind = errorType(reply.status);
          if (reply.retryAfter !== undefined) response.setHeader('retry-after', reply.retryAfter);
          sendError(
            response,
            reply.status,
            kind,
            reply.message ?? defaultMessage(reply.status, model),
          );
          return;
        }
        case 'stall':
          // Never answer: the client's abort (or close()) ends the exchange.
          return;
        case 'malformed':
          writeSseHead(response);
          writeEvent(response, 'message_start', messageStart(id, model, DEFAULT_USAGE));
          writeEvent(response, 'content_block_start', {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'text', text: '' },
          });
          writeEvent(response, 'content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'text_delta', text: reply.text ?? 'partial' },
          });
          response.end(
            'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n',
          );
          return;
        case 'text':
        case 'tool-use': {
          const answer: Answer = {
            id,
            model,
            deltas: reply.type === 'text' ? deltasOf(reply.text) : deltasOf(reply.text ?? []),
            uses:
              reply.type === 'tool-use'
                ? reply.calls.map((call) => ({
                    id: call.id ?? `toolu_${(toolUses += 1)}`,
                    name: call.name,
                    input: call.input,
                  }))
                : [],
            stopReason: reply.type === 'text' ? (reply.stopReason ?? 'end_turn') : 'tool_use',
            usage: reply.usage ?? DEFAULT_USAGE,
          };
          if (request.stream) streamAnswer(response, answer);
          else sendAnswer(response, answer);
          return;
        }
      }
    },
  );
}

interface Answer {
  readonly id: string;
  readonly model: string;
  readonly deltas: readonly string[];
  readonly uses: readonly {
    id: string;
    name: string;
    input: { readonly [key: string]: unknown };
  }[];
  readonly stopReason: string;
  readonly usage: FakeAnthropicUsage;
}

function messageStart(id: string, model: string, usage: FakeAnthropicUsage): unknown {
  return {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The input side is known up front; output_tokens grows until message_delta.
      usage: { ...wireUsage(usage), output_tokens: 1 },
    },
  };
}

function streamAnswer(response: ServerResponse, answer: Answer): void {
  writeSseHead(response);
  writeEvent(response, 'message_start', messageStart(answer.id, answer.model, answer.usage));
  let index = 0;
  if (answer.deltas.length > 0) {
    writeEvent(response, 'content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'text', text: '' },
    });
    writeEvent(response, 'ping', { type: 'ping' });
    for (const text of answer.deltas) {
      writeEvent(response, 'content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text },
      });
    }
    writeEvent(response, 'content_block_stop', { type: 'content_block_stop', index });
    index += 1;
  }
  for (const use of answer.uses) {
    writeEvent(response, 'content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: use.id, name: use.name, input: {} },
    });
    for (const partial of splitInThree(JSON.stringify(use.input))) {
      writeEvent(response, 'content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: partial },
      });
    }
    writeEvent(response, 'content_block_stop', { type: 'content_block_stop', index });
    index += 1;
  }
  writeEvent(response, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: answer.stopReason, stop_sequence: null },
    usage: { output_tokens: answer.usage.outputTokens },
  });
  writeEvent(response, 'message_stop', { type: 'message_stop' });
  response.end();
}

function sendAnswer(response: ServerResponse, answer: Answer): void {
  const text = answer.deltas.join('');
  sendJson(response, 200, {
    id: answer.id,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content: [
      ...(text === '' ? [] : [{ type: 'text', text }]),
      ...answer.uses.map((use) => ({
        type: 'tool_use',
        id: use.id,
        name: use.name,
        input: use.input,
      })),
    ],
    stop_reason: answer.stopReason,
    stop_sequence: null,
    usage: wireUsage(answer.usage),
  });
}

function wireUsage(usage: FakeAnthropicUsage): { [key: string]: number } {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheCreationInputTokens ?? 0,
    cache_read_input_tokens: usage.cacheReadInputTokens ?? 0,
    output_tokens: usage.outputTokens,
  };
}

/** What the API refuses with 400 before generating anything, as far as this fake checks. */
function invalidRequest(parsed: unknown, request: FakeAnthropicRequest): string | undefined {
  if (request.version === undefined) return 'anthropic-version: header is required';
  if (!isObject(parsed)) return 'There was an issue with the format or content of your request.';
  if (request.model === undefined) return 'model: Field required';
  if (typeof request.body['max_tokens'] !== 'number') return 'max_tokens: Field required';
  if (request.messages.length === 0) return 'messages: at least one message is required';
  const bad = request.toolNames.findIndex((name) => !TOOL_NAME.test(name));
  if (bad >= 0) return `tools.${bad}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
  return undefined;
}

function systemOf(system: unknown): string | undefined {
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) return undefined;
  return system
    .map((block: unknown) =>
      isObject(block) && typeof block['text'] === 'string' ? block['text'] : '',
    )
    .join('\n');
}

function errorType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  return 'api_error';
}

function defaultMessage(status: number, model: string): string {
  if (status === 401) return 'invalid x-api-key';
  if (status === 404) return `model: ${model}`;
  if (status === 429) return 'Number of requests has exceeded your rate limit.';
  if (status === 529) return 'Overloaded';
  if (status >= 500) return 'Internal server error';
  return `request failed with status ${status}`;
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, { type: 'error', error: { type, message } });
}

function writeEvent(response: ServerResponse, event: string, data: unknown): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
