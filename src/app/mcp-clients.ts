/**
 * The process's connections to external MCP servers, loaded on first use: a command that runs no
 * llm agent with `mcp:` never imports the MCP SDK client nor starts a server. Closing it (with the
 * runtime) ends every connection; a stdio server exits with it.
 */

import type { McpClientPool } from '../adapters/mcp-client/index.js';
import { VERSION } from '../shared/version.js';

export interface LazyMcpClients {
  /** The pool, created on the first call. */
  get(): Promise<McpClientPool>;
  /** Closes the pool if it was ever created. */
  close(): Promise<void>;
}

export interface McpClientsSettings {
  /** The project folder: where stdio servers start, and what a relative `cwd:` is relative to. */
  readonly cwd: string;
  readonly fetch?: typeof fetch | undefined;
}

export function lazyMcpClients(settings: McpClientsSettings): LazyMcpClients {
  let pool: Promise<McpClientPool> | undefined;
  return {
    get: () =>
      (pool ??= import('../adapters/mcp-client/index.js').then(({ createMcpClientPool }) =>
        createMcpClientPool({
          clientInfo: { name: 'bosun', version: VERSION },
          cwd: settings.cwd,
          fetch: settings.fetch,
        }),
      )),
    async close() {
      if (pool !== undefined) await (await pool).close();
    },
  };
}
