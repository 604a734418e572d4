/**
 * Why an MCP server could not be used, in words a person can act on — the command is not
 * installed, the process exited (with the end of what it wrote on stderr), nothing listens at the
 * URL, the headers were refused, no answer in time — kind first, like `bosun models check`'s
 * reasons, so a cut table cell still says enough. Local failures (a spawn, a socket) are kept
 * apart from what the server answered (a JSON-RPC error, an HTTP status).
 */

import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedMcpServer } from '../../domain/mcp-server.js';

/** How much of a stdio server's stderr a reason quotes (its last characters). */
const STDERR_QUOTE_CHARS = 400;

export class McpClientError extends Error {
  /** The server's name in bosun.yaml. */
  readonly server: string;
  /** Kind first: `unreachable: …`, `exited: …`, `unauthorized: …`. */
  readonly reason: string;
  /** Whether trying again later could help (a refused header or a missing command will not). */
  readonly retryable: boolean;

  constructor(server: string, reason: string, retryable: boolean, cause?: unknown) {
    super(`mcp server '${server}': ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'McpClientError';
    this.server = server;
    this.reason = reason;
    this.retryable = retryable;
  }
}

export interface FailureContext {
  readonly server: ResolvedMcpServer;
  /** What a stdio server wrote on stderr lately. */
  readonly stderr: string;
  /** The request under way: `initialize`, `tools/list`, `tools/call search_issues`. */
  readonly doing: string;
  /** The deadline that applied, in milliseconds. */
  readonly timeoutMs: number;
}

export function mcpFailure(error: unknown, context: FailureContext): McpClientError {
  if (error instanceof McpClientError) return error;
  const { reason, retryable } = classify(error, context);
  return new McpClientError(context.server.name, reason, retryable, error);
}

function classify(error: unknown, context: FailureContext): { reason: string; retryable: boolean } {
  const { server } = context;
  const where = server.transport === 'http' ? server.url : `'${server.command}'`;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (server.transport === 'stdio' && typeof code === 'string' && isSpawnError(error)) {
    if (code === 'ENOENT') {
      return {
        reason: `cannot start: command '${server.command}' not found (ENOENT); is it installed and on PATH?`,
        retryable: false,
      };
    }
    if (code === 'EACCES') {
      return {
        reason: `cannot start: '${server.command}' is not executable (EACCES)`,
        retryable: false,
      };
    }
    return { reason: `cannot start: ${(error as Error).message}`, retryable: false };
  }
  if (error instanceof McpError) {
    const said = error.message.replace(/^MCP error -?\d+: /, '');
    if (error.code === ErrorCode.RequestTimeout) {
      return {
        reason: `timeout: no answer to ${context.doing} within ${seconds(context.timeoutMs)} (${where})`,
        retryable: true,
      };
    }
    if (error.code === ErrorCode.ConnectionClosed) {
      const when =
        context.doing === 'initialize'
          ? ' before it answered initialize'
          : ` during ${context.doing}`;
      if (server.transport === 'http') {
        return { reason: `closed: the server ended the connection${when}`, retryable: true };
      }
      const said = stderrTail(context.stderr);
      return {
        reason: said === '' ? `exited${when}, saying nothing on stderr` : `exited${when}: ${said}`,
        retryable: true,
      };
    }
    return { reason: `error ${error.code}: ${said}`, retryable: false };
  }
  if (error instanceof StreamableHTTPError) {
    const status = error.code ?? 0;
    const said = firstLine(
      error.message.replace(/^Streamable HTTP error: (Error POSTing to endpoint: )?/, ''),
    );
    if (status === 401 || status === 403) {
      const sent =
        server.transport === 'http' && Object.keys(server.headers).length > 0
          ? `headers sent: ${Object.keys(server.headers).join(', ')}`
          : 'no headers were sent (add headers: to the server)';
      return {
        reason: `unauthorized: ${status} ${said} (${where}; ${sent})`,
        retryable: false,
      };
    }
    if (status === 404) {
      return {
        reason: `not found: 404 ${said} (${where}); is the url the MCP endpoint (often …/mcp)?`,
        retryable: false,
      };
    }
    return {
      reason: `http ${status}: ${said} (${where})`,
      retryable: status >= 500 || status === 429,
    };
  }
  if (error instanceof UnauthorizedError) {
    return { reason: `unauthorized: ${error.message} (${where})`, retryable: false };
  }
  const network = networkCause(error);
  if (network !== null) return { reason: `unreachable: ${network} (${where})`, retryable: true };
  const message = error instanceof Error ? error.message : String(error);
  const said = stderrTail(context.stderr);
  return {
    reason: `failed: ${firstLine(message)}${said === '' ? '' : `; stderr: ${said}`}`,
    retryable: true,
  };
}

function isSpawnError(error: unknown): boolean {
  const syscall = (error as NodeJS.ErrnoException).syscall;
  return typeof syscall === 'string' && syscall.startsWith('spawn');
}

/** `connect ECONNREFUSED 127.0.0.1:9` from a fetch that found nobody listening, or null. */
function networkCause(error: unknown): string | null {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (
      typeof code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_)/.test(
        code,
      )
    ) {
      return firstLine(cause.message);
    }
    cause = cause.cause;
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause instanceof Error ? `: ${firstLine(error.cause.message)}` : '';
    return `fetch failed${cause}`;
  }
  return null;
}

/** The end of what a stdio server wrote on stderr, on one line (lines joined by ` | `). */
function stderrTail(stderr: string): string {
  const text = stderr.trim();
  const quoted = text.length > STDERR_QUOTE_CHARS ? `…${text.slice(-STDERR_QUOTE_CHARS)}` : text;
  return quoted.replace(/\s*\n\s*/g, ' | ');
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline < 0 ? text : text.slice(0, newline);
}
