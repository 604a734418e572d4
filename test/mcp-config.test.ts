/**
 * `bosun mcp config` end to end through the built bin, with HOME, CODEX_HOME and the project
 * folder in temporary directories: what it prints, what --write does to each client's file, and
 * that a written entry really starts a working MCP server for the official SDK client.
 */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CliResult } from './helpers/cli.js';
import { BIN, runBosun, tempDir } from './helpers/cli.js';

interface Entry {
  command: string;
  args: string[];
}

/** PATH with node but no bosun, so entries take the absolute form unless a test adds one. */
const NODE_ONLY_PATH = dirname(process.execPath);

let home: string;
let codexHome: string;
let project: string;

beforeEach(async () => {
  home = tempDir('bosun-home-');
  codexHome = join(home, 'codex-home');
  project = join(tempDir('bosun-project-'), 'shop');
  mkdirSync(project);
  expect((await runBosun(['init'], { cwd: project })).status).toBe(0);
});

function config(
  args: readonly string[],
  options: { cwd?: string; path?: string } = {},
): Promise<CliResult> {
  return runBosun(['mcp', 'config', ...args], {
    cwd: options.cwd ?? project,
    env: {
      HOME: home,
      CODEX_HOME: codexHome,
      XDG_CONFIG_HOME: undefined,
      PATH: options.path ?? NODE_ONLY_PATH,
    },
  });
}

const readJson = (file: string): { mcpServers: Record<string, Entry> } =>
  JSON.parse(readFileSync(file, 'utf8')) as { mcpServers: Record<string, Entry> };

const backupsOf = (file: string): string[] =>
  readdirSync(dirname(file)).filter((name) => name.startsWith(`${file.split('/').pop()}.bak-`));

const absoluteEntry = (...args: string[]): Entry => ({
  command: process.execPath,
  args: [BIN, 'mcp', ...args],
});

describe('bosun mcp config: printing', () => {
  it('prints the .mcp.json of Claude Code, where it goes and the claude mcp add line', async () => {
    const result = await config(['--client', 'claude-code']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ mcpServers: { bosun: absoluteEntry() } });
    expect(result.stderr).toContain(join(project, '.mcp.json'));
    expect(result.stderr).toContain(
      `claude mcp add --scope project bosun -- ${process.execPath} ${BIN} mcp`,
    );
    expect(result.stderr).toContain('--write');
    expect(existsSync(join(project, '.mcp.json'))).toBe(false);
  });

  it('prints the Codex table with the workspace, profile and actor', async () => {
    const result = await config(['--client', 'codex', '--profile', 'full', '--as', 'codex-bot']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        '[mcp_servers.bosun]',
        `command = ${JSON.stringify(process.execPath)}`,
        `args = ${JSON.stringify([BIN, 'mcp', '--workspace', project, '--profile', 'full', '--as', 'codex-bot']).replace(/","/g, '", "')}`,
        '',
      ].join('\n'),
    );
    expect(result.stderr).toContain(join(codexHome, 'config.toml'));
    expect(result.stderr).toContain('codex mcp add bosun -- ');
  });

  it('answers --json with the client, file, entry and snippet', async () => {
    const result = await config(['--client', 'cursor', '--scope', 'user', '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      client: 'cursor',
      scope: 'user',
      file: join(home, '.cursor', 'mcp.json'),
      entry: absoluteEntry('--workspace', project),
    });
    expect(JSON.parse(report.snippet as string)).toEqual({
      mcpServers: { bosun: absoluteEntry('--workspace', project) },
    });
  });

  it('uses a bare bosun when the bosun on PATH is this installation', async () => {
    const bin = tempDir('bosun-path-');
    symlinkSync(BIN, join(bin, 'bosun'));
    const path = [bin, NODE_ONLY_PATH].join(delimiter);
    const result = await config(['--client', 'cursor', '--json'], { path });
    expect((JSON.parse(result.stdout) as { entry: Entry }).entry).toEqual({
      command: 'bosun',
      args: ['mcp'],
    });
    // Claude Desktop starts servers without the shell's PATH: always absolute.
    const desktop = await config(['--client', 'claude-desktop', '--json'], { path });
    expect((JSON.parse(desktop.stdout) as { entry: Entry }).entry).toEqual(
      absoluteEntry('--workspace', project),
    );
  });

  it('finds the workspace from a subfolder and names the project folder', async () => {
    const sub = join(project, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const result = await config(['--client', 'claude-code', '--json'], { cwd: sub });
    expect(JSON.parse(result.stdout)).toMatchObject({ file: join(project, '.mcp.json') });
  });

  it('refuses a missing or unknown client, listing the four', async () => {
    for (const args of [[], ['--client', 'vscode']]) {
      const result = await config(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^error\[invalid_input\]: --client: /);
      expect(result.stderr).toContain('claude-code, claude-desktop, cursor, codex');
      expect(result.stdout).toBe('');
    }
  });

  it('refuses a scope the client does not have, a bad name and unknown flags', async () => {
    const scope = await config(['--client', 'codex', '--scope', 'project']);
    expect(scope.status).toBe(2);
    expect(scope.stderr).toContain('--scope: codex has only user scope');
    const name = await config(['--client', 'codex', '--name', 'bo sun']);
    expect(name.stderr).toContain('--name: use letters, digits');
    const unknown = await config(['--client', 'codex', '--wirte']);
    expect(unknown.stderr).toContain("unknown argument '--wirte'");
  });

  it('refuses to configure a folder without a workspace', async () => {
    const result = await config(['--client', 'cursor'], { cwd: home });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^error\[not_found\]: .*run 'bosun init' here/);
    expect(result.stdout).toBe('');
  });

  it('teaches with examples under --help', async () => {
    const result = await config(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('bosun mcp config --client claude-code --write');
  });
});

