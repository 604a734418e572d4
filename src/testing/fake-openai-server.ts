/**
 * A scripted stand-in for an OpenAI-compatible server: a real HTTP server on 127.0.0.1 (random
 * port) that answers `POST /v1/chat/completions` in the Chat Completions wire format, so the llm
 * runner's tests and benchmark run the real AI SDK providers over real sockets. A test queues the
 * replies (text, tool calls, token counts, or a failure: an HTTP error, a stream that turns to
 * garbage, a request that is never answered) and afterwards reads the requests it received.
 *
 * The format follows OpenAI's API reference: "Create chat completion" and "The chat completion
 * chunk object" (https://platform.openai.com/docs/api-reference/chat/create and
 * /chat-streaming): server-sent `data: {chunk}` events whose `choices[0].delta` carries `role`,
 * `content` and `tool_calls` (the call's id, type and function name first, then the `arguments`
 * string in pieces, each addressed by `index`); a last chunk with `finish_reason`; with
 * `stream_options.include_usage`, one more chunk with empty `choices` and the `usage` (and
 * `usage: null` on every chunk before it); then `data: [DONE]`. Errors are
 * `{ error: { message, type, param, code } }` with the HTTP status; a 429 carries `retry-after`.
 *
 * It also answers `POST /v1/embeddings` ("Create embeddings",
 * https://platform.openai.com/docs/api-reference/embeddings/create) without a queued reply:
 * `{ object: 'list', data: [{ object: 'embedding', index, embedding }], model, usage:
 * { prompt_tokens, total_tokens } }`, each vector a hashed bag of the input's words (texts
 * sharing words are close; domain/memory.ts hashedEmbedding), `dimensions` long when the request
 * asks, else `embeddingDimensions`. `failEmbeddings(n)` makes the next n such requests fail.
 */

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { hashedEmbedding } from '../domain/memory.js';
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

/** Token counts as the server reports them (`prompt_tokens` includes the cached ones). */
export interface FakeOpenAIUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** `usage.prompt_tokens_details.cached_tokens`. */
  readonly cachedTokens?: number;
}

export interface FakeOpenAIToolCall {
  /** Default `call_<n>`, numbered across the server's life. */
  readonly id?: string;
  readonly name: string;
  /** An object is sent as its JSON text; a string as is (which lets a test send bad JSON). */
  readonly arguments: unknown;
}

export type FakeOpenAIReply =
  | {
      readonly type: 'text';
      /** One string is streamed a word at a time; a list is streamed as exactly these deltas. */
      readonly text: string | readonly string[];
      readonly usage?: FakeOpenAIUsage;
      readonly finishReason?: 'stop' | 'length' | 'content_filter';
    }
  | {
      readonly type: 'tool-calls';
      readonly calls: readonly FakeOpenAIToolCall[];
      /** Text the assistant says before its calls. */
      readonly text?: string;
      readonly usage?: FakeOpenAIUsage;
    }
  | {
      readonly type: 'http-error';
      readonly status: number;
      /** Sent as the `retry-after` header (seconds, or an HTTP date). */
      readonly retryAfter?: string;
      readonly message?: string;
    }
  /** A stream that starts well (a role chunk, one text delta) and then sends a broken event. */
  | { readonly type: 'malformed'; readonly text?: string }
  /** Reads the request and never answers, until the client gives up or the server closes. */
  | { readonly type: 'stall' };

/** One message of a request, as far as tests look into it. */
export interface FakeOpenAIMessage {
  readonly role: string;
  readonly content?: unknown;
  readonly tool_calls?: readonly {
    readonly id: string;
    readonly function: { readonly name: string; readonly arguments: string };
  }[];
  readonly tool_call_id?: string;
}

export interface FakeOpenAIRequest {
  readonly method: string;
  /** The path as requested, e.g. `/v1/chat/completions`. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The `authorization` header (`Bearer <key>`), if any. */
  readonly authorization: string | undefined;
  /** The parsed JSON body; `{}` when there was none or it was not JSON. */
  readonly body: { readonly [key: string]: unknown };
  readonly model: string | undefined;
  readonly messages: readonly FakeOpenAIMessage[];
  /** The tools' function names, in the order sent. */
  readonly toolNames: readonly string[];
  readonly stream: boolean;
  /** `/v1/embeddings`: the texts to embed (`input`, a string or a list); empty otherwise. */
  readonly input: readonly string[];
}

export interface FakeOpenAIServerOptions {
  /**
   * When set, a request whose `Authorization` is not `Bearer <apiKey>` is refused with 401
   * before the queue is consulted, as OpenAI does.
   */
  readonly apiKey?: string;
  /** The length of embeddings when a request names no `dimensions` (default 384). */
  readonly embeddingDimensions?: number;
}

export type FakeOpenAIServer = ScriptedServer<FakeOpenAIReply, FakeOpenAIRequest> & {
  /** The next `count` embedding requests are answered with this HTTP error (default 500). */
  failEmbeddings(count: number, status?: number): void;
};

/** OpenAI's rule for function names; a dot (`task.note`) is refused. */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const DEFAULT_USAGE: FakeOpenAIUsage = { promptTokens: 10, completionTokens: 5 };

