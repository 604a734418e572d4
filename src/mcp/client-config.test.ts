import { describe, expect, it } from 'vitest';
import type { ConfigLocationOptions, LauncherOptions } from './client-config.js';
import {
  addCommandLine,
  buildServerEntry,
  configFilePath,
  renderEntry,
  renderSnippet,
  resolveLauncher,
  sameData,
  shellQuote,
  startsInProject,
} from './client-config.js';

const linux: ConfigLocationOptions = {
  projectDir: '/home/ada/shop',
  home: '/home/ada',
  platform: 'linux',
  env: {},
};

describe('configFilePath', () => {
  it('puts project-scope files in the project folder', () => {
    expect(configFilePath('claude-code', 'project', linux)).toBe('/home/ada/shop/.mcp.json');
    expect(configFilePath('cursor', 'project', linux)).toBe('/home/ada/shop/.cursor/mcp.json');
  });

  it('puts user-scope files in the home folder', () => {
    expect(configFilePath('claude-code', 'user', linux)).toBe('/home/ada/.claude.json');
    expect(configFilePath('cursor', 'user', linux)).toBe('/home/ada/.cursor/mcp.json');
  });

  it("finds Codex's config.toml in CODEX_HOME, else in ~/.codex", () => {
    expect(configFilePath('codex', 'user', linux)).toBe('/home/ada/.codex/config.toml');
    expect(configFilePath('codex', 'user', { ...linux, env: { CODEX_HOME: '/srv/codex' } })).toBe(
      '/srv/codex/config.toml',
    );
    expect(configFilePath('codex', 'user', { ...linux, env: { CODEX_HOME: '' } })).toBe(
      '/home/ada/.codex/config.toml',
    );
  });

  it("finds Claude Desktop's file where each platform keeps application data", () => {
    expect(configFilePath('claude-desktop', 'user', linux)).toBe(
      '/home/ada/.config/Claude/claude_desktop_config.json',
    );
    expect(
      configFilePath('claude-desktop', 'user', { ...linux, env: { XDG_CONFIG_HOME: '/cfg' } }),
    ).toBe('/cfg/Claude/claude_desktop_config.json');
    expect(
      configFilePath('claude-desktop', 'user', {
        ...linux,
        home: '/Users/ada',
        platform: 'darwin',
      }),
    ).toBe('/Users/ada/Library/Application Support/Claude/claude_desktop_config.json');
    const windows: ConfigLocationOptions = {
      projectDir: 'C:\\src\\shop',
      home: 'C:\\Users\\ada',
      platform: 'win32',
      env: { APPDATA: 'D:\\Roaming' },
    };
    expect(configFilePath('claude-desktop', 'user', windows)).toBe(
      'D:\\Roaming\\Claude\\claude_desktop_config.json',
    );
    expect(configFilePath('claude-desktop', 'user', { ...windows, env: {} })).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
    );
  });
});

describe('startsInProject', () => {
  it('is true only for the project scope of Claude Code and Cursor', () => {
    expect(startsInProject('claude-code', 'project')).toBe(true);
    expect(startsInProject('cursor', 'project')).toBe(true);
    expect(startsInProject('claude-code', 'user')).toBe(false);
    expect(startsInProject('cursor', 'user')).toBe(false);
    expect(startsInProject('claude-desktop', 'user')).toBe(false);
    expect(startsInProject('codex', 'user')).toBe(false);
  });
});

describe('resolveLauncher', () => {
  const files: Record<string, string> = {
    '/opt/bosun/bin/bosun.js': '/opt/bosun/bin/bosun.js',
    '/usr/local/bin/bosun': '/opt/bosun/bin/bosun.js',
    '/other/bin/bosun': '/other/lib/bosun/bin/bosun.js',
  };
  const options: LauncherOptions = {
    binPath: '/opt/bosun/bin/bosun.js',
    nodePath: '/usr/bin/node',
    pathEnv: '/usr/bin:/usr/local/bin',
    platform: 'linux',
    allowPathCommand: true,
    realpath: (path) => files[path],
  };
  const absolute = { command: '/usr/bin/node', args: ['/opt/bosun/bin/bosun.js'] };

  it('uses a bare bosun when the first bosun on PATH is this installation', () => {
    expect(resolveLauncher(options)).toEqual({ command: 'bosun', args: [] });
  });

  it('uses node and the bin path when the first bosun on PATH is another installation', () => {
    expect(resolveLauncher({ ...options, pathEnv: '/other/bin:/usr/local/bin' })).toEqual(absolute);
  });

  it('uses node and the bin path when no bosun is on PATH', () => {
    expect(resolveLauncher({ ...options, pathEnv: '/usr/bin' })).toEqual(absolute);
    expect(resolveLauncher({ ...options, pathEnv: undefined })).toEqual(absolute);
  });

  it('uses node and the bin path for clients without the shell PATH, and on Windows', () => {
    expect(resolveLauncher({ ...options, allowPathCommand: false })).toEqual(absolute);
    expect(resolveLauncher({ ...options, platform: 'win32' })).toEqual(absolute);
  });
});

