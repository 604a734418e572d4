/**
 * The HTTP application of `bosun serve`: `/healthz` (open, says only that it is up), and behind
 * the guard (origin, host, bearer token) the MCP endpoint at `/mcp`. The HTTP API and the web
 * dashboard join it here.
 */

import { Hono } from 'hono';
import type { Runtime } from '../app/runtime.js';
import type { McpServerOptions } from '../app/mcp/server.js';
import { checkToolNames } from '../app/mcp/tools.js';
import { VERSION } from '../shared/version.js';
import type { GuardOptions } from './guard.js';
import { guard } from './guard.js';
import { createMcpEndpoint } from './mcp-endpoint.js';
import type { EventRoutes, EventRoutesOptions } from './events.js';
import { mountEventRoutes } from './events.js';
import { createApi } from './api.js';
import { cors } from './cors.js';
import { errorBody, errorResponse } from './http-errors.js';
import { createMetrics } from './metrics.js';
import { dashboard } from './dashboard.js';
import type { LoginCodes } from './login.js';
import { mountLogin } from './login.js';

export interface ServerApp {
  readonly app: Hono;
  /** The journal stream; `events.injectWebSocket(server)` once listening. */
  readonly events: EventRoutes;
  close(): Promise<void>;
}

export function createServerApp(
  runtime: Runtime,
  options: {
    readonly guard: GuardOptions;
    readonly mcp: McpServerOptions;
    /** The built dashboard's folder (default: dist/web); false serves none. */
    readonly dashboard?: string | false;
    /** One-time login codes (`bosun serve --open`), exchanged at POST /api/login. */
    readonly login?: LoginCodes;
    /** Origins given with --allow-origin: they get CORS headers (none by default). */
    readonly corsOrigins?: ReadonlySet<string>;
    /** Heartbeat period and slow-consumer limit of the event stream (tests shorten them). */
    readonly events?: EventRoutesOptions;
  },
): ServerApp {
  // A tool list that names an unknown operation is refused now, not at the first session.
  if (options.mcp.tools) checkToolNames(options.mcp.tools);
  const app = new Hono();
  const mcp = createMcpEndpoint(runtime, options.mcp);
  app.get('/healthz', (c) => c.json({ ok: true, version: VERSION }));
  // The dashboard's files are open (they hold no data); a login code stands in for the token.
  if (options.dashboard !== false) app.use('*', dashboard(options.dashboard));
  if (options.login) {
    const check = guard({ ...options.guard, token: null });
    mountLogin(app, { codes: options.login, token: options.guard.token, check });
  }
  app.use('*', cors(options.corsOrigins ?? new Set()));
  app.use('*', guard(options.guard));
  app.all('/mcp', (c) => mcp.handle(c.req.raw));
  const events = mountEventRoutes(app, runtime.store, options.events);
  app.route('/api', createApi(runtime, { as: options.mcp.as }));
  const metrics = createMetrics(runtime);
  app.get('/metrics', async (c) =>
    c.body(await metrics.scrape(), 200, { 'content-type': metrics.contentType }),
  );
  app.notFound((c) =>
    c.json(
      errorBody('not_found', `${c.req.method} ${c.req.path}: no such route`, {
        field: 'path',
      }),
      404,
    ),
  );
  app.onError((error, c) => errorResponse(c, error));
  return {
    app,
    events,
    close: async () => {
      await events.close();
      await mcp.close();
    },
  };
}
