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

export interface ServerApp {
  readonly app: Hono;
  close(): Promise<void>;
}

export function createServerApp(
  runtime: Runtime,
  options: { readonly guard: GuardOptions; readonly mcp: McpServerOptions },
): ServerApp {
  // A tool list that names an unknown operation is refused now, not at the first session.
  if (options.mcp.tools) checkToolNames(options.mcp.tools);
  const app = new Hono();
  const mcp = createMcpEndpoint(runtime, options.mcp);
  app.get('/healthz', (c) => c.json({ ok: true, version: VERSION }));
  app.use('*', guard(options.guard));
  app.all('/mcp', (c) => mcp.handle(c.req.raw));
  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found', message: `${c.req.method} ${c.req.path}: no such route` } },
      404,
    ),
  );
  app.onError((error, c) => c.json({ error: { code: 'internal', message: error.message } }, 500));
  return { app, close: () => mcp.close() };
}
