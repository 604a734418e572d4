/**
 * The HTTP app of `bosun serve` listening in this process on 127.0.0.1 (a free port) over a real
 * workspace, and followers of its event stream through the typed client over real WebSockets
 * (the `ws` package). In-process so that tests and benchmarks can shorten the heartbeat and the
 * slow-consumer limit, write to the journal directly, and stamp commit times on the same clock.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { WebSocket } from 'ws';
import type { Runtime } from '../../src/app/runtime.js';
import { openRuntime } from '../../src/app/runtime.js';
import type {
  ClientError,
  EventFilter,
  EventStream,
  JournalEvent,
  StreamState,
  StreamStateDetail,
  WebSocketConstructor,
} from '../../src/client/index.js';
import { createClient } from '../../src/client/index.js';
import type { EventRoutesOptions } from '../../src/server/events.js';
import { createServerApp } from '../../src/server/app.js';

export const TEST_TOKEN = 'events-test-token-0123456789abcdef';

export interface EventServer {
  readonly url: string;
  readonly port: number;
  readonly runtime: Runtime;
  /** The stream's followers now, and how many it dropped as slow consumers. */
  stats(): { readonly subscribers: number; readonly dropped: number };
  stop(): Promise<void>;
}

export async function startEventServer(
  cwd: string,
  events: EventRoutesOptions = {},
): Promise<EventServer> {
  const runtime = await openRuntime({ cwd, env: {} });
  const app = createServerApp(runtime, {
    guard: { token: TEST_TOKEN, allowedOrigins: new Set(), allowedHosts: null },
    mcp: { profile: 'core' },
    dashboard: false,
    events,
  });
  const http = await new Promise<Server>((resolve) => {
    const listening = serve({ fetch: app.app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve(listening as Server),
    );
  });
  app.events.injectWebSocket(http);
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    runtime,
    stats: () => app.events.stats(),
    async stop() {
      await app.close();
      http.closeAllConnections();
      await new Promise<void>((closed) => http.close(() => closed()));
      await runtime.close();
    },
  };
}

export interface Follower {
  readonly events: JournalEvent[];
  readonly states: { state: StreamState; detail: StreamStateDetail }[];
  readonly heartbeats: number[];
  /** Refusals that ended the stream. */
  readonly errors: ClientError[];
  /** Every WebSocket the client opened, in order (the last is the current one). */
  readonly sockets: WebSocket[];
  readonly stream: EventStream;
  /** Resolves once `done()` holds (checked after every event, heartbeat and state change). */
  until(done: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
}

export interface FollowOptions {
  readonly token?: string;
  /** Called with each WebSocket the client creates, before it connects. */
  readonly onSocket?: (socket: WebSocket) => void;
  readonly onEvent?: (event: JournalEvent) => void;
}

export function follow(url: string, filter: EventFilter, options: FollowOptions = {}): Follower {
  const sockets: WebSocket[] = [];
  const waiters = new Set<() => void>();
  const changed = () => waiters.forEach((check) => check());
  class TrackedWebSocket extends WebSocket {
    constructor(target: string) {
      super(target);
      sockets.push(this);
      options.onSocket?.(this);
    }
  }
  const client = createClient({
    baseUrl: url,
    token: options.token ?? TEST_TOKEN,
    WebSocket: TrackedWebSocket as unknown as WebSocketConstructor,
    backoff: { initialMs: 20, maxMs: 500 },
  });
  const follower: Omit<Follower, 'stream'> = {
    events: [],
    states: [],
    heartbeats: [],
    errors: [],
    sockets,
    until(done, timeoutMs = 20_000, what = 'the condition') {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
  const stream = client.events(filter, {
    onEvent(event) {
      follower.events.push(event);
      options.onEvent?.(event);
      changed();
    },
    onHeartbeat(seq) {
      follower.heartbeats.push(seq);
      changed();
    },
    onError(error) {
      follower.errors.push(error);
      changed();
    },
    onState(state, detail) {
      follower.states.push({ state, detail });
      changed();
    },
  });
  return { ...follower, stream };
}
