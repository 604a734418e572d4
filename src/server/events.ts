/**
 * The journal as a live stream: WebSocket at `GET /api/events`, Server-Sent Events at
 * `GET /api/events/sse` for clients without WebSocket. Both take `after=<seq>` (SSE: or the
 * `Last-Event-ID` header, which wins), `run=<id>`, `project=<KEY>` and `kinds=a,b`, and both are
 * fed by one event hub per server (event-hub.ts). WebSocket messages are JSON text —
 * `{"type":"event","event":…}`, `{"type":"heartbeat","seq":…,"everyMs":…}` (how often they come), `{"type":"error","error":…}`
 * before a close — and SSE sends `id:`/`event:`/`data:` records with heartbeats as comments.
 *
 * Close codes of the WebSocket: 4008 the client read too slowly (the reason names the seq to
 * resume after), 4400 a bad query, 4404 an unknown run or project, 1001 the server is stopping,
 * 1011 the server failed. Browsers cannot set headers on either, so the guard also accepts
 * `?token=` on these two routes.
 */

import type { Server } from 'node:http';
import { createNodeWebSocket } from '@hono/node-ws';
import type { Context, Hono } from 'hono';
import type { WSContext } from 'hono/ws';
import { z } from 'zod';
import { resolveProject } from '../core/services/resolve.js';
import { parseInput } from '../operations/catalog.js';
import type { Store } from '../ports/store.js';
import { BosunError, toBosunError } from '../shared/errors.js';
import type { EventSink, Subscription, SubscriptionFilter } from './event-hub.js';
import { createEventHub, DEFAULT_HEARTBEAT_MS } from './event-hub.js';
import { errorBody, errorResponse } from './http-errors.js';

export interface EventRoutesOptions {
  /** Heartbeat period (default 15 s). */
  readonly heartbeatMs?: number | undefined;
  /** Unsent bytes past which a subscriber is paused, then dropped if still behind (default 1 MiB). */
  readonly maxBufferedBytes?: number | undefined;
  /** How long a paused subscriber gets to drain before it is dropped (default 2 s). */
  readonly drainMs?: number | undefined;
  /** Safety-net read period when no commit is reported (default 1 s). */
  readonly pollMs?: number | undefined;
}

export interface EventRoutes {
  /** Hands WebSocket upgrades of the listening server to the app (after `serve()`). */
  injectWebSocket(server: Server): void;
  /** Followers now, and how many were dropped as slow consumers (for tests and metrics). */
  stats(): { readonly subscribers: number; readonly dropped: number };
  close(): Promise<void>;
}

/** The two paths on which the guard also reads the token from `?token=`. */
export const EVENT_PATHS: ReadonlySet<string> = new Set(['/api/events', '/api/events/sse']);

const seq = z
  .string()
  .regex(/^\d{1,15}$/, 'must be an event seq: a whole number, 0 or more')
  .transform(Number);

const EventQuery = z.strictObject({
  after: seq.optional(),
  run: z.string().trim().min(1, 'must name a run by id').optional(),
  project: z.string().trim().min(1, 'must name a project by key (HOME) or id').optional(),
  kinds: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((kind) => kind.trim())
        .filter((kind) => kind.length > 0),
    )
    .optional(),
  token: z.string().optional(),
});

const CLOSE_CODES: Partial<Record<string, number>> = {
  invalid_input: 4400,
  not_found: 4404,
};

async function readFilter(
  store: Store,
  query: Record<string, string>,
  lastEventId: string | undefined,
): Promise<SubscriptionFilter> {
  const input = parseInput(EventQuery, query);
  const after = lastEventId === undefined ? input.after : parseInput(seq, lastEventId.trim());
  return store.transaction('read', async (repos) => {
    let runId: string | undefined;
    if (input.run !== undefined) {
      const exact = await repos.runs.findById(input.run);
      const found = exact ? [exact] : await repos.runs.findByIdPrefix(input.run, 2);
      if (found.length !== 1) {
        throw new BosunError(
          found.length === 0 ? 'not_found' : 'invalid_input',
          found.length === 0
            ? `run: no run '${input.run}'; see 'bosun run list'`
            : `run: '${input.run}' names more than one run; give more of the id`,
          { details: { field: 'run', kind: 'run', key: input.run } },
        );
      }
      runId = found[0]!.id;
    }
    const project =
      input.project === undefined ? undefined : await resolveProject(repos, input.project);
    return {
      after,
      runId,
      project: project && { id: project.id, key: project.key },
      kinds: input.kinds,
    };
  });
}

