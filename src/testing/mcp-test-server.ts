/**
 * A real MCP server for the tests of bosun's MCP client, built on the official SDK: a handful of
 * tools (one that answers, one with structured content, one that reports an error, a slow one,
 * and a dangerous one no allowlist should give), served over Streamable HTTP on 127.0.0.1 (random
 * port; with `requiredHeaders`, a request without them is refused with 401) or over stdio (the
 * script `mcp-stdio-test-server.ts`, started as `node --import tsx …`). Every tool call is logged
 * with its arguments, so a test can see what reached the server.
 */

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';

export interface McpTestCall {
  readonly tool: string;
  readonly arguments: { readonly [key: string]: unknown };
}

/** The tools every test server offers, in the order it lists them. */
export const TEST_MCP_TOOLS = ['echo', 'add', 'fail', 'slow', 'secret_delete'] as const;

export function createTestMcpServer(record: (call: McpTestCall) => void): McpServer {
  const server = new McpServer({ name: 'bosun-test-server', version: '1.2.3' });
  server.registerTool(
    'echo',
    {
      description: 'Repeats the text it is given.',
      inputSchema: { text: z.string().describe('what to repeat') },
      annotations: { readOnlyHint: true },
    },
    ({ text }) => {
      record({ tool: 'echo', arguments: { text } });
      return { content: [{ type: 'text', text: `echo: ${text}` }] };
    },
  );
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers.',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    ({ a, b }) => {
      record({ tool: 'add', arguments: { a, b } });
      return {
        content: [{ type: 'text', text: String(a + b) }],
        structuredContent: { sum: a + b },
      };
    },
  );
  server.registerTool('fail', { description: 'Always reports a failure.', inputSchema: {} }, () => {
    record({ tool: 'fail', arguments: {} });
    return { isError: true, content: [{ type: 'text', text: 'the tool failed on purpose' }] };
  });
  server.registerTool(
    'slow',
    { description: 'Answers after a while.', inputSchema: { ms: z.number().int() } },
    async ({ ms }) => {
      record({ tool: 'slow', arguments: { ms } });
      await new Promise((done) => setTimeout(done, ms));
      return { content: [{ type: 'text', text: `done after ${ms} ms` }] };
    },
  );
  server.registerTool(
    'secret_delete',
    {
      description: 'Deletes everything (no agent should be given this).',
      inputSchema: {},
      annotations: { destructiveHint: true },
    },
    () => {
      record({ tool: 'secret_delete', arguments: {} });
      return { content: [{ type: 'text', text: 'deleted everything' }] };
    },
  );
  return server;
}

export interface McpHttpTestRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The JSON-RPC methods of a POST (`initialize`, `tools/list`, `tools/call`…). */
  readonly rpcMethods: readonly string[];
}

export interface McpHttpTestServer {
  /** The endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string;
  readonly calls: readonly McpTestCall[];
  /** Every request that arrived, refused ones included. */
  readonly requests: readonly McpHttpTestRequest[];
  /** How many `initialize` requests were answered. */
  readonly initializations: number;
  close(): Promise<void>;
}

export interface McpHttpTestServerOptions {
  /** Headers (lower-case names) a request must carry exactly; otherwise 401. */
  readonly requiredHeaders?: Readonly<Record<string, string>>;
}

/** Serves the test tools over Streamable HTTP (stateless: a fresh server per request). */
export async function startMcpHttpTestServer(
  options: McpHttpTestServerOptions = {},
): Promise<McpHttpTestServer> {
  const calls: McpTestCall[] = [];
  const requests: McpHttpTestRequest[] = [];
  let initializations = 0;
  const http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        body = undefined;
      }
      const messages = Array.isArray(body) ? body : body === undefined ? [] : [body];
      const rpcMethods = messages
        .map((message) => (message as { method?: unknown }).method)
        .filter((method): method is string => typeof method === 'string');
      requests.push({ method: request.method ?? '', headers: request.headers, rpcMethods });
      const refused = Object.entries(options.requiredHeaders ?? {}).find(
        ([name, value]) => request.headers[name] !== value,
      );
      if (refused !== undefined) {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: `missing or wrong ${refused[0]} header` }));
        return;
      }
      if (rpcMethods.includes('initialize')) initializations++;
      const server = createTestMcpServer((call) => calls.push(call));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      response.on('close', () => {
        void transport.close();
        void server.close();
      });
      server
        .connect(transport)
        .then(() => transport.handleRequest(request, response, body))
        .catch((error: unknown) => {
          response.destroy(error instanceof Error ? error : new Error(String(error)));
        });
    });
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    requests,
    get initializations() {
      return initializations;
    },
    close: () =>
      new Promise<void>((done) => {
        http.closeAllConnections();
        http.close(() => done());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

/**
 * Whether a process runs: not gone, and not a zombie waiting for a parent that is itself gone
 * (`kill(pid, 0)` succeeds on those). Reads /proc where there is one.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesized command name, which may itself hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (existsSync('/proc/self/stat')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const STDIO_SCRIPT = fileURLToPath(new URL('./mcp-stdio-test-server.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * The command line that serves the test tools over stdio: `node --import tsx <script>`. The
 * script logs each call as a JSON line to `$MCP_TEST_LOG`, writes its pid to `$MCP_TEST_PID`,
 * says `test server ready` on stderr, with `$MCP_TEST_EXIT` set writes that on stderr and exits
 * with status 3 instead of serving, and with `$MCP_TEST_STAY` set outlives its stdin.
 */
export function stdioTestServerCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', TSX_LOADER, STDIO_SCRIPT] };
}
