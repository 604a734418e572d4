/**
 * Following the journal over the server's WebSocket (`GET /api/events`): each event is delivered
 * once and in order; when the connection drops — a restart, a network blip, or the server
 * dropping a client that read too slowly — it reconnects with exponential backoff and jitter and
 * resumes after the last seq it knows of, so nothing is lost and nothing repeats. A connection
 * that closes before it opened may be a refused token (browsers see only a close): the stream asks
 * the server over HTTP and, on 401, ends with `unauthorized` instead of retrying forever.
 */

import type { JournalEvent } from '../domain/run.js';
import type { FetchLike } from './http.js';
import { ClientError, refusedToken } from './http.js';

export interface EventFilter {
  /** Start after this seq; default: the journal's current end (only what happens from now). */
  readonly after?: number | undefined;
  readonly run?: string | undefined;
  /** A project key: events of its runs and events outside runs that name it. */
  readonly project?: string | undefined;
  readonly kinds?: readonly string[] | undefined;
}

/** `connecting` the first time, `open` once the server has answered, `retrying` after a drop. */
export type StreamState = 'connecting' | 'open' | 'retrying' | 'closed';

export interface StreamStateDetail {
  /** Consecutive failed attempts so far. */
  readonly attempt: number;
  /** When retrying: how long until the next attempt. */
  readonly delayMs?: number;
  /** When retrying or closed: why the connection ended. */
  readonly reason?: string;
}

export interface EventHandlers {
  onEvent(event: JournalEvent): void;
  onState?(state: StreamState, detail: StreamStateDetail): void;
  /** A heartbeat: every event up to `seq` that matches has been delivered. */
  onHeartbeat?(seq: number): void;
  /** A refusal that ends the stream for good (bad filter, unknown project, refused token). */
  onError?(error: ClientError): void;
}

export interface EventStream {
  /** The seq the stream would resume after: the last delivered, or a later heartbeat's. */
  readonly lastSeq: number | undefined;
  close(): void;
}

/** The part of the WebSocket interface the client uses (the browser's, or `ws` in Node). */
export interface WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface BackoffSettings {
  /** First delay (default 250 ms); it doubles after each failed attempt… */
  readonly initialMs?: number;
  /** …up to this (default 10 s). */
  readonly maxMs?: number;
  /** Source of jitter, 0 ≤ x < 1 (default Math.random). */
  readonly random?: () => number;
}

export interface EventStreamSettings {
  readonly baseUrl: string;
  readonly token?: string | null | undefined;
  readonly WebSocket: WebSocketConstructor;
  /**
   * For asking the server, when a connection closes before it opened, whether it refuses the
   * token (a refused upgrade shows only as a close): on 401 the stream ends with `unauthorized`
   * instead of retrying. Without it, such closes are retried like any other.
   */
  readonly fetch?: FetchLike | undefined;
  readonly backoff?: BackoffSettings | undefined;
  /**
   * A connection silent this long (no event, no heartbeat) is taken for dead and replaced
   * (default: three of the server's heartbeats, as its heartbeats say; 45 s until one does).
   */
  readonly staleAfterMs?: number | undefined;
}

/** Server refusals that a retry cannot cure. */
const FINAL_CODES = new Set(['invalid_input', 'not_found', 'unauthorized', 'forbidden']);

type ServerMessage =
  | { type: 'event'; event: JournalEvent }
  | { type: 'heartbeat'; seq: number; everyMs?: number }
  | { type: 'error'; error: { code: string; message: string; details?: Record<string, unknown> } };

export function eventsUrl(
  baseUrl: string,
  path: string,
  filter: EventFilter,
  token: string | null | undefined,
): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (filter.after !== undefined) url.searchParams.set('after', String(filter.after));
  if (filter.run) url.searchParams.set('run', filter.run);
  if (filter.project) url.searchParams.set('project', filter.project);
  if (filter.kinds && filter.kinds.length > 0)
    url.searchParams.set('kinds', filter.kinds.join(','));
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

