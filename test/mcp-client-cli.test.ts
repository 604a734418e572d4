/**
 * `bosun mcp servers list|test` through the built CLI: the servers of bosun.yaml with the agents
 * that may use them, and a live check of each — a real stdio server (the SDK-based test server,
 * which talks on stderr), a real Streamable HTTP server that wants a header filled in from the
 * environment, a command that does not exist and a URL nobody listens at.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { McpHttpTestServer } from '../src/testing/mcp-test-server.js';
import {
  closedPort,
  isProcessRunning,
  startMcpHttpTestServer,
  stdioTestServerCommand,
  TEST_MCP_TOOLS,
} from '../src/testing/mcp-test-server.js';
import { runBosun, tempDir } from './helpers/cli.js';

const CHECK_FAILED_EXIT = 12;
const NOT_FOUND_EXIT = 4;
const INVALID_INPUT_EXIT = 2;
const TOKEN = 'tok-123-secret';

let web: McpHttpTestServer;
beforeEach(async () => {
  web = await startMcpHttpTestServer({ requiredHeaders: { authorization: `Bearer ${TOKEN}` } });
});
afterEach(async () => {
  await web.close();
});

/** A workspace whose bosun.yaml has a stdio and an HTTP server, plus `extra` lines of servers. */
async function workspace(extra: string[] = [], agents: string[] = []): Promise<string> {
  const cwd = tempDir('bosun-mcp-servers-');
  expect((await runBosun(['init'], { cwd })).status).toBe(0);
  const { command, args } = stdioTestServerCommand();
  const config = join(cwd, '.bosun', 'bosun.yaml');
  writeFileSync(
    config,
    readFileSync(config, 'utf8') +
      [
        'models:',
        '  small: { provider: mock, model: small }',
        'mcp_servers:',
        '  local:',
        `    command: ${JSON.stringify(command)}`,
        `    args: ${JSON.stringify(args)}`,
        `    env: { MCP_TEST_PID: ${JSON.stringify(join(cwd, 'local.pid'))} }`,
        '  web:',
        `    url: ${web.url}`,
        '    headers: { Authorization: "Bearer ${WEB_TOKEN}" }',
        ...extra,
        'agents:',
        '  coder:',
        '    runner: llm',
        '    model: small',
        '    mcp: [local/echo, local/a*, web]',
        '  reviewer:',
        '    runner: llm',
        '    model: small',
        '    mcp: [web/get_*]',
        ...agents,
        '',
      ].join('\n'),
  );
  return cwd;
}

interface TestJson {
  ok: boolean;
  servers: {
    name: string;
    transport: string;
    ok: boolean;
    ms: number | null;
    server: { name: string; version: string } | null;
    tools: { name: string; description: string | null }[];
    reason: string | null;
    unmatched: { agent: string; entry: string }[];
  }[];
}

const isAlive = isProcessRunning;

describe('bosun mcp servers list', () => {
  it('shows each server’s transport and target as written, and who may use which tools', async () => {
    const cwd = await workspace();
    const result = await runBosun(['mcp', 'servers', 'list'], {
      cwd,
      env: { WEB_TOKEN: TOKEN },
    });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TRANSPORT\s+TARGET\s+AGENTS$/);
    expect(lines[1]).toMatch(/^local\s+stdio\s+\S+ --import \S+\s+coder \(echo, a\*\)$/);
    expect(lines[2]).toMatch(
      new RegExp(`^web\\s+http\\s+${web.url}\\s+coder \\(all tools\\); reviewer \\(get_\\*\\)$`),
    );
    expect(result.stdout).not.toContain(TOKEN);
    // Listing starts nothing.
    expect(web.requests).toHaveLength(0);
  });

  it('gives the details as JSON: names of env and headers, never their values', async () => {
    const cwd = await workspace();
    const result = await runBosun(['mcp', 'servers', 'list', '--json'], {
      cwd,
      env: { WEB_TOKEN: TOKEN },
    });
    expect(result.status, result.stderr).toBe(0);
    const { servers } = JSON.parse(result.stdout) as { servers: Record<string, unknown>[] };
    expect(servers[1]).toEqual({
      name: 'web',
      transport: 'http',
      target: web.url,
      cwd: null,
      envNames: [],
      headerNames: ['Authorization'],
      timeoutMs: 30_000,
      toolTimeoutMs: 60_000,
      agents: [
        { agent: 'coder', entries: ['web'], allows: ['all tools'] },
        { agent: 'reviewer', entries: ['web/get_*'], allows: ['get_*'] },
      ],
    });
    expect(servers[0]).toMatchObject({ name: 'local', envNames: ['MCP_TEST_PID'] });
    expect(result.stdout).not.toContain(TOKEN);
  });

  it('reads the workspace named by --workspace before the command', async () => {
    const cwd = await workspace();
    const result = await runBosun(['--workspace', cwd, 'mcp', 'servers', 'list', '--json'], {
      cwd: tempDir(),
    });
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { servers: unknown[] }).servers).toHaveLength(2);
  });
});