function webSocketSink(ws: WSContext, everyMs: number): EventSink {
  const send = (message: unknown) => {
    if (ws.readyState === 1) ws.send(JSON.stringify(message));
  };
  return {
    send: (_event, json) => {
      if (ws.readyState === 1) ws.send(`{"type":"event","event":${json}}`);
    },
    heartbeat: (at) => send({ type: 'heartbeat', seq: at, everyMs }),
    buffered: () => (ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0,
    drop: (reason) => ws.close(4008, reason),
    fail(error) {
      send({ type: 'error', error: error.toJSON() });
      ws.close(
        CLOSE_CODES[error.code] ?? (error.code === 'unavailable' ? 1001 : 1011),
        error.message.slice(0, 120),
      );
    },
  };
}

export function mountEventRoutes(
  app: Hono,
  store: Store,
  options: EventRoutesOptions = {},
): EventRoutes {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const hub = createEventHub({
    store,
    heartbeatMs,
    maxBufferedBytes: options.maxBufferedBytes,
    drainMs: options.drainMs,
    pollMs: options.pollMs,
  });
  const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app });
  const sockets = new Set<WSContext>();

  const upgrade = upgradeWebSocket(
    async (c) => {
      let filter: SubscriptionFilter | undefined;
      let refusal: BosunError | undefined;
      try {
        filter = await readFilter(store, c.req.query(), undefined);
      } catch (error) {
        refusal = toBosunError(error);
      }
      let subscription: Subscription | undefined;
      return {
        onOpen(_event, ws) {
          sockets.add(ws);
          const sink = webSocketSink(ws, heartbeatMs);
          if (refusal || !filter) sink.fail(refusal ?? new BosunError('internal', 'no filter'));
          else subscription = hub.subscribe(filter, sink);
        },
        onClose(_event, ws) {
          sockets.delete(ws);
          subscription?.close();
        },
      };
    },
    // A socket error is followed by its close, which unsubscribes; nothing to report.
    { onError: () => undefined },
  );

  app.get('/api/events', async (c, next) => {
    // With the Upgrade header checked, the helper always answers (it calls next() only without).
    if (c.req.header('upgrade')?.toLowerCase() === 'websocket') {
      return (await upgrade(c, next)) as Response;
    }
    return c.json(
      errorBody(
        'invalid_input',
        'upgrade: GET /api/events is a WebSocket (send "Upgrade: websocket"); for Server-Sent Events use GET /api/events/sse',
        { field: 'upgrade' },
      ),
      426,
    );
  });

  app.get('/api/events/sse', async (c: Context) => {
    let filter: SubscriptionFilter;
    try {
      filter = await readFilter(store, c.req.query(), c.req.header('last-event-id'));
    } catch (error) {
      return errorResponse(c, error);
    }
    const encoder = new TextEncoder();
    // The Node response under @hono/node-server (absent under app.request()).
    const outgoing = (
      c.env as
        | {
            outgoing?: {
              readonly writableLength: number;
              readonly socket: { readonly writableLength: number } | null;
              destroy(): void;
            };
          }
        | undefined
    )?.outgoing;
    let subscription: Subscription | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          const write = (text: string) => {
            try {
              controller.enqueue(encoder.encode(text));
            } catch {
              // The stream has ended (the client left); the hub hears it through cancel().
            }
          };
          write('retry: 1000\n\n');
          subscription = hub.subscribe(filter, {
            send: (event, json) =>
              write(`id: ${event.seq}\nevent: ${event.kind}\ndata: ${json}\n\n`),
            heartbeat: (at) => write(`: heartbeat ${at}\n\n`),
            // Queued here, plus what the response and its socket hold that the network has not taken.
            buffered: () =>
              Math.max(0, -(controller.desiredSize ?? 0)) +
              (outgoing?.writableLength ?? 0) +
              (outgoing?.socket?.writableLength ?? 0),
            // Cut the connection (what is queued here is dropped): the client reconnects with
            // Last-Event-ID, the last id it received. Outside Node (app.request), error the body.
            drop(reason) {
              if (outgoing) outgoing.destroy();
              else controller.error(new Error(reason));
            },
            fail(error) {
              write(`event: error\ndata: ${JSON.stringify({ error: error.toJSON() })}\n\n`);
              try {
                controller.close();
              } catch {
                // Already ended.
              }
            },
          });
        },
        cancel() {
          subscription?.close();
        },
      },
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    );
    return new Response(body, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      },
    });
  });

  return {
    injectWebSocket: (server) => injectWebSocket(server),
    stats: () => hub.stats(),
    async close() {
      await hub.close();
      for (const ws of sockets) ws.close(1001, 'the server is stopping');
    },
  };
}
