/**
 * MCP over Streamable HTTP at /mcp: one MCP server and transport per session. A POST without a
 * session id must be `initialize` and opens a session (its id comes back in `Mcp-Session-Id`);
 * every later request names it; DELETE ends it. Sessions are kept in memory: a restarted server
 * asks clients to initialize again (404 on an unknown session, as the specification says).
 */

import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Runtime } from '../app/runtime.js';
import type { McpServerOptions } from '../app/mcp/server.js';
import { createMcpServer } from '../app/mcp/server.js';

/** Open sessions at most; a client past it gets 503 until one ends. */
export const MAX_SESSIONS = 256;

interface Session {
  readonly transport: WebStandardStreamableHTTPServerTransport;
  close(): Promise<void>;
}

const rpcError = (status: number, message: string) =>
  Response.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, { status });

export interface McpEndpoint {
  handle(request: Request): Promise<Response>;
  readonly sessions: number;
  close(): Promise<void>;
}

export function createMcpEndpoint(runtime: Runtime, options: McpServerOptions): McpEndpoint {
  const sessions = new Map<string, Session>();

  const open = async (request: Request, body: unknown): Promise<Response> => {
    if (sessions.size >= MAX_SESSIONS) {
      return rpcError(503, `too many MCP sessions (${MAX_SESSIONS}); end one with DELETE /mcp`);
    }
    const server = createMcpServer(runtime, options);
    const transport: WebStandardStreamableHTTPServerTransport =
      new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, close: () => server.close() });
        },
        onsessionclosed: (id) => {
          sessions.delete(id);
        },
      });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  };

  return {
    async handle(request) {
      const id = request.headers.get('mcp-session-id');
      if (id !== null) {
        const session = sessions.get(id);
        if (!session) return rpcError(404, 'unknown or ended MCP session; initialize again');
        return session.transport.handleRequest(request);
      }
      if (request.method !== 'POST') {
        return rpcError(400, 'no Mcp-Session-Id: start with an initialize request (POST)');
      }
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return Response.json(
          {
            jsonrpc: '2.0',
            error: { code: -32700, message: 'Parse error: body is not JSON' },
            id: null,
          },
          { status: 400 },
        );
      }
      const messages = Array.isArray(body) ? body : [body];
      if (!messages.some((message) => isInitializeRequest(message))) {
        return rpcError(400, 'no Mcp-Session-Id: start with an initialize request');
      }
      return open(request, body);
    },
    get sessions() {
      return sessions.size;
    },
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((session) => session.close()));
    },
  };
}
