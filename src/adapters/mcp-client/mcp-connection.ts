/**
 * One live connection to one MCP server through the official SDK client: a child process spoken
 * to over stdio (its stderr kept, never passed through: bosun's own output stays clean, and the
 * end of it explains a crash), or a Streamable HTTP session with the configured headers on every
 * request. The tool list is fetched once, every page of it, and again after the server says it
 * changed.
 */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ResolvedMcpServer } from '../../domain/mcp-server.js';
import { mapToolResult } from './map-mcp-tool-result.js';
import { McpClientError, mcpFailure } from './mcp-client-errors.js';
import type { McpClientSettings, McpToolInfo, McpToolOutcome } from './mcp-client-settings.js';

/** How much of a stdio server's stderr is kept (its last characters). */
const STDERR_KEEP_CHARS = 4096;
/** A server that pages its tool list forever is cut off here. */
const MAX_TOOL_PAGES = 100;
/** How long closing waits for an HTTP server to end its session. */
const HTTP_CLOSE_GRACE_MS = 1000;

export interface McpConnection {
  readonly server: ResolvedMcpServer;
  readonly serverInfo: { readonly name: string; readonly version: string } | null;
  readonly instructions: string | null;
  /** The stdio server's process id (null for HTTP, or once it has exited). */
  readonly pid: number | null;
  /** True once the connection is gone (closed, or the server went away). */
  readonly closed: boolean;
  listTools(): Promise<readonly McpToolInfo[]>;
  callTool(
    name: string,
    args: { readonly [key: string]: unknown },
    options?: { readonly signal?: AbortSignal | undefined },
  ): Promise<McpToolOutcome>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Overrides the server's `timeout` for connecting and listing tools. */
  readonly timeoutMs?: number | undefined;
  /** Called once when the connection ends, whoever ended it. */
  readonly onClose?: (() => void) | undefined;
}

export async function openMcpConnection(
  server: ResolvedMcpServer,
  settings: McpClientSettings,
  options: OpenOptions = {},
): Promise<McpConnection> {
  const timeoutMs = options.timeoutMs ?? server.connectTimeoutMs;
  let stderr = '';
  let transport: Transport;
  let stdio: StdioClientTransport | undefined;
  if (server.transport === 'stdio') {
    const cwd = server.cwd === undefined ? settings.cwd : resolve(settings.cwd, server.cwd);
    if (!isFolder(cwd)) {
      throw new McpClientError(server.name, `cannot start: cwd ${cwd} is not a folder`, false);
    }
    stdio = new StdioClientTransport({
      command: server.command,
      args: [...server.args],
      env: { ...server.env },
      cwd,
      stderr: 'pipe',
    });
    stdio.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_KEEP_CHARS);
    });
    transport = stdio;
  } else {
    transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { ...server.headers } },
      ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    });
  }

  const client = new Client(settings.clientInfo, { capabilities: {} });
  let closed = false;
  let closing: Promise<void> | undefined;
  client.onclose = () => {
    if (closed) return;
    closed = true;
    options.onClose?.();
  };
  // Failures reach the request that was waiting; there is nothing else to tell anyone.
  client.onerror = () => {};
  let tools: Promise<McpToolInfo[]> | undefined;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    tools = undefined;
    return Promise.resolve();
  });

  const failure = async (error: unknown, doing: string, deadline: number) => {
    // The stderr of a server that just exited may still be on its way through the pipe.
    await new Promise((done) => setImmediate(done));
    await new Promise((done) => setImmediate(done));
    return mcpFailure(error, { server, stderr, doing, timeoutMs: deadline });
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (transport instanceof StreamableHTTPClientTransport && !closed) {
        // Ends the session on the server; a server that does not answer is not waited for long.
        await Promise.race([
          transport.terminateSession().catch(() => {}),
          new Promise((done) => setTimeout(done, HTTP_CLOSE_GRACE_MS).unref()),
        ]);
      }
      // Ends a stdio server's stdin, then SIGTERM, then SIGKILL (the SDK's escalation).
      await client.close().catch(() => {});
      if (!closed) {
        closed = true;
        options.onClose?.();
      }
    })();
    return closing;
  };

  try {
    await client.connect(transport, { timeout: timeoutMs });
  } catch (error) {
    const reason = await failure(error, 'initialize', timeoutMs);
    await close();
    throw reason;
  }

  const listAll = async (): Promise<McpToolInfo[]> => {
    if (client.getServerCapabilities()?.tools === undefined) return [];
    const all: McpToolInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const result = await client.listTools(cursor === undefined ? undefined : { cursor }, {
        timeout: timeoutMs,
      });
      all.push(...result.tools.map(toolInfo));
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    return all;
  };

  const serverInfo = client.getServerVersion();
  return {
    server,
    serverInfo:
      serverInfo === undefined ? null : { name: serverInfo.name, version: serverInfo.version },
    instructions: client.getInstructions() ?? null,
    get pid() {
      return closed ? null : (stdio?.pid ?? null);
    },
    get closed() {
      return closed;
    },
    async listTools() {
      const listing = (tools ??= listAll());
      try {
        return await listing;
      } catch (error) {
        if (tools === listing) tools = undefined;
        throw await failure(error, 'tools/list', timeoutMs);
      }
    },
    async callTool(name, args, callOptions = {}) {
      const signal = callOptions.signal;
      if (closed) {
        throw new McpClientError(server.name, 'closed: the connection has ended', true);
      }
      try {
        const result = await client.callTool({ name, arguments: { ...args } }, undefined, {
          timeout: server.toolTimeoutMs,
          ...(signal === undefined ? {} : { signal }),
        });
        return mapToolResult(result);
      } catch (error) {
        if (signal?.aborted === true) {
          throw new McpClientError(
            server.name,
            `cancelled: tools/call ${name} was cancelled`,
            false,
            error,
          );
        }
        const reason = await failure(error, `tools/call ${name}`, server.toolTimeoutMs);
        // A failed transport (not a refusal or a slow tool) makes the next call start afresh.
        if (isTransportFailure(error)) void close();
        throw reason;
      }
    },
    close,
  };
}

function isTransportFailure(error: unknown): boolean {
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  return !(error instanceof McpClientError);
}

function toolInfo(tool: {
  readonly name: string;
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly inputSchema: { readonly [key: string]: unknown };
  readonly annotations?:
    | {
        readonly title?: string | undefined;
        readonly readOnlyHint?: boolean | undefined;
        readonly destructiveHint?: boolean | undefined;
      }
    | undefined;
}): McpToolInfo {
  return {
    name: tool.name,
    title: tool.title ?? tool.annotations?.title ?? null,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema,
    readOnly: tool.annotations?.readOnlyHint ?? null,
    destructive: tool.annotations?.destructiveHint ?? null,
  };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