export function openEventStream(
  settings: EventStreamSettings,
  filter: EventFilter,
  handlers: EventHandlers,
): EventStream {
  const initialMs = settings.backoff?.initialMs ?? 250;
  const maxMs = settings.backoff?.maxMs ?? 10_000;
  const random = settings.backoff?.random ?? Math.random;
  // Unless set, three of the server's heartbeats (it says how often it sends them).
  let staleAfterMs = settings.staleAfterMs ?? 45_000;
  let lastSeq = filter.after;
  let attempt = 0;
  let closed = false;
  let socket: WebSocketLike | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let staleTimer: ReturnType<typeof setTimeout> | undefined;
  let connections = 0;

  const state = (name: StreamState, detail: StreamStateDetail) => handlers.onState?.(name, detail);

  function finish(reason: string, error?: ClientError) {
    if (closed) return;
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    if (staleTimer !== undefined) clearTimeout(staleTimer);
    const current = socket;
    socket = undefined;
    // No reason: a close reason over 123 bytes throws, and the server has no use for it.
    current?.close(1000);
    if (error) handlers.onError?.(error);
    state('closed', { attempt, reason });
  }

  function receive(message: ServerMessage) {
    if (message.type === 'event') {
      const { event } = message;
      if (lastSeq !== undefined && event.seq <= lastSeq) return;
      lastSeq = event.seq;
      handlers.onEvent(event);
    } else if (message.type === 'heartbeat') {
      if (lastSeq === undefined || message.seq > lastSeq) lastSeq = message.seq;
      const every = message.everyMs;
      if (settings.staleAfterMs === undefined && typeof every === 'number' && every > 0) {
        staleAfterMs = 3 * every;
      }
      handlers.onHeartbeat?.(message.seq);
    } else if (message.type === 'error') {
      const { code, message: text, details } = message.error;
      if (FINAL_CODES.has(code)) {
        finish(text, new ClientError(code, text, { details: details ?? {}, status: 0 }));
      }
    }
  }

  /** The connection ended (or went silent): try again after the next backoff delay. */
  function lost(ws: WebSocketLike, reason: string) {
    if (socket !== ws || closed) return;
    socket = undefined;
    if (staleTimer !== undefined) clearTimeout(staleTimer);
    const delayMs = Math.round(Math.min(maxMs, initialMs * 2 ** attempt) * (0.5 + random() / 2));
    attempt += 1;
    state('retrying', { attempt, delayMs, reason });
    timer = setTimeout(connect, delayMs);
  }

  function watchSilence(ws: WebSocketLike) {
    if (staleTimer !== undefined) clearTimeout(staleTimer);
    staleTimer = setTimeout(() => {
      lost(ws, `no message for ${staleAfterMs} ms`);
      ws.close(4000, 'silent for too long');
    }, staleAfterMs);
  }

  function connect() {
    if (closed) return;
    if (connections++ === 0) state('connecting', { attempt });
    const url = eventsUrl(
      settings.baseUrl,
      '/api/events',
      { ...filter, after: lastSeq },
      settings.token,
    );
    const ws = new settings.WebSocket(url);
    socket = ws;
    watchSilence(ws);
    let answered = false;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (event) => {
      if (socket !== ws || closed) return;
      watchSilence(ws);
      let message: ServerMessage;
      try {
        message = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return;
      }
      if (!answered) {
        // The server's first message (a heartbeat) proves the connection works: reset backoff.
        answered = true;
        attempt = 0;
        state('open', { attempt });
      }
      receive(message);
      // Again, after a heartbeat may have said how long silence may last.
      if (socket === ws && !closed) watchSilence(ws);
    };
    ws.onerror = () => undefined;
    ws.onclose = (event) => {
      const reason = event.reason || `connection closed (${event.code})`;
      if (opened || answered || !settings.fetch) {
        lost(ws, reason);
        return;
      }
      // Closed before it opened: a refused token, or a server that is down or restarting.
      const http = { baseUrl: settings.baseUrl, token: settings.token, fetch: settings.fetch };
      void refusedToken(http, '/api/events').then((refusal) => {
        if (socket !== ws || closed) return;
        if (refusal) finish(refusal.message, refusal);
        else lost(ws, reason);
      });
    };
  }

  connect();
  return {
    get lastSeq() {
      return lastSeq;
    },
    close: () => finish('closed by the client'),
  };
}