describe('buildServerEntry', () => {
  const launcher = { command: 'bosun', args: [] };

  it('leaves out --workspace when the client starts the server in the project folder', () => {
    expect(buildServerEntry({ launcher, workspace: '/home/ada/shop', inProject: true })).toEqual({
      command: 'bosun',
      args: ['mcp'],
    });
  });

  it('names the workspace for clients started elsewhere', () => {
    expect(
      buildServerEntry({
        launcher: { command: '/usr/bin/node', args: ['/opt/bosun/bin/bosun.js'] },
        workspace: '/home/ada/shop',
        inProject: false,
      }),
    ).toEqual({
      command: '/usr/bin/node',
      args: ['/opt/bosun/bin/bosun.js', 'mcp', '--workspace', '/home/ada/shop'],
    });
  });

  it('adds only the flags that differ from the server defaults', () => {
    const base = { launcher, workspace: '/w', inProject: true };
    expect(buildServerEntry({ ...base, profile: 'core' }).args).toEqual(['mcp']);
    expect(
      buildServerEntry({ ...base, profile: 'full', as: 'cursor-bot', db: '/data/b.db' }).args,
    ).toEqual(['mcp', '--db', '/data/b.db', '--profile', 'full', '--as', 'cursor-bot']);
    expect(buildServerEntry({ ...base, tools: 'task.next,note.add' }).args).toEqual([
      'mcp',
      '--tools',
      'task.next,note.add',
    ]);
  });
});

describe('snippets', () => {
  const entry = { command: 'bosun', args: ['mcp', '--workspace', '/home/ada/my shop'] };

  it('renders a whole JSON file with the mcpServers object', () => {
    expect(renderSnippet('json', 'bosun', entry)).toBe(
      [
        '{',
        '  "mcpServers": {',
        '    "bosun": {',
        '      "command": "bosun",',
        '      "args": ["mcp", "--workspace", "/home/ada/my shop"]',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('renders the TOML table of Codex', () => {
    expect(renderSnippet('toml', 'bosun', entry)).toBe(
      [
        '[mcp_servers.bosun]',
        'command = "bosun"',
        'args = ["mcp", "--workspace", "/home/ada/my shop"]',
        '',
      ].join('\n'),
    );
  });

  it('renders an entry of any shape in TOML, sub-tables included', () => {
    const text = renderEntry('toml', 'bosun', { command: 'x', env: { A: '1' } });
    expect(text).toContain('[mcp_servers.bosun]');
    expect(text).toContain('[mcp_servers.bosun.env]');
  });

  it("writes the clients' own add commands, quoted for a shell", () => {
    expect(addCommandLine('claude-code', 'project', 'bosun', entry)).toBe(
      "claude mcp add --scope project bosun -- bosun mcp --workspace '/home/ada/my shop'",
    );
    expect(addCommandLine('codex', 'user', 'bosun', entry)).toBe(
      "codex mcp add bosun -- bosun mcp --workspace '/home/ada/my shop'",
    );
    expect(addCommandLine('cursor', 'project', 'bosun', entry)).toBeUndefined();
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('sameData', () => {
  it('compares objects by content whatever their key order and prototype', () => {
    const table = Object.assign(Object.create(null) as object, { args: ['mcp'], command: 'b' });
    expect(sameData(table, { command: 'b', args: ['mcp'] })).toBe(true);
    expect(sameData({ command: 'b', args: ['mcp'] }, { command: 'b', args: ['mcp', 'x'] })).toBe(
      false,
    );
    expect(sameData({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameData(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(sameData(new Date(0), new Date(0))).toBe(true);
    expect(sameData(null, {})).toBe(false);
  });
});
