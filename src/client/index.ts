/**
 * The typed client of `bosun serve`, for the dashboard and for scripts: `call` runs any operation
 * of the catalog over HTTP (typed by its name), `events` follows the journal over WebSocket and
 * survives disconnects. No Node imports: it runs in the browser as is; in Node, pass `fetch`
 * (global since Node 18) and a WebSocket constructor (the `ws` package).
 *
 *   const client = createClient({ baseUrl: 'http://127.0.0.1:7433', token });
 *   const task = await client.call('task.create', { project: 'HOME', title: 'Back up the NAS' });
 *   const stream = client.events({ run: runId }, { onEvent: (event) => show(event) });
 */

import type { BackoffSettings, EventFilter, EventHandlers, EventStream } from './events.js';
import type { WebSocketConstructor } from './events.js';
import { openEventStream } from './events.js';
import type { FetchLike, HttpSettings } from './http.js';
import { ClientError, postOperation, requestJson } from './http.js';
import type { OperationInput, OperationName, OperationOutput } from './operation-types.js';

export interface ClientSettings {
  /** Where `bosun serve` listens: `http://127.0.0.1:7433` (in the dashboard: its own origin). */
  readonly baseUrl: string;
  /** The bearer token (.bosun/token); null or absent for a server started with --no-auth. */
  readonly token?: string | null | undefined;
  /** Who the writes are made as (`X-Bosun-Actor`); default: the server's --as, else `web`. */
  readonly actor?: string | undefined;
  readonly fetch?: FetchLike | undefined;
  readonly WebSocket?: WebSocketConstructor | undefined;
  /** Reconnection delays of `events` (default 250 ms doubling up to 10 s, with jitter). */
  readonly backoff?: BackoffSettings | undefined;
  /** A stream silent this long is taken for dead and reconnected (default 45 s). */
  readonly staleAfterMs?: number | undefined;
}

export interface Client {
  /** Runs an operation; throws a ClientError (code, message, details, status) on refusal. */
  call<N extends OperationName>(
    operation: N,
    // The input may be left out when every field is optional (`system.health`).
    ...input: Record<never, never> extends OperationInput<N>
      ? [input?: OperationInput<N>]
      : [input: OperationInput<N>]
  ): Promise<OperationOutput<N>>;
  /** Follows the journal from `filter.after` (default: now), resuming after each disconnect. */
  events(filter: EventFilter, handlers: EventHandlers): EventStream;
  /** The server's OpenAPI 3.1 document (`GET /api/openapi.json`): every operation's schemas. */
  openapi(): Promise<OpenApiDocument>;
}

/** The part of the OpenAPI document a client reads: the schemas, by `<operation>.input|output`. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly components: { readonly schemas: Readonly<Record<string, Record<string, unknown>>> };
  readonly paths: Readonly<Record<string, unknown>>;
}

export function createClient(settings: ClientSettings): Client {
  const fetchImpl: FetchLike | undefined =
    settings.fetch ?? (typeof fetch === 'function' ? (url, init) => fetch(url, init) : undefined);
  const http = (): HttpSettings => {
    if (!fetchImpl)
      throw new ClientError('invalid_input', 'fetch: none available; pass one', { status: 0 });
    return {
      baseUrl: settings.baseUrl,
      token: settings.token,
      actor: settings.actor,
      fetch: fetchImpl,
    };
  };
  return {
    call(operation: string, input?: unknown): Promise<never> {
      // One untyped implementation behind the typed signature.
      return postOperation(http(), operation, input) as Promise<never>;
    },
    openapi() {
      return requestJson(http(), 'GET', '/api/openapi.json') as Promise<OpenApiDocument>;
    },
    events(filter, handlers) {
      const WebSocketImpl =
        settings.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (!WebSocketImpl) {
        throw new ClientError(
          'invalid_input',
          'WebSocket: none available in this runtime; pass one (in Node: the `ws` package)',
          { status: 0 },
        );
      }
      return openEventStream(
        {
          baseUrl: settings.baseUrl,
          token: settings.token,
          WebSocket: WebSocketImpl,
          fetch: fetchImpl,
          backoff: settings.backoff,
          staleAfterMs: settings.staleAfterMs,
        },
        filter,
        handlers,
      );
    },
  };
}

export { ClientError } from './http.js';
export type { FetchLike } from './http.js';
export type {
  BackoffSettings,
  EventFilter,
  EventHandlers,
  EventStream,
  StreamState,
  StreamStateDetail,
  WebSocketConstructor,
  WebSocketLike,
} from './events.js';
export type { OperationInput, OperationName, OperationOutput } from './operation-types.js';
export type { JournalEvent } from '../domain/run.js';