describe('bosun mcp servers test', () => {
  it('connects to every server, lists its tools with their descriptions and times it', async () => {
    const cwd = await workspace();
    const result = await runBosun(['mcp', 'servers', 'test'], { cwd, env: { WEB_TOKEN: TOKEN } });
    expect(result.status, result.stderr + result.stdout).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TRANSPORT\s+OK\s+MS\s+TOOLS\s+SERVER\s+REASON$/);
    expect(lines[1]).toMatch(/^local\s+stdio\s+yes\s+\d+\s+5\s+bosun-test-server 1\.2\.3\s+-$/);
    expect(lines[2]).toMatch(/^web\s+http\s+yes\s+\d+\s+5\s+bosun-test-server 1\.2\.3\s+-$/);
    expect(result.stdout).toContain('local: 5 tools');
    expect(result.stdout).toMatch(/\n {2}echo\s+Repeats the text it is given\.\n/);
    expect(result.stdout).toMatch(/\n {2}secret_delete\s+Deletes everything/);
    // The reviewer's get_* matches nothing the server offers: said, but the servers answered.
    expect(result.stdout).toContain(
      "warning: agent reviewer: mcp entry 'web/get_*' matches none of these tools",
    );
    // The stdio server's stderr stayed off stdout, and the server is gone.
    expect(result.stdout).not.toContain('test server ready');
    expect(isAlive(Number(readFileSync(join(cwd, 'local.pid'), 'utf8')))).toBe(false);
    expect(web.requests.every((r) => r.headers['authorization'] === `Bearer ${TOKEN}`)).toBe(true);
    expect(web.initializations).toBe(1);
  });

  it('gives scripts every tool and the times as JSON', async () => {
    const cwd = await workspace();
    const result = await runBosun(['mcp', 'servers', 'test', 'web', '--json'], {
      cwd,
      env: { WEB_TOKEN: TOKEN },
    });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as TestJson;
    expect(report.ok).toBe(true);
    expect(report.servers.map((s) => s.name)).toEqual(['web']);
    const [row] = report.servers;
    expect(row).toMatchObject({
      ok: true,
      reason: null,
      server: { name: 'bosun-test-server', version: '1.2.3' },
      unmatched: [{ agent: 'reviewer', entry: 'web/get_*' }],
    });
    expect(row!.ms).toBeGreaterThanOrEqual(0);
    expect(row!.tools.map((tool) => tool.name)).toEqual([...TEST_MCP_TOOLS]);
    expect(row!.tools[0]).toEqual({ name: 'echo', description: 'Repeats the text it is given.' });
  });

  it('names why each failed server failed and exits 12, printing every row all the same', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const cwd = await workspace([
      '  broken:',
      '    command: bosun-no-such-server',
      '  gone:',
      `    url: ${url}`,
      '    timeout: 5s',
    ]);
    const result = await runBosun(['mcp', 'servers', 'test', '--json'], {
      cwd,
      env: { WEB_TOKEN: TOKEN },
    });
    expect(result.status, result.stderr).toBe(CHECK_FAILED_EXIT);
    const report = JSON.parse(result.stdout) as TestJson;
    expect(report.ok).toBe(false);
    expect(report.servers.map((s) => [s.name, s.ok])).toEqual([
      ['local', true],
      ['web', true],
      ['broken', false],
      ['gone', false],
    ]);
    expect(report.servers[2]!.reason).toBe(
      "cannot start: command 'bosun-no-such-server' not found (ENOENT); is it installed and on PATH?",
    );
    expect(report.servers[3]!.reason).toMatch(
      new RegExp(`^unreachable: .*ECONNREFUSED.*\\(${url.replace(/\./g, '\\.')}\\)$`),
    );

    const table = await runBosun(['mcp', 'servers', 'test', 'broken', 'gone'], { cwd });
    expect(table.status).toBe(CHECK_FAILED_EXIT);
    expect(table.stdout).toMatch(/\nbroken\s+stdio\s+no\s+\d+\s+-\s+-\s+cannot start: command /);
    expect(table.stdout).toMatch(/\ngone\s+http\s+no\s+\d+\s+-\s+-\s+unreachable: /);
  });

  it('fails a server whose variable is not set, naming it, without contacting the server', async () => {
    const cwd = await workspace();
    const result = await runBosun(['mcp', 'servers', 'test', 'web', '--json'], {
      cwd,
      env: { WEB_TOKEN: '' },
    });
    expect(result.status).toBe(CHECK_FAILED_EXIT);
    expect((JSON.parse(result.stdout) as TestJson).servers[0]!.reason).toBe(
      'missing variable: WEB_TOKEN is not set (headers.Authorization)',
    );
    expect(web.requests).toHaveLength(0);
  });

  it('says unauthorized when the server refuses the header', async () => {
    const cwd = await workspace();
    const result = await runBosun(['mcp', 'servers', 'test', 'web', '--json'], {
      cwd,
      env: { WEB_TOKEN: 'xyzzy-refused' },
    });
    expect(result.status).toBe(CHECK_FAILED_EXIT);
    const reason = (JSON.parse(result.stdout) as TestJson).servers[0]!.reason!;
    expect(reason).toMatch(/^unauthorized: 401 .*headers sent: Authorization/);
    expect(reason).not.toContain('xyzzy');
  });

  it('refuses a server that is not in bosun.yaml with exit 4', async () => {
    const cwd = await workspace();
    const result = await runBosun(['mcp', 'servers', 'test', 'nope'], { cwd });
    expect(result.status).toBe(NOT_FOUND_EXIT);
    expect(result.stderr).toBe(
      "error[not_found]: MCP server 'nope' is not in bosun.yaml (mcp_servers: local, web)\n",
    );
    expect(result.stdout).toBe('');
  });
});

