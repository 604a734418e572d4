import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import type { McpServerConfig } from './mcp-server.js';
import {
  allowsTool,
  describeAllowEntry,
  describeMcpServer,
  interpolate,
  McpAllowEntrySchema,
  McpServerConfigSchema,
  parseAllowEntry,
  referenceProblem,
  resolveMcpServer,
} from './mcp-server.js';

const server = (config: unknown): McpServerConfig => McpServerConfigSchema.parse(config);

const issueOf = (config: unknown): string => {
  const result = McpServerConfigSchema.safeParse(config);
  if (result.success) throw new Error('the server was accepted');
  const issue = result.error.issues[0]!;
  return `${issue.path.join('.')}: ${issue.message}`;
};

describe('MCP server settings', () => {
  it('takes a stdio command with its defaults, or a URL with headers', () => {
    expect(server({ command: 'npx', args: ['-y', 'pkg'] })).toEqual({
      command: 'npx',
      args: ['-y', 'pkg'],
      env: {},
      headers: {},
      timeout: 30_000,
      tool_timeout: 60_000,
    });
    expect(
      server({ url: 'https://example.com/mcp', headers: { 'X-Api-Key': '${KEY}' }, timeout: '5s' }),
    ).toMatchObject({ url: 'https://example.com/mcp', timeout: 5000 });
  });

  it('wants exactly one of command and url, and the keys of its own transport', () => {
    expect(issueOf({})).toBe(
      'command: a server needs a command (stdio) or a url (Streamable HTTP)',
    );
    expect(issueOf({ command: 'x', url: 'http://a/mcp' })).toBe(
      'url: give a command (stdio) or a url (Streamable HTTP), not both',
    );
    expect(issueOf({ command: 'x', headers: { A: 'b' } })).toBe(
      'headers: are for a url server; a stdio server takes env',
    );
    expect(issueOf({ url: 'http://a/mcp', env: { A: 'b' } })).toBe(
      'env: is for a command (stdio) server; a url server takes headers',
    );
    expect(issueOf({ url: 'http://a/mcp', cwd: 'x' })).toBe('cwd: is for a command (stdio) server');
  });

  it('checks a URL, unless variables make it', () => {
    expect(issueOf({ url: 'ftp://a/mcp' })).toBe('url: must be an http(s) URL, not ftp:');
    expect(issueOf({ url: 'not a url' })).toMatch(/^url: 'not a url' is not a URL/);
    expect(server({ url: 'https://${HOST}/mcp' }).url).toBe('https://${HOST}/mcp');
  });

  it('refuses a malformed variable reference, a bad timeout and a bad header name', () => {
    expect(issueOf({ command: 'x', args: ['${NOT VALID}'] })).toBe(
      "args.0: '${NOT VALID}' is not a variable reference: write ${NAME} or ${NAME:-default}",
    );
    expect(issueOf({ url: 'http://a/mcp', headers: { A: 'Bearer ${TOKEN' } })).toBe(
      "headers.A: '${' is not closed: write ${NAME} or ${NAME:-default}",
    );
    expect(issueOf({ command: 'x', timeout: '5 parsecs' })).toMatch(
      /^timeout: '5 parsecs' is not a duration/,
    );
    expect(issueOf({ url: 'http://a/mcp', headers: { 'Bad Header': 'x' } })).toBe(
      'headers.Bad Header: must be an HTTP header name',
    );
  });

  it('shows the command line or URL as written, variables unresolved', () => {
    expect(
      describeMcpServer(server({ command: 'npx', args: ['-y', 'a b', '${HOME}/notes'] })),
    ).toEqual({ transport: 'stdio', target: "npx -y 'a b' ${HOME}/notes" });
    expect(describeMcpServer(server({ url: 'https://x/mcp' }))).toEqual({
      transport: 'http',
      target: 'https://x/mcp',
    });
  });
});