describe('bosun mcp config --write', () => {
  it('creates .mcp.json, then finds it already configured and writes nothing', async () => {
    const file = join(project, '.mcp.json');
    const first = await config(['--client', 'claude-code', '--write']);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`Created ${file}`);
    expect(readJson(file)).toEqual({ mcpServers: { bosun: absoluteEntry() } });

    const written = readFileSync(file, 'utf8');
    const again = await config(['--client', 'claude-code', '--write']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already configured');
    expect(readFileSync(file, 'utf8')).toBe(written);
    expect(backupsOf(file)).toEqual([]);
  });

  it('refuses a differing entry without --force, and replaces it after a backup with it', async () => {
    const file = join(project, '.mcp.json');
    const before =
      '{\n  "mcpServers": {\n    "bosun": { "command": "bosun", "args": ["mcp"] }\n  }\n}\n';
    writeFileSync(file, before);

    const refused = await config(['--client', 'claude-code', '--write', '--profile', 'full']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/error\[conflict\]: .*differs; nothing was changed.*--force/);
    expect(refused.stderr).toContain('Now in the file:\n"bosun": {\n  "command": "bosun"');
    expect(refused.stderr).toContain('"--profile", "full"');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(backupsOf(file)).toEqual([]);

    const forced = await config([
      '--client',
      'claude-code',
      '--write',
      '--profile',
      'full',
      '--force',
    ]);
    expect(forced.status).toBe(0);
    const backups = backupsOf(file);
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(/^\.mcp\.json\.bak-\d{8}T\d{6}Z$/);
    expect(readFileSync(join(project, backups[0]!), 'utf8')).toBe(before);
    expect(forced.stdout).toContain(`Backed up ${file} to ${join(project, backups[0]!)}`);
    expect(forced.stdout).toContain('Replaced the "bosun" server');
    expect(readJson(file).mcpServers.bosun).toEqual(absoluteEntry('--profile', 'full'));
  });

  it("merges into ~/.claude.json leaving Claude Code's other settings byte for byte", async () => {
    const file = join(home, '.claude.json');
    const before = [
      '{',
      '  "numStartups": 42,',
      '  "userID": "abc",',
      '  "projects": {',
      '    "/elsewhere": { "mcpServers": {}, "allowedTools": ["Bash"] }',
      '  },',
      '  "mcpServers": {',
      '    "github": { "type": "stdio", "command": "gh", "args": [], "env": {} }',
      '  },',
      '  "tipsHistory": { "x": 1 }',
      '}',
      '',
    ].join('\n');
    writeFileSync(file, before);
    const result = await config(['--client', 'claude-code', '--scope', 'user', '--write']);
    expect(result.status).toBe(0);
    const after = readFileSync(file, 'utf8');
    const inserted = `,\n    "bosun": {\n      "command": ${JSON.stringify(process.execPath)},\n      "args": ${JSON.stringify([BIN, 'mcp', '--workspace', project]).replace(/","/g, '", "')}\n    }`;
    const at = before.indexOf(' }\n  },\n  "tipsHistory"') + 2;
    expect(after).toBe(before.slice(0, at) + inserted + before.slice(at));
    expect(backupsOf(file)).toHaveLength(1);
  });

  it('refuses a file that does not parse and changes nothing', async () => {
    const file = join(home, '.cursor', 'mcp.json');
    mkdirSync(dirname(file));
    const before = '{ "mcpServers": { // comments are not JSON\n } }\n';
    writeFileSync(file, before);
    const result = await config(['--client', 'cursor', '--scope', 'user', '--write']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^error\[invalid_json\]: .*mcp\.json: not valid JSON/);
    expect(result.stderr).toContain('bosun changed nothing');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(backupsOf(file)).toEqual([]);
  });

  it('creates .cursor/mcp.json with its folder', async () => {
    const result = await config(['--client', 'cursor', '--write']);
    expect(result.status).toBe(0);
    expect(readJson(join(project, '.cursor', 'mcp.json'))).toEqual({
      mcpServers: { bosun: absoluteEntry() },
    });
  });

  it('writes Claude Desktop under ~/.config/Claude on Linux', async () => {
    const result = await config(['--client', 'claude-desktop', '--write', '--json']);
    expect(result.status).toBe(0);
    const file = join(home, '.config', 'Claude', 'claude_desktop_config.json');
    expect(JSON.parse(result.stdout)).toMatchObject({ file, action: 'created', backup: null });
    expect(readJson(file).mcpServers.bosun).toEqual(absoluteEntry('--workspace', project));
  });

  it("adds a table to Codex's config.toml in CODEX_HOME, keeping its comments and tables", async () => {
    const file = join(codexHome, 'config.toml');
    mkdirSync(codexHome);
    const before = [
      '# my Codex',
      'model = "o3"  # keep this',
      '',
      '[mcp_servers.github]',
      'command = "gh"',
      '',
      '[mcp_servers.github.env]',
      'GH_HOST = "github.com"',
      '',
      '# profiles below',
      '[profiles.fast]',
      'model = "o4-mini"',
      '',
    ].join('\n');
    writeFileSync(file, before);
    const result = await config(['--client', 'codex', '--write']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Backed up ${file} to ${file}.bak-`);
    const table = (await config(['--client', 'codex'])).stdout;
    const at = before.indexOf('# profiles below');
    expect(readFileSync(file, 'utf8')).toBe(`${before.slice(0, at)}${table}\n${before.slice(at)}`);
    expect(readFileSync(join(codexHome, backupsOf(file)[0]!), 'utf8')).toBe(before);

    const again = await config(['--client', 'codex', '--write']);
    expect(again.stdout).toContain('already configured');
    expect(backupsOf(file)).toHaveLength(1);
  });

  it('refuses a config.toml that does not parse and changes nothing', async () => {
    const file = join(codexHome, 'config.toml');
    mkdirSync(codexHome);
    writeFileSync(file, 'model = "o3\n');
    const result = await config(['--client', 'codex', '--write']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`error[invalid_input]: ${file}:1:`);
    expect(readFileSync(file, 'utf8')).toBe('model = "o3\n');
    expect(backupsOf(file)).toEqual([]);
  });
});

describe('a written entry starts a working server', () => {
  /** Connects as a client would; a server that dies on the way fails the test with its stderr. */
  async function connect(entry: Entry, cwd: string, path: string): Promise<Client> {
    const client = new Client({ name: 'config-check', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      cwd,
      env: { PATH: path, HOME: home },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await client.connect(transport);
    } catch (error) {
      throw new Error(`${entry.command} ${entry.args.join(' ')} did not start: ${stderr}`, {
        cause: error,
      });
    }
    return client;
  }

  it('answers initialize and tools/list from the .mcp.json that --write made', async () => {
    expect((await config(['--client', 'claude-code', '--write'])).status).toBe(0);
    const entry = readJson(join(project, '.mcp.json')).mcpServers.bosun!;
    const client = await connect(entry, project, NODE_ONLY_PATH);
    try {
      expect(client.getServerVersion()?.name).toBe('bosun');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('task_next');
    } finally {
      await client.close();
    }
  });

  it('reaches the workspace from anywhere with the Claude Desktop entry', async () => {
    expect(
      (await config(['--client', 'claude-desktop', '--write', '--profile', 'full'])).status,
    ).toBe(0);
    const file = join(home, '.config', 'Claude', 'claude_desktop_config.json');
    const client = await connect(readJson(file).mcpServers.bosun!, home, NODE_ONLY_PATH);
    try {
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(20);
    } finally {
      await client.close();
    }
  });

  it('starts through a bare bosun on PATH, with the tools that --tools named', async () => {
    const bin = tempDir('bosun-path-');
    symlinkSync(realpathSync(BIN), join(bin, 'bosun'));
    const path = [bin, NODE_ONLY_PATH].join(delimiter);
    const args = ['--client', 'cursor', '--write', '--tools', 'task.next,note.add'];
    expect((await config(args, { path })).status).toBe(0);
    const entry = readJson(join(project, '.cursor', 'mcp.json')).mcpServers.bosun!;
    expect(entry).toEqual({ command: 'bosun', args: ['mcp', '--tools', 'task.next,note.add'] });
    const client = await connect(entry, project, path);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(
        expect.arrayContaining(['task_next', 'note_add']),
      );
      expect(tools.length).toBeLessThanOrEqual(4);
    } finally {
      await client.close();
    }
  });
});
