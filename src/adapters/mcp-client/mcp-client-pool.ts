/**
 * The connections of one bosun process to the MCP servers of bosun.yaml: each opened on first use,
 * shared by every attempt that needs the server, replaced when the server's settings change or it
 * went away, and all closed with the pool. A stdio server is never left behind: closing ends its
 * stdin, then signals it; and should the process exit without closing the pool, the servers still
 * running are sent SIGTERM on the way out.
 */

import type { ResolvedMcpServer } from '../../domain/mcp-server.js';
import { McpClientError, mcpFailure } from './mcp-client-errors.js';
import type {
  McpClientSettings,
  McpProbe,
  McpToolInfo,
  McpToolOutcome,
} from './mcp-client-settings.js';
import type { McpConnection } from './mcp-connection.js';
import { openMcpConnection } from './mcp-connection.js';

export interface McpClientPool {
  /** The server's tools, listed once per connection (again after the server says they changed). */
  listTools(server: ResolvedMcpServer): Promise<readonly McpToolInfo[]>;
  /**
   * Calls a tool. Rejects with an McpClientError when the server cannot be reached or does not
   * answer; a tool that reports its own failure resolves with `isError`.
   */
  callTool(
    server: ResolvedMcpServer,
    tool: string,
    args: { readonly [key: string]: unknown },
    options?: { readonly signal?: AbortSignal | undefined },
  ): Promise<McpToolOutcome>;
  /**
   * Connects afresh (outside the pool), initializes, lists every tool and closes again, timing it;
   * a failure is a result with its reason, never a rejection.
   */
  probe(server: ResolvedMcpServer, options?: { readonly timeoutMs?: number }): Promise<McpProbe>;
  /** Closes every connection (stdio servers exit); later calls are refused. */
  close(): Promise<void>;
}

export function createMcpClientPool(settings: McpClientSettings): McpClientPool {
  const now = settings.now ?? (() => performance.now());
  const connections = new Map<string, { key: string; connection: Promise<McpConnection> }>();
  const live = new Set<McpConnection>();
  let closed = false;

  // The last resort for a process that exits without closing the pool: no server outlives it.
  const killOnExit = () => {
    for (const connection of live) {
      const pid = connection.pid;
      if (pid === null) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  };
  let exitHook = false;
  const track = (connection: McpConnection) => {
    if (connection.closed) return;
    live.add(connection);
    if (!exitHook && connection.pid !== null) {
      process.on('exit', killOnExit);
      exitHook = true;
    }
  };

  const connectionFor = (server: ResolvedMcpServer): Promise<McpConnection> => {
    if (closed) {
      return Promise.reject(
        new McpClientError(server.name, 'closed: bosun is shutting down', false),
      );
    }
    // The settings as resolved (variables filled in): an edited bosun.yaml or a rotated secret
    // opens a new connection.
    const key = JSON.stringify(server);
    const current = connections.get(server.name);
    if (current !== undefined && current.key === key) return current.connection;
    if (current !== undefined) {
      connections.delete(server.name);
      void current.connection.then((old) => old.close()).catch(() => {});
    }
    const entry = {
      key,
      connection: openMcpConnection(server, settings, {
        onClose: () => {
          // The server went away (or was closed): the next use connects again.
          if (connections.get(server.name) === entry) connections.delete(server.name);
          void entry.connection.then((connection) => live.delete(connection)).catch(() => {});
        },
      }),
    };
    connections.set(server.name, entry);
    void entry.connection.then(track, () => {
      if (connections.get(server.name) === entry) connections.delete(server.name);
    });
    return entry.connection;
  };

  return {
    async listTools(server) {
      return (await connectionFor(server)).listTools();
    },
    async callTool(server, tool, args, options = {}) {
      return (await connectionFor(server)).callTool(tool, args, options);
    },
    async probe(server, options = {}) {
      const started = now();
      let connection: McpConnection | undefined;
      try {
        connection = await openMcpConnection(server, settings, options);
        track(connection);
        const connectMs = Math.round(now() - started);
        const tools = await connection.listTools();
        return {
          ok: true,
          connectMs,
          totalMs: Math.round(now() - started),
          serverInfo: connection.serverInfo,
          instructions: connection.instructions,
          tools,
        };
      } catch (error) {
        const failure = mcpFailure(error, {
          server,
          stderr: '',
          doing: 'initialize',
          timeoutMs: options.timeoutMs ?? server.connectTimeoutMs,
        });
        return { ok: false, totalMs: Math.round(now() - started), reason: failure.reason };
      } finally {
        if (connection !== undefined) {
          await connection.close();
          live.delete(connection);
        }
      }
    },
    async close() {
      closed = true;
      const open = [...connections.values()];
      connections.clear();
      await Promise.all(
        open.map((entry) =>
          entry.connection.then(
            (connection) => connection.close(),
            () => {},
          ),
        ),
      );
      live.clear();
      if (exitHook) process.off('exit', killOnExit);
      exitHook = false;
    },
  };
}