describe('variables', () => {
  it('fills in ${NAME} and ${NAME:-default}; an empty variable counts as unset', () => {
    expect(interpolate('Bearer ${T}', { T: 'abc' })).toEqual({ value: 'Bearer abc' });
    expect(interpolate('${A:-x}/${B:-y}', { A: '', B: 'b' })).toEqual({ value: 'x/b' });
    expect(interpolate('plain $HOME and $$', {})).toEqual({ value: 'plain $HOME and $$' });
    expect(interpolate('${A}${B}', { B: 'b' })).toEqual({ missing: 'A' });
    expect(referenceProblem('${OK} ${ALSO_OK:-}')).toBeNull();
  });

  it('resolves a server, naming the server, the key and the variable that is not set', () => {
    const http = server({
      url: 'https://${HOST}/mcp',
      headers: { Authorization: 'Bearer ${TOKEN}' },
    });
    expect(resolveMcpServer('gh', http, { HOST: 'example.com', TOKEN: 't' })).toEqual({
      name: 'gh',
      transport: 'http',
      url: 'https://example.com/mcp',
      headers: { Authorization: 'Bearer t' },
      connectTimeoutMs: 30_000,
      toolTimeoutMs: 60_000,
    });
    let error: unknown;
    try {
      resolveMcpServer('gh', http, { HOST: 'example.com' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(BosunError);
    expect((error as BosunError).message).toBe(
      "mcp server 'gh': headers.Authorization: ${TOKEN} is not set (set TOKEN in the environment bosun runs in)",
    );
    expect((error as BosunError).details).toMatchObject({
      server: 'gh',
      field: 'mcp_servers.gh.headers.Authorization',
      variable: 'TOKEN',
    });
    const stdio = server({ command: '${BIN:-node}', args: ['${ARG}'], env: { K: '${V}' } });
    expect(resolveMcpServer('s', stdio, { ARG: 'a', V: 'v' })).toMatchObject({
      command: 'node',
      args: ['a'],
      env: { K: 'v' },
    });
    expect(() => resolveMcpServer('s', stdio, { ARG: 'a' })).toThrow(
      "mcp server 's': env.K: ${V} is not set",
    );
  });

  it('checks a URL made of variables once they are filled in', () => {
    expect(() => resolveMcpServer('x', server({ url: '${U}' }), { U: 'nonsense' })).toThrow(
      "mcp server 'x': url: 'nonsense' is not a URL",
    );
  });
});

describe('allowlists', () => {
  it('reads SERVER, SERVER/TOOL and SERVER/PREFIX*', () => {
    expect(parseAllowEntry('github')).toMatchObject({ server: 'github', tool: null, prefix: '' });
    expect(parseAllowEntry('github/get_issue')).toMatchObject({ tool: 'get_issue', prefix: null });
    expect(parseAllowEntry('github/search_*')).toMatchObject({ tool: null, prefix: 'search_' });
    expect(parseAllowEntry('github/*')).toMatchObject({ tool: null, prefix: '' });
    expect(
      ['github', 'github/get_issue', 'github/search_*']
        .map(parseAllowEntry)
        .map(describeAllowEntry),
    ).toEqual(['all tools', 'get_issue', 'search_*']);
  });

  it('matches a whole server, one tool, or a prefix', () => {
    const tools = ['get_issue', 'get_issues', 'search_code', 'delete_repo'];
    const pick = (entry: string) =>
      tools.filter((tool) => allowsTool(parseAllowEntry(entry), tool));
    expect(pick('gh')).toEqual(tools);
    expect(pick('gh/get_issue')).toEqual(['get_issue']);
    expect(pick('gh/get_*')).toEqual(['get_issue', 'get_issues']);
    expect(pick('gh/nothing')).toEqual([]);
  });

  it('refuses entries of any other form', () => {
    for (const entry of ['', 'gh/', 'gh/a/b', 'gh/*x', 'gh/a*b', '1gh', 'gh tool']) {
      expect(McpAllowEntrySchema.safeParse(entry).success, entry).toBe(false);
    }
  });
});
