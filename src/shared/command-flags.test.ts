import { describe, expect, it } from 'vitest';
import {
  choiceFlag,
  integerFlag,
  listFlag,
  readCommandFlags,
  stringFlag,
} from './command-flags.js';

const spec = {
  command: 'serve',
  flags: { port: 'value', 'no-worker': 'boolean', origin: 'value', tools: 'value' },
} as const;

describe('readCommandFlags', () => {
  it('reads values (spaced or =), booleans, repeats and the global flags anywhere', () => {
    const flags = readCommandFlags(
      [
        '--port',
        '80',
        '--workspace=/w',
        '--no-worker',
        '--origin',
        'a',
        '--origin=b',
        '--as',
        'me',
      ],
      spec,
    );
    expect(integerFlag(flags, 'port', 0, 65_535)).toBe(80);
    expect(stringFlag(flags, 'workspace')).toBe('/w');
    expect(stringFlag(flags, 'as')).toBe('me');
    expect(flags.values['no-worker']).toBe(true);
    expect(flags.lists['origin']).toEqual(['a', 'b']);
    expect(flags.help).toBe(false);
    expect(readCommandFlags(['-h'], spec).help).toBe(true);
  });

  it('refuses unknown flags, bare words, missing values and values on booleans', () => {
    expect(() => readCommandFlags(['--prot', '1'], spec)).toThrow(
      "serve: unknown argument '--prot'; see 'bosun serve --help'",
    );
    expect(() => readCommandFlags(['now'], spec)).toThrow("unknown argument 'now'");
    expect(() => readCommandFlags(['--port'], spec)).toThrow('--port: needs a value');
    expect(() => readCommandFlags(['--port', '--no-worker'], spec)).toThrow('needs a value');
    expect(() => readCommandFlags(['--no-worker=yes'], spec)).toThrow('takes no value');
    expect(readCommandFlags(['a', 'b'], { ...spec, words: true }).words).toEqual(['a', 'b']);
  });

  it('checks numbers, choices and lists, naming the flag', () => {
    const read = (args: string[]) => readCommandFlags(args, spec);
    expect(() => integerFlag(read(['--port', '8.5']), 'port', 0, 9)).toThrow(
      "--port: must be a whole number from 0 to 9, not '8.5'",
    );
    expect(() => integerFlag(read(['--port', '10']), 'port', 0, 9)).toThrow('from 0 to 9');
    expect(() => choiceFlag(read(['--tools', 'x']), 'tools', ['a', 'b'])).toThrow(
      "--tools: must be a or b, not 'x'",
    );
    expect(listFlag(read(['--tools', 'a.b, c.d,,']), 'tools')).toEqual(['a.b', 'c.d']);
    expect(integerFlag(read([]), 'port', 0, 9)).toBeUndefined();
  });
});