describe('bosun mcp servers: errors and help', () => {
  it('refuses a bosun.yaml whose agent names an unknown server, with the file and line', async () => {
    const cwd = await workspace(
      [],
      ['  other:', '    runner: llm', '    model: small', '    mcp: [gh]'],
    );
    for (const command of ['list', 'test']) {
      const result = await runBosun(['mcp', 'servers', command], { cwd });
      expect(result.status).toBe(INVALID_INPUT_EXIT);
      expect(result.stderr).toMatch(
        /^error\[invalid_input\]: \S+\/\.bosun\/bosun\.yaml:\d+: agents\.other\.mcp\.0: unknown MCP server 'gh' \(mcp_servers: local, web\)\n$/,
      );
    }
  });

  it('refuses a server with both a command and a url, with the file and line', async () => {
    const cwd = await workspace(['  both:', '    command: x', '    url: http://127.0.0.1:1/mcp']);
    const result = await runBosun(['mcp', 'servers', 'list'], { cwd });
    expect(result.status).toBe(INVALID_INPUT_EXIT);
    const line = readFileSync(join(cwd, '.bosun', 'bosun.yaml'), 'utf8')
      .split('\n')
      .indexOf('    url: http://127.0.0.1:1/mcp');
    expect(result.stderr).toContain(
      `bosun.yaml:${line + 1}: mcp_servers.both.url: give a command (stdio) or a url (Streamable HTTP), not both`,
    );
  });

  it('teaches with --help, and refuses what it does not know', async () => {
    const cwd = await workspace();
    const help = await runBosun(['mcp', 'servers', '--help'], { cwd });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: bosun mcp servers list [--json]');
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('bosun mcp servers test github --json');
    const bare = await runBosun(['mcp', 'servers'], { cwd });
    expect(bare.status).toBe(INVALID_INPUT_EXIT);
    expect(bare.stderr).toContain('Usage: bosun mcp servers');
    const unknown = await runBosun(['mcp', 'servers', 'ping'], { cwd });
    expect(unknown.status).toBe(INVALID_INPUT_EXIT);
    expect(unknown.stderr).toBe(
      "error[invalid_input]: mcp servers: unknown command 'ping': use list or test; see 'bosun mcp servers --help'\n",
    );
    const badTimeout = await runBosun(['mcp', 'servers', 'test', '--timeout', 'soon'], { cwd });
    expect(badTimeout.status).toBe(INVALID_INPUT_EXIT);
    expect(badTimeout.stderr).toMatch(/^error\[invalid_input\]: timeout: 'soon' is not a duration/);
  });

  it('says there are no servers in a workspace without any', async () => {
    const cwd = tempDir('bosun-mcp-none-');
    expect((await runBosun(['init'], { cwd })).status).toBe(0);
    const list = await runBosun(['mcp', 'servers', 'list'], { cwd });
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^\(no MCP servers: add them to \.bosun\/bosun\.yaml/);
    const test = await runBosun(['mcp', 'servers', 'test', '--json'], { cwd });
    expect(test.status).toBe(0);
    expect(JSON.parse(test.stdout)).toEqual({ ok: true, servers: [] });
  });
});