export async function startFakeOpenAIServer(
  options: FakeOpenAIServerOptions = {},
): Promise<FakeOpenAIServer> {
  let completions = 0;
  let toolCalls = 0;
  let embeddingFailures: { count: number; status: number } = { count: 0, status: 500 };

  const server = await startScriptedServer<FakeOpenAIReply, FakeOpenAIRequest>(
    async (incoming, response, script) => {
      const text = await readBody(incoming);
      const parsed = tryParseJson(text);
      const body = isObject(parsed) ? parsed : {};
      const authorization = incoming.headers.authorization;
      const request: FakeOpenAIRequest = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: incoming.headers,
        authorization,
        body,
        model: typeof body['model'] === 'string' ? body['model'] : undefined,
        messages: Array.isArray(body['messages']) ? (body['messages'] as FakeOpenAIMessage[]) : [],
        toolNames: toolNamesOf(body['tools']),
        stream: body['stream'] === true,
        input: inputOf(body['input']),
      };
      script.record(request);

      if (request.method === 'POST' && request.path === '/v1/embeddings') {
        if (options.apiKey !== undefined && authorization !== `Bearer ${options.apiKey}`) {
          sendError(response, 401, 'Incorrect API key provided.', {
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          });
          return;
        }
        if (embeddingFailures.count > 0) {
          embeddingFailures.count -= 1;
          const status = embeddingFailures.status;
          sendError(
            response,
            status,
            defaultMessage(status, request.model ?? 'unknown'),
            errorKind(status),
          );
          return;
        }
        const problem = invalidEmbeddingRequest(parsed, request);
        if (problem !== undefined) {
          sendError(response, 400, problem, { type: 'invalid_request_error', code: null });
          return;
        }
        const asked = body['dimensions'];
        const dimensions =
          typeof asked === 'number' && Number.isInteger(asked) && asked > 0
            ? asked
            : (options.embeddingDimensions ?? 384);
        const tokens = request.input.reduce(
          (sum, text) => sum + Math.max(1, text.split(/\s+/).filter(Boolean).length),
          0,
        );
        sendJson(response, 200, {
          object: 'list',
          data: request.input.map((text, index) => ({
            object: 'embedding',
            index,
            embedding: hashedEmbedding(text, dimensions),
          })),
          model: request.model,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        });
        return;
      }

      if (request.method !== 'POST' || request.path !== '/v1/chat/completions') {
        sendError(response, 404, `Unknown request URL: ${request.method} ${request.path}.`, {
          type: 'invalid_request_error',
          code: 'unknown_url',
        });
        return;
      }
      if (options.apiKey !== undefined && authorization !== `Bearer ${options.apiKey}`) {
        sendError(response, 401, 'Incorrect API key provided.', {
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        });
        return;
      }
      const problem = invalidRequest(parsed, request);
      if (problem !== undefined) {
        sendError(response, 400, problem, { type: 'invalid_request_error', code: null });
        return;
      }
      const reply = script.next();
      if (reply === undefined) {
        sendError(response, 500, 'fake OpenAI server: no reply queued for this request', {
          type: 'server_error',
          code: null,
        });
        return;
      }
      completions += 1;
      const id = `chatcmpl-fake-${completions}`;
      const model = request.model ?? 'unknown';
      switch (reply.type) {
        case 'http-error':
          sendError(response, reply.status, reply.message ?? defaultMessage(reply.status, model), {
            ...errorKind(reply.status),
            ...(reply.retryAfter === undefined ? {} : { retryAfter: reply.retryAfter }),
          });
          return;
        case 'stall':
          // Never answer: the client's abort (or close()) ends the exchange.
          return;
        case 'malformed':
          writeSseHead(response);
          writeEvent(response, chunk(id, model, { role: 'assistant', content: '' }, null));
          writeEvent(response, chunk(id, model, { content: reply.text ?? 'partial' }, null));
          response.end('data: {"id": "chatcmpl-broken", "choices": [{"delta": {"content": tru\n\n');
          return;
        case 'text':
        case 'tool-calls': {
          const calls =
            reply.type === 'tool-calls'
              ? reply.calls.map((call) => ({
                  id: call.id ?? `call_${(toolCalls += 1)}`,
                  name: call.name,
                  arguments:
                    typeof call.arguments === 'string'
                      ? call.arguments
                      : JSON.stringify(call.arguments),
                }))
              : [];
          const answer: Answer = {
            id,
            model,
            deltas: reply.type === 'text' ? deltasOf(reply.text) : deltasOf(reply.text ?? []),
            calls,
            finishReason: reply.type === 'text' ? (reply.finishReason ?? 'stop') : 'tool_calls',
            usage: reply.usage ?? DEFAULT_USAGE,
          };
          if (request.stream) {
            const options = request.body['stream_options'];
            streamAnswer(response, answer, isObject(options) && options['include_usage'] === true);
          } else {
            sendAnswer(response, answer);
          }
          return;
        }
      }
    },
  );
  return Object.assign(server, {
    failEmbeddings(count: number, status = 500) {
      embeddingFailures = { count, status };
    },
  });
}

