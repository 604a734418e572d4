import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedMcpServer } from '../../domain/mcp-server.js';
import type { McpHttpTestServer } from '../../testing/mcp-test-server.js';
import {
  closedPort,
  isProcessRunning,
  startMcpHttpTestServer,
  stdioTestServerCommand,
  TEST_MCP_TOOLS,
} from '../../testing/mcp-test-server.js';
import type { McpClientPool } from './index.js';
import { createMcpClientPool, McpClientError } from './index.js';
import { MAX_TOOL_RESULT_CHARS, mapToolResult } from './map-mcp-tool-result.js';

const folder = () => mkdtempSync(join(tmpdir(), 'bosun-mcp-client-'));

function poolOf(): McpClientPool {
  const pool = createMcpClientPool({
    clientInfo: { name: 'bosun-test', version: '0.0.1' },
    cwd: folder(),
  });
  pools.push(pool);
  return pool;
}
const pools: McpClientPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function httpServer(url: string, headers: Record<string, string> = {}): ResolvedMcpServer {
  return {
    name: 'web',
    transport: 'http',
    url,
    headers,
    connectTimeoutMs: 10_000,
    toolTimeoutMs: 10_000,
  };
}

type StdioServer = Extract<ResolvedMcpServer, { transport: 'stdio' }>;

function stdioServer(env: Record<string, string> = {}, name = 'local'): StdioServer {
  return {
    name,
    transport: 'stdio',
    ...stdioTestServerCommand(),
    env,
    cwd: undefined,
    connectTimeoutMs: 20_000,
    toolTimeoutMs: 10_000,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<McpClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(McpClientError);
    return error as McpClientError;
  }
  throw new Error('expected a rejection');
}

const isAlive = isProcessRunning;

