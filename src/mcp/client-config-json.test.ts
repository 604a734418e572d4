import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import { catchError } from '../testing/catch-error.js';
import { mergeJsonServer } from './client-config-json.js';

const entry = { command: 'bosun', args: ['mcp', '--workspace', '/home/ada/shop'] };
const FILE = '/home/ada/.claude.json';

const merge = (text: string | undefined) => mergeJsonServer(text, 'bosun', entry, FILE);
const textOf = (text: string | undefined): string => {
  const plan = merge(text);
  if (plan.action === 'unchanged') throw new Error('expected a change');
  return plan.text;
};

describe('mergeJsonServer', () => {
  it('creates the whole file when there is none', () => {
    expect(merge(undefined)).toEqual({
      action: 'create',
      text: [
        '{',
        '  "mcpServers": {',
        '    "bosun": {',
        '      "command": "bosun",',
        '      "args": ["mcp", "--workspace", "/home/ada/shop"]',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
  });

  it('adds the server after the others, leaving every other byte as it was', () => {
    const before = [
      '{',
      '    "numStartups": 12345678901234567890,',
      '    "theme": "dark",',
      '    "mcpServers": {',
      '        "github": { "command": "gh", "args": ["mcp"] }',
      '    },',
      '    "projects": {"/home/ada/shop": {"allowedTools": []}}',
      '}',
    ].join('\n');
    const plan = merge(before);
    expect(plan.action).toBe('add');
    expect(textOf(before)).toBe(
      [
        '{',
        '    "numStartups": 12345678901234567890,',
        '    "theme": "dark",',
        '    "mcpServers": {',
        '        "github": { "command": "gh", "args": ["mcp"] },',
        '        "bosun": {',
        '            "command": "bosun",',
        '            "args": ["mcp", "--workspace", "/home/ada/shop"]',
        '        }',
        '    },',
        '    "projects": {"/home/ada/shop": {"allowedTools": []}}',
        '}',
      ].join('\n'),
    );
  });

  it('adds mcpServers as the last key when the file has none', () => {
    const before = '{\n  "theme": "dark",\n  "2": "an integer-like key stays where it is"\n}\n';
    expect(textOf(before)).toBe(
      [
        '{',
        '  "theme": "dark",',
        '  "2": "an integer-like key stays where it is",',
        '  "mcpServers": {',
        '    "bosun": {',
        '      "command": "bosun",',
        '      "args": ["mcp", "--workspace", "/home/ada/shop"]',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('fills an empty object and an empty mcpServers', () => {
    expect(JSON.parse(textOf('{}'))).toEqual({ mcpServers: { bosun: entry } });
    expect(textOf('{\n  "mcpServers": {}\n}\n')).toBe(
      [
        '{',
        '  "mcpServers": {',
        '    "bosun": {',
        '      "command": "bosun",',
        '      "args": ["mcp", "--workspace", "/home/ada/shop"]',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('treats an empty file as an empty document', () => {
    expect(merge('  \n')).toMatchObject({ action: 'add' });
    expect(JSON.parse(textOf(''))).toEqual({ mcpServers: { bosun: entry } });
  });

  it('keeps a minified file on one line', () => {
    expect(textOf('{"a":1,"mcpServers":{"x":{"command":"x"}}}')).toBe(
      `{"a":1,"mcpServers":{"x":{"command":"x"}, "bosun": ${JSON.stringify(entry)}}}`,
    );
  });

  it('replaces only the value of an existing entry that differs', () => {
    const before = [
      '{',
      '\t"mcpServers": {',
      '\t\t"bosun": {"command": "bosun", "args": ["mcp"], "env": {"A": "1"}},',
      '\t\t"other": {"command": "o"}',
      '\t},',
      '\t"after": [1, 2.50, 1e3]',
      '}',
    ].join('\r\n');
    const plan = merge(before);
    expect(plan).toMatchObject({
      action: 'replace',
      previous: { command: 'bosun', args: ['mcp'], env: { A: '1' } },
    });
    expect(textOf(before)).toBe(
      [
        '{',
        '\t"mcpServers": {',
        '\t\t"bosun": {',
        '\t\t\t"command": "bosun",',
        '\t\t\t"args": ["mcp", "--workspace", "/home/ada/shop"]',
        '\t\t},',
        '\t\t"other": {"command": "o"}',
        '\t},',
        '\t"after": [1, 2.50, 1e3]',
        '}',
      ].join('\r\n'),
    );
  });

  it('edits the entry JSON.parse reads when a key appears twice', () => {
    const before = '{"mcpServers": {"bosun": {"command": "old"}, "bosun": {"command": "older"}}}';
    expect(textOf(before)).toBe(
      `{"mcpServers": {"bosun": {"command": "old"}, "bosun": ${JSON.stringify(entry)}}}`,
    );
  });

  it('finds nothing to do when the same entry is there, whatever its key order', () => {
    const before = `{"mcpServers": {"bosun": {"args": ${JSON.stringify(entry.args)}, "command": "bosun"}}}`;
    expect(merge(before)).toEqual({ action: 'unchanged', previous: entry });
  });

  it('keeps a byte order mark', () => {
    expect(textOf('\uFEFF{"a": 1}').startsWith('\uFEFF{"a": 1, "mcpServers": ')).toBe(true);
  });

  it('refuses a file that is not JSON, naming the file', () => {
    const error = catchError(() => merge('{"mcpServers": {},}')) as BosunError;
    expect(error).toBeInstanceOf(BosunError);
    expect(error.code).toBe('invalid_json');
    expect(error.message).toContain(FILE);
    expect(error.message).toContain('bosun changed nothing');
  });

  it('refuses JSON whose top level or mcpServers is not an object', () => {
    for (const text of ['[]', '"x"', '{"mcpServers": []}', '{"mcpServers": null}']) {
      const error = catchError(() => merge(text)) as BosunError;
      expect(error.code).toBe('invalid_input');
      expect(error.message).toContain(FILE);
    }
  });

  it('adds or replaces the entry in any document and leaves the rest equal', () => {
    const servers = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 6 }),
      fc.record({ command: fc.string(), args: fc.array(fc.string(), { maxLength: 3 }) }),
      { maxKeys: 3 },
    );
    const documents = fc.record(
      {
        settings: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
          maxKeys: 4,
        }),
        mcpServers: servers,
      },
      { requiredKeys: ['settings'] },
    );
    fc.assert(
      fc.property(
        documents,
        fc.constantFrom<string | number>(0, 2, 4, '\t'),
        fc.boolean(),
        (generated, indent, withOurs) => {
          const document: Record<string, unknown> = { ...generated.settings };
          if (generated.mcpServers !== undefined || withOurs) {
            document.mcpServers = {
              ...generated.mcpServers,
              ...(withOurs ? { bosun: { command: 'old' } } : {}),
            };
          }
          const text = JSON.stringify(document, null, indent);
          const merged = JSON.parse(textOf(text)) as Record<string, unknown>;
          const { mcpServers, ...rest } = merged;
          const { mcpServers: _before, ...restBefore } = JSON.parse(text) as Record<
            string,
            unknown
          >;
          expect(rest).toEqual(restBefore);
          expect(mcpServers).toEqual({ ...(_before as object | undefined), bosun: entry });
        },
      ),
      { numRuns: 300 },
    );
  });
});
