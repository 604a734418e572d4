import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import { defaultConfigText, parseConfig } from './config.js';

const refusal = (text: string): BosunError => {
  try {
    parseConfig(text, 'bosun.yaml');
  } catch (error) {
    if (error instanceof BosunError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
};

const FULL = `version: 1
models:
  local:
    provider: openai-compatible
    base_url: http://127.0.0.1:8000/v1
    model: qwen2.5-coder:7b
  sonnet:
    provider: anthropic
    model: claude-sonnet-4-5
    api_key_env: ANTHROPIC_API_KEY
    price: { input: 3, output: 15 }
agents:
  coder:
    role: coder
    runner: llm
    route: coder
    tools: [note.add]
    timeout: 20m
  reviewer:
    runner: claude-code
    model: claude-sonnet-4-5
routes:
  coder: [local, sonnet]
budgets:
  - { scope: day, usd: 5 }
  - { scope: project, project: HOME, tokens: 1000000 }
`;

describe('bosun.yaml', () => {
  it('reads models, agents, routes and budgets with their defaults', () => {
    const config = parseConfig(FULL, 'bosun.yaml');
    expect(config.models['sonnet']).toMatchObject({
      provider: 'anthropic',
      price: { input: 3, output: 15 },
      max_output_tokens: 4096,
    });
    expect(config.models['local']!.price).toEqual({ input: 0, output: 0 });
    expect(config.agents['coder']).toMatchObject({
      runner: 'llm',
      route: 'coder',
      timeout: 20 * 60_000,
      workdir: 'repo',
      max_steps: 8,
    });
    expect(config.routes['coder']).toEqual({ models: ['local', 'sonnet'], rules: [] });
    expect(config.budgets).toHaveLength(2);
  });

  it('accepts the commented template it writes for new workspaces', () => {
    expect(parseConfig(defaultConfigText('bosun.db'), 'bosun.yaml').agents).toEqual({});
  });

  it('names the line and the key of a bad value', () => {
    const error = refusal(FULL.replace('runner: llm', 'runner: gpt'));
    expect(error.message).toMatch(/^bosun\.yaml:15: agents\.coder\.runner: must be one of llm, /);
    expect(error.details).toMatchObject({ line: 15, field: 'agents.coder.runner' });
  });

  it('takes query_db only as a postgres:// URL', () => {
    const url = 'postgres://bosun_reader@db.lan/bosun';
    expect(parseConfig(`version: 1\nquery_db: ${url}\n`, 'bosun.yaml').query_db).toBe(url);
    expect(refusal('version: 1\nquery_db: mysql://db.lan/bosun\n').message).toBe(
      'bosun.yaml:2: query_db: must be a postgres:// URL',
    );
  });

  it('names an unknown key where it is', () => {
    expect(refusal(FULL.replace('    tools: [note.add]', '    tool: [note.add]')).message).toBe(
      "bosun.yaml:17: agents.coder.tool: unknown key 'tool'",
    );
  });

  it('refuses a route or an agent that names a model nobody configured', () => {
    expect(refusal(FULL.replace('coder: [local, sonnet]', 'coder: [local, opus]')).message).toBe(
      "bosun.yaml:23: routes.coder.1: unknown model 'opus' (models: local, sonnet)",
    );
    expect(refusal(FULL.replace('    route: coder', '    model: gpt-5')).message).toMatch(
      /^bosun\.yaml:16: agents\.coder\.model: unknown model 'gpt-5'/,
    );
  });

  it('refuses a tool that is not a bosun operation', () => {
    expect(
      refusal(FULL.replace('tools: [note.add]', 'tools: [note.add, shell.exec]')).message,
    ).toBe(
      "bosun.yaml:17: agents.coder.tools.1: unknown tool 'shell.exec': tools are bosun operations (see 'bosun operations')",
    );
  });

  it('refuses an API key where the name of its variable belongs', () => {
    expect(
      refusal(FULL.replace('api_key_env: ANTHROPIC_API_KEY', 'api_key_env: sk-ant-123')).message,
    ).toMatch(/api_key_env: must be an environment variable name/);
  });

  it('asks for what a provider, a runner or a budget cannot do without', () => {
    expect(refusal(FULL.replace('    base_url: http://127.0.0.1:8000/v1\n', '')).message).toMatch(
      /models\.local\.base_url: is required for an openai-compatible provider/,
    );
    expect(
      refusal(FULL.replace('  - { scope: day, usd: 5 }', '  - { scope: day }')).message,
    ).toMatch(/budgets\.0\.usd: a budget needs usd, tokens or both/);
    expect(refusal(FULL.replace('    runner: claude-code', '    runner: process')).message).toMatch(
      /agents\.reviewer\.command: is required for runner: process/,
    );
    expect(refusal(FULL.replace('timeout: 20m', 'timeout: soon')).message).toMatch(
      /agents\.coder\.timeout: /,
    );
  });

  it('names the line of broken YAML', () => {
    expect(refusal('version: 1\nagents: [\n').message).toMatch(
      /^bosun\.yaml:\d+:\d+: not valid YAML/,
    );
  });
});

const WITH_MCP = `version: 1
models:
  local: { provider: mock, model: small }
mcp_servers:
  files:
    command: npx
    args: [-y, "@modelcontextprotocol/server-filesystem", "\${HOME}/notes"]
    env: { LOG_LEVEL: error }
  github:
    url: https://api.githubcopilot.com/mcp/
    headers:
      Authorization: "Bearer \${GITHUB_TOKEN}"
    timeout: 10s
agents:
  coder:
    runner: llm
    model: local
    mcp: [files, github/search_*]
  reviewer:
    runner: claude-code
`;

describe('bosun.yaml: mcp_servers and an agent’s mcp', () => {
  it('reads the servers as written (variables filled in only when used) and the allowlist', () => {
    const config = parseConfig(WITH_MCP, 'bosun.yaml');
    expect(config.mcp_servers).toEqual({
      files: {
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '${HOME}/notes'],
        env: { LOG_LEVEL: 'error' },
        headers: {},
        timeout: 30_000,
        tool_timeout: 60_000,
      },
      github: {
        url: 'https://api.githubcopilot.com/mcp/',
        args: [],
        env: {},
        headers: { Authorization: 'Bearer ${GITHUB_TOKEN}' },
        timeout: 10_000,
        tool_timeout: 60_000,
      },
    });
    expect(config.agents['coder']!.mcp).toEqual(['files', 'github/search_*']);
    expect(config.agents['reviewer']!.mcp).toEqual([]);
  });

  it('refuses an agent entry naming a server that is not configured, at its line', () => {
    expect(
      refusal(WITH_MCP.replace('mcp: [files, github/search_*]', 'mcp: [files, gh/search_*]'))
        .message,
    ).toBe(
      "bosun.yaml:18: agents.coder.mcp.1: unknown MCP server 'gh' (mcp_servers: files, github)",
    );
    const without =
      WITH_MCP.slice(0, WITH_MCP.indexOf('mcp_servers:')) +
      WITH_MCP.slice(WITH_MCP.indexOf('agents:'));
    expect(refusal(without).message).toBe(
      "bosun.yaml:8: agents.coder.mcp.0: unknown MCP server 'files' (mcp_servers: none configured)",
    );
  });

  it('refuses an entry of the wrong form, and mcp on an agent that is not llm', () => {
    expect(refusal(WITH_MCP.replace('github/search_*]', 'github/a/b]')).message).toMatch(
      /^bosun\.yaml:18: agents\.coder\.mcp\.1: must be SERVER \(all its tools\), SERVER\/TOOL or SERVER\/PREFIX\*/,
    );
    expect(
      refusal(
        WITH_MCP.replace('    runner: claude-code', '    runner: claude-code\n    mcp: [files]'),
      ).message,
    ).toBe(
      'bosun.yaml:21: agents.reviewer.mcp: is for runner llm: claude-code takes MCP servers from its own settings (claude mcp add, or ~/.codex/config.toml)',
    );
  });

  it('names the line and key of a server that is wrong', () => {
    expect(
      refusal(WITH_MCP.replace('    timeout: 10s\n', '    timeout: 10s\n    command: gh-mcp\n'))
        .message,
    ).toBe(
      'bosun.yaml:10: mcp_servers.github.url: give a command (stdio) or a url (Streamable HTTP), not both',
    );
    expect(
      refusal(WITH_MCP.replace('Bearer ${GITHUB_TOKEN}', 'Bearer ${GITHUB TOKEN}')).message,
    ).toBe(
      "bosun.yaml:12: mcp_servers.github.headers.Authorization: '${GITHUB TOKEN}' is not a variable reference: write ${NAME} or ${NAME:-default}",
    );
    expect(
      refusal(WITH_MCP.replace('    env: { LOG_LEVEL: error }', '    headers: { A: b }')).message,
    ).toBe(
      'bosun.yaml:8: mcp_servers.files.headers: are for a url server; a stdio server takes env',
    );
    expect(refusal(WITH_MCP.replace('  files:\n', '  files/x:\n')).message).toMatch(
      /^bosun\.yaml:5: mcp_servers\.files\/x: must be a server name/,
    );
    expect(refusal(WITH_MCP.replace('    timeout: 10s', '    timeout_ms: 10')).message).toBe(
      "bosun.yaml:13: mcp_servers.github.timeout_ms: unknown key 'timeout_ms'",
    );
  });
});

describe('embeddings:', () => {
  it('accepts an embedding model and leaves it out when absent', () => {
    const config = parseConfig(
      'version: 1\nembeddings:\n  provider: ollama\n  model: nomic-embed-text\n  dimensions: 768\n',
      'bosun.yaml',
    );
    expect(config.embeddings).toEqual({
      provider: 'ollama',
      model: 'nomic-embed-text',
      dimensions: 768,
    });
    expect(parseConfig('version: 1\n', 'bosun.yaml').embeddings).toBeUndefined();
  });

  it('refuses bad embeddings settings naming the line and the key', () => {
    expect(
      refusal('version: 1\nembeddings:\n  provider: ollama\n  model: m\n  dimensions: 1.5\n')
        .message,
    ).toBe('bosun.yaml:5: embeddings.dimensions: must be a whole number');
    expect(
      refusal(
        'version: 1\nembeddings:\n  provider: openai-compatible\n  model: m\n  dimensions: 8\n',
      ).message,
    ).toMatch(/^bosun\.yaml:2: embeddings\.base_url: is required for an openai-compatible/);
    expect(
      refusal('version: 1\nembeddings:\n  provider: cohere\n  model: m\n  dimensions: 8\n').message,
    ).toBe(
      'bosun.yaml:3: embeddings.provider: must be one of openai-compatible, ollama, openai, mock',
    );
    expect(
      refusal(
        'version: 1\nembeddings:\n  provider: openai\n  model: m\n  dimensions: 8\n  api_key_env: sk-123\n',
      ).message,
    ).toMatch(/embeddings\.api_key_env: must be an environment variable name/);
  });

  it('documents embeddings in the template, commented out', () => {
    const text = defaultConfigText('bosun.db');
    expect(text).toContain('# embeddings:');
    expect(parseConfig(text, 'bosun.yaml').embeddings).toBeUndefined();
  });
});
