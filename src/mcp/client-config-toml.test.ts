import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import { catchError } from '../testing/catch-error.js';
import { mergeTomlServer, scanTableHeaders } from './client-config-toml.js';

const entry = { command: 'bosun', args: ['mcp', '--workspace', '/home/ada/shop'] };
const FILE = '/home/ada/.codex/config.toml';
const TABLE = [
  '[mcp_servers.bosun]',
  'command = "bosun"',
  'args = ["mcp", "--workspace", "/home/ada/shop"]',
  '',
].join('\n');

const merge = (text: string | undefined) => mergeTomlServer(text, 'bosun', entry, FILE);
const textOf = (text: string | undefined): string => {
  const plan = merge(text);
  if (plan.action === 'unchanged') throw new Error('expected a change');
  return plan.text;
};

describe('mergeTomlServer', () => {
  it('creates the file with the one table when there is none', () => {
    expect(merge(undefined)).toEqual({ action: 'create', text: TABLE });
    expect(textOf('')).toBe(TABLE);
  });

  it('adds the table after the last mcp_servers table, keeping every comment', () => {
    const before = [
      '# Codex settings',
      'model = "o3" # the default',
      '',
      '[mcp_servers.github]',
      'command = "gh"',
      '',
      '[mcp_servers.github.env]',
      'GH_HOST = "github.com"',
      '',
      '# comment about profiles',
      '[profiles.fast]',
      'model = "o4-mini"',
    ].join('\n');
    expect(textOf(before)).toBe(
      [
        '# Codex settings',
        'model = "o3" # the default',
        '',
        '[mcp_servers.github]',
        'command = "gh"',
        '',
        '[mcp_servers.github.env]',
        'GH_HOST = "github.com"',
        '',
        TABLE,
        '# comment about profiles',
        '[profiles.fast]',
        'model = "o4-mini"',
      ].join('\n'),
    );
  });

  it('adds the table at the end when there is no mcp_servers table', () => {
    expect(textOf('model = "o3"\n# last words\n')).toBe(`model = "o3"\n# last words\n\n${TABLE}`);
    expect(textOf('model = "o3"')).toBe(`model = "o3"\n\n${TABLE}`);
  });

  it('replaces the table and its sub-tables, wherever they are, and nothing else', () => {
    const before = [
      'model = "o3"',
      '',
      '# bosun, added by hand',
      '[mcp_servers.bosun] # old',
      'command = "node"',
      '# which bin',
      'args = ["/old/bin/bosun.js", "mcp"]',
      '',
      '# the next table keeps this comment',
      '[mcp_servers.other]',
      'command = "o"',
      '',
      "[mcp_servers.'bosun'.env]",
      'BOSUN_ACTOR = "codex"',
      '',
      '[profiles.fast]',
      'model = "o4-mini"',
      '',
    ].join('\n');
    const plan = merge(before);
    expect(plan).toMatchObject({
      action: 'replace',
      previous: {
        command: 'node',
        args: ['/old/bin/bosun.js', 'mcp'],
        env: { BOSUN_ACTOR: 'codex' },
      },
    });
    expect(textOf(before)).toBe(
      [
        'model = "o3"',
        '',
        '# bosun, added by hand',
        TABLE,
        '# the next table keeps this comment',
        '[mcp_servers.other]',
        'command = "o"',
        '',
        '',
        '[profiles.fast]',
        'model = "o4-mini"',
        '',
      ].join('\n'),
    );
  });

  it('finds nothing to do when the same table is there', () => {
    const before = `x = 1\n\n[mcp_servers."bosun"]\nargs = ${JSON.stringify(entry.args)}\ncommand = 'bosun'\n`;
    expect(merge(before)).toMatchObject({ action: 'unchanged', previous: entry });
  });

  it('keeps CRLF line endings and a byte order mark', () => {
    const before = '\uFEFFmodel = "o3"\r\n';
    expect(textOf(before)).toBe(`\uFEFFmodel = "o3"\r\n\r\n${TABLE.replace(/\n/g, '\r\n')}`);
  });

  it('refuses a file that is not TOML, naming the file and line', () => {
    const error = catchError(() => merge('model = "o3"\n[mcp_servers.bosun\n')) as BosunError;
    expect(error).toBeInstanceOf(BosunError);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toMatch(new RegExp(`^${FILE}:2:\\d+: not valid TOML`));
    expect(error.message).toContain('bosun changed nothing');
  });

  it('refuses an mcp_servers that is not a table', () => {
    const error = catchError(() => merge('mcp_servers = "none"\n')) as BosunError;
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('mcp_servers is not a table');
  });

  it('refuses to rewrite a differing server written inline or with dotted keys', () => {
    for (const text of [
      '[mcp_servers]\nbosun = { command = "old" }\n',
      '[mcp_servers]\nbosun.command = "old"\n',
      'mcp_servers.bosun.command = "old"\n',
    ]) {
      const error = catchError(() => merge(text)) as BosunError;
      expect(error.code).toBe('invalid_input');
      expect(error.message).toContain('inline or with dotted keys');
    }
  });

  it('adds a new table next to servers written inline', () => {
    const before = '[mcp_servers]\nother = { command = "o" }\n';
    expect(parse(textOf(before))).toEqual({
      mcp_servers: { other: { command: 'o' }, bosun: entry },
    });
  });
});

describe('scanTableHeaders', () => {
  it('does not take brackets in strings, comments and multi-line arrays for headers', () => {
    const text = [
      'a = """',
      '[not.a.header]',
      '"""',
      "b = '''",
      "[nor.this] '''",
      'c = [',
      '  ["x"], # [comment]',
      '  [ "y" ]',
      ']',
      'd = "[quoted]"',
      '  [ "mcp_servers" . "bo sun" ]  # a real one',
      'e = 1',
      '[[array.of.tables]]',
    ].join('\n');
    const headers = scanTableHeaders(text);
    expect(headers.map((header) => header.path)).toEqual([
      ['mcp_servers', 'bo sun'],
      ['array', 'of', 'tables'],
    ]);
    expect(text.slice(headers[0]!.start, headers[0]!.contentEnd)).toBe(
      '  [ "mcp_servers" . "bo sun" ]  # a real one\ne = 1\n',
    );
  });
});