function inputOf(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input)) return input.filter((each): each is string => typeof each === 'string');
  return [];
}

/** What OpenAI refuses with 400 on the embeddings endpoint, as far as this fake checks. */
function invalidEmbeddingRequest(parsed: unknown, request: FakeOpenAIRequest): string | undefined {
  if (!isObject(parsed)) return 'We could not parse the JSON body of your request.';
  if (request.model === undefined) return 'you must provide a model parameter';
  const input = parsed['input'];
  if (
    request.input.length === 0 ||
    (Array.isArray(input) && request.input.length !== input.length) ||
    request.input.some((text) => text === '')
  ) {
    return "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
  }
  const format = parsed['encoding_format'];
  if (format !== undefined && format !== 'float') {
    return "This fake server sends only encoding_format 'float'.";
  }
  return undefined;
}

interface Answer {
  readonly id: string;
  readonly model: string;
  readonly deltas: readonly string[];
  readonly calls: readonly { id: string; name: string; arguments: string }[];
  readonly finishReason: string;
  readonly usage: FakeOpenAIUsage;
}

function streamAnswer(response: ServerResponse, answer: Answer, includeUsage: boolean): void {
  const { id, model } = answer;
  // With include_usage every chunk before the last one carries `usage: null`.
  const extra = includeUsage ? { usage: null } : {};
  writeSseHead(response);
  writeEvent(response, { ...chunk(id, model, { role: 'assistant', content: '' }, null), ...extra });
  for (const delta of answer.deltas) {
    writeEvent(response, { ...chunk(id, model, { content: delta }, null), ...extra });
  }
  answer.calls.forEach((call, index) => {
    const opening = { index, id: call.id, type: 'function', function: { name: call.name } };
    writeEvent(response, {
      ...chunk(
        id,
        model,
        { tool_calls: [{ ...opening, function: { ...opening.function, arguments: '' } }] },
        null,
      ),
      ...extra,
    });
    for (const piece of splitInThree(call.arguments)) {
      writeEvent(response, {
        ...chunk(id, model, { tool_calls: [{ index, function: { arguments: piece } }] }, null),
        ...extra,
      });
    }
  });
  writeEvent(response, { ...chunk(id, model, {}, answer.finishReason), ...extra });
  if (includeUsage) {
    writeEvent(response, { ...chunkBase(id, model), choices: [], usage: wireUsage(answer.usage) });
  }
  response.end('data: [DONE]\n\n');
}

function sendAnswer(response: ServerResponse, answer: Answer): void {
  const content = answer.deltas.join('');
  sendJson(response, 200, {
    ...chunkBase(answer.id, answer.model),
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: content === '' && answer.calls.length > 0 ? null : content,
          refusal: null,
          ...(answer.calls.length > 0
            ? {
                tool_calls: answer.calls.map((call) => ({
                  id: call.id,
                  type: 'function',
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: wireUsage(answer.usage),
  });
}

function chunkBase(id: string, model: string): { [key: string]: unknown } {
  return {
    id,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    system_fingerprint: null,
  };
}

function chunk(
  id: string,
  model: string,
  delta: { [key: string]: unknown },
  finishReason: string | null,
): { [key: string]: unknown } {
  return {
    ...chunkBase(id, model),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

function wireUsage(usage: FakeOpenAIUsage): { [key: string]: unknown } {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** What OpenAI refuses with 400 before generating anything, as far as this fake checks. */
function invalidRequest(parsed: unknown, request: FakeOpenAIRequest): string | undefined {
  if (!isObject(parsed)) return 'We could not parse the JSON body of your request.';
  if (request.model === undefined) return 'you must provide a model parameter';
  if (request.messages.length === 0) return "Invalid 'messages': empty array.";
  const bad = request.toolNames.findIndex((name) => !FUNCTION_NAME.test(name));
  if (bad >= 0) {
    return `Invalid 'tools[${bad}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`;
  }
  return undefined;
}

function toolNamesOf(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((tool: unknown) => {
    const fn = isObject(tool) ? tool['function'] : undefined;
    return isObject(fn) && typeof fn['name'] === 'string' ? fn['name'] : '';
  });
}

function errorKind(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 403)
    return { type: 'invalid_request_error', code: 'unsupported_country_region_territory' };
  if (status === 404) return { type: 'invalid_request_error', code: 'model_not_found' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

function defaultMessage(status: number, model: string): string {
  if (status === 401) return 'Incorrect API key provided.';
  if (status === 404) {
    return `The model \`${model}\` does not exist or you do not have access to it.`;
  }
  if (status === 429) return 'Rate limit reached for requests. Please try again later.';
  if (status >= 500) return 'The server had an error while processing your request.';
  return `request failed with status ${status}`;
}

function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  kind: { type: string; code: string | null; retryAfter?: string },
): void {
  if (kind.retryAfter !== undefined) response.setHeader('retry-after', kind.retryAfter);
  sendJson(response, status, {
    error: { message, type: kind.type, param: null, code: kind.code },
  });
}

function writeEvent(response: ServerResponse, data: unknown): void {
  response.write(`data: ${JSON.stringify(data)}\n\n`);
}