describe('MCP client over Streamable HTTP', () => {
  let server: McpHttpTestServer;
  beforeEach(async () => {
    server = await startMcpHttpTestServer({ requiredHeaders: { authorization: 'Bearer s3cret' } });
  });
  afterEach(async () => {
    await server.close();
  });
  const authorized = () => httpServer(server.url, { Authorization: 'Bearer s3cret' });

  it('lists the tools and calls one, with the configured headers on every request', async () => {
    const pool = poolOf();
    const tools = await pool.listTools(authorized());
    expect(tools.map((tool) => tool.name)).toEqual([...TEST_MCP_TOOLS]);
    const echo = tools.find((tool) => tool.name === 'echo')!;
    expect(echo).toMatchObject({ description: 'Repeats the text it is given.', readOnly: true });
    expect(echo.inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
      required: ['text'],
    });
    const outcome = await pool.callTool(authorized(), 'echo', { text: 'hello' });
    expect(outcome).toEqual({ isError: false, text: 'echo: hello', structuredContent: null });
    expect(server.calls).toEqual([{ tool: 'echo', arguments: { text: 'hello' } }]);
    expect(server.requests.length).toBeGreaterThan(2);
    expect(server.requests.every((r) => r.headers['authorization'] === 'Bearer s3cret')).toBe(true);
  });

  it('connects once and reuses the connection for every later list and call', async () => {
    const pool = poolOf();
    await pool.listTools(authorized());
    await pool.listTools(authorized());
    await Promise.all([
      pool.callTool(authorized(), 'echo', { text: 'a' }),
      pool.callTool(authorized(), 'echo', { text: 'b' }),
    ]);
    expect(server.initializations).toBe(1);
    expect(server.requests.filter((r) => r.rpcMethods.includes('tools/list'))).toHaveLength(1);
  });

  it('connects again when the server’s settings change', async () => {
    const pool = poolOf();
    await pool.listTools(authorized());
    await pool.listTools({ ...authorized(), toolTimeoutMs: 5000 });
    expect(server.initializations).toBe(2);
  });

  it('gives structured content along with the text, and a tool’s own failure as isError', async () => {
    const pool = poolOf();
    expect(await pool.callTool(authorized(), 'add', { a: 2, b: 3 })).toEqual({
      isError: false,
      text: '5',
      structuredContent: { sum: 5 },
    });
    expect(await pool.callTool(authorized(), 'fail', {})).toEqual({
      isError: true,
      text: 'the tool failed on purpose',
      structuredContent: null,
    });
  });

  it('gives up on a tool call after tool_timeout, and the connection still serves', async () => {
    const pool = poolOf();
    const impatient = { ...authorized(), toolTimeoutMs: 200 };
    const failure = await rejectionOf(pool.callTool(impatient, 'slow', { ms: 3000 }));
    expect(failure.reason).toBe(
      `timeout: no answer to tools/call slow within 200ms (${server.url})`,
    );
    expect(failure.retryable).toBe(true);
    expect((await pool.callTool(impatient, 'echo', { text: 'still here' })).text).toBe(
      'echo: still here',
    );
    expect(server.initializations).toBe(1);
  });

  it('says unauthorized, naming the headers it sent, when the server refuses them', async () => {
    const pool = poolOf();
    const wrong = httpServer(server.url, { Authorization: 'Bearer nope' });
    const failure = await rejectionOf(pool.listTools(wrong));
    expect(failure.message).toMatch(/^mcp server 'web': unauthorized: 401 /);
    expect(failure.reason).toContain('headers sent: Authorization');
    expect(failure.reason).not.toContain('nope');
    expect(failure.retryable).toBe(false);
    const probe = await pool.probe(httpServer(server.url));
    expect(probe).toMatchObject({ ok: false });
    expect(probe.ok === false && probe.reason).toContain('no headers were sent');
  });

  it('says unreachable when nothing listens at the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const probe = await poolOf().probe(httpServer(url));
    expect(probe.ok).toBe(false);
    expect(probe.ok === false && probe.reason).toMatch(
      new RegExp(`^unreachable: .*ECONNREFUSED.* \\(${url.replace(/[.]/g, '\\.')}\\)$`),
    );
  });

  it('probes: connects afresh, lists the tools with the server’s name, and times it', async () => {
    let tick = 0;
    const pool = createMcpClientPool({
      clientInfo: { name: 'bosun-test', version: '0' },
      cwd: folder(),
      now: () => (tick += 10),
    });
    pools.push(pool);
    const probe = await pool.probe(authorized());
    expect(probe).toMatchObject({
      ok: true,
      serverInfo: { name: 'bosun-test-server', version: '1.2.3' },
      connectMs: 10,
      totalMs: 20,
    });
    expect(probe.ok && probe.tools.map((tool) => tool.name)).toEqual([...TEST_MCP_TOOLS]);
  });

  it('refuses to connect once closed', async () => {
    const pool = poolOf();
    await pool.close();
    const failure = await rejectionOf(pool.listTools(authorized()));
    expect(failure.reason).toMatch(/^closed: /);
    expect(server.requests).toHaveLength(0);
  });
});

describe('MCP client over stdio', () => {
  it('starts the server on first use, reuses it, and stops it when the pool closes', async () => {
    const dir = folder();
    const pidFile = join(dir, 'server.pid');
    const log = join(dir, 'calls.jsonl');
    const pool = poolOf();
    const server = stdioServer({ MCP_TEST_PID: pidFile, MCP_TEST_LOG: log });
    expect(existsSync(pidFile)).toBe(false);

    expect((await pool.listTools(server)).map((tool) => tool.name)).toEqual([...TEST_MCP_TOOLS]);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(true);
    expect(await pool.callTool(server, 'add', { a: 40, b: 2 })).toMatchObject({ text: '42' });
    expect(await pool.callTool(server, 'echo', { text: 'x' })).toMatchObject({ text: 'echo: x' });
    // One process served all of it.
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe(pid);
    expect(
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { tool: 'add', arguments: { a: 40, b: 2 } },
      { tool: 'echo', arguments: { text: 'x' } },
    ]);

    await pool.close();
    expect(isAlive(pid)).toBe(false);
  });

  it('starts the server again after it died', async () => {
    const dir = folder();
    const pidFile = join(dir, 'server.pid');
    const pool = poolOf();
    const server = stdioServer({ MCP_TEST_PID: pidFile });
    await pool.listTools(server);
    const first = Number(readFileSync(pidFile, 'utf8'));
    process.kill(first, 'SIGKILL');
    // The call that finds it dead fails (or, once its exit was seen, simply reconnects)…
    const outcome = await pool
      .callTool(server, 'echo', { text: 'again' })
      .catch((error: unknown) => error);
    if (outcome instanceof McpClientError) {
      expect(outcome.reason).toMatch(/^exited during tools\/call echo/);
    }
    // …and the next one runs on a new process.
    expect((await pool.callTool(server, 'echo', { text: 'again' })).text).toBe('echo: again');
    const second = Number(readFileSync(pidFile, 'utf8'));
    expect(second).not.toBe(first);
    await pool.close();
    expect(isAlive(second)).toBe(false);
  });

  it('leaves no server behind when the process exits without closing the pool', async () => {
    const dir = folder();
    const pidFile = join(dir, 'server.pid');
    const url = (path: string) => pathToFileURL(fileURLToPath(new URL(path, import.meta.url))).href;
    const script = join(dir, 'exit-without-close.mjs');
    // A server that outlives its stdin: only the pool's exit hook stops it.
    writeFileSync(
      script,
      [
        `const { createMcpClientPool } = await import(${JSON.stringify(url('./index.ts'))});`,
        `const { stdioTestServerCommand } = await import(${JSON.stringify(url('../../testing/mcp-test-server.ts'))});`,
        "const pool = createMcpClientPool({ clientInfo: { name: 't', version: '0' }, cwd: process.cwd() });",
        `await pool.listTools(${JSON.stringify(stdioServer({ MCP_TEST_PID: pidFile, MCP_TEST_STAY: '1' }))});`,
        'process.exit(0);',
      ].join('\n'),
    );
    await new Promise<void>((done, fail) =>
      execFile(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd() }, (error) =>
        error ? fail(error) : done(),
      ),
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 20));
    }
    expect(isAlive(pid)).toBe(false);
  });

  it('quotes what a server that exits at once wrote on stderr', async () => {
    const probe = await poolOf().probe(stdioServer({ MCP_TEST_EXIT: 'fatal: no config found' }));
    expect(probe).toMatchObject({
      ok: false,
      reason: 'exited before it answered initialize: fatal: no config found',
    });
  });

  it('names a command that is not installed', async () => {
    const probe = await poolOf().probe({
      ...stdioServer(),
      command: 'bosun-no-such-command',
      args: [],
    });
    expect(probe).toMatchObject({
      ok: false,
      reason:
        "cannot start: command 'bosun-no-such-command' not found (ENOENT); is it installed and on PATH?",
    });
  });

  it('refuses a cwd that is not a folder', async () => {
    const failure = await rejectionOf(
      poolOf().listTools({ ...stdioServer(), cwd: 'no/such/folder' }),
    );
    expect(failure.reason).toMatch(/^cannot start: cwd .*no\/such\/folder is not a folder$/);
    expect(failure.retryable).toBe(false);
  });
});

describe('tool results as text', () => {
  it('keeps text, quotes text resources, and describes what text cannot carry', () => {
    const outcome = mapToolResult({
      content: [
        { type: 'text', text: 'first' },
        { type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'file:///a.md', text: '# A' } },
        { type: 'resource_link', uri: 'file:///b.md', name: 'b.md' },
      ],
    });
    expect(outcome.text).toBe(
      'first\n[image image/png, 5 bytes, not shown]\n[resource file:///a.md]\n# A\n[link b.md: file:///b.md]',
    );
  });

  it('gives structured content as JSON when there is no text, and cuts a huge result', () => {
    expect(mapToolResult({ content: [], structuredContent: { n: 1 } }).text).toBe('{"n":1}');
    const huge = mapToolResult({
      content: [{ type: 'text', text: 'x'.repeat(MAX_TOOL_RESULT_CHARS + 10) }],
    });
    expect(huge.text.endsWith('\n[… 10 more characters cut]')).toBe(true);
  });
});
