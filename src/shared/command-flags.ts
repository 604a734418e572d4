/**
 * Flags of the commands that are not derived from an operation (`bosun mcp`, `bosun serve`,
 * `bosun mcp config|servers`): `--flag value`, `--flag=value`, booleans, and the global
 * `--workspace`, `--db`, `--as` wherever they stand. Each command says which flags it takes; the
 * reader refuses anything else, naming the command and where its help is.
 */

import { BosunError } from './errors.js';

/** `boolean`: present or not; `value`: takes the next word (or `=value`). */
export type FlagKind = 'boolean' | 'value';

export interface CommandFlagSpec {
  /** `mcp servers`, as the command is typed after `bosun`. */
  readonly command: string;
  /** Flags by name without the dashes (`port`, `no-worker`); `help` and `-h` are always known. */
  readonly flags: Readonly<Record<string, FlagKind>>;
  /** Whether bare words are taken (as `words`); otherwise a bare word is refused. */
  readonly words?: boolean;
}

export interface CommandFlags {
  /** The value of each `value` flag given (the last one wins), `true` for each boolean given. */
  readonly values: Readonly<Record<string, string | true>>;
  /** Every value of each `value` flag, in order (for repeatable flags). */
  readonly lists: Readonly<Record<string, readonly string[]>>;
  readonly words: readonly string[];
  readonly help: boolean;
}

/** The global flags every command takes. */
export const GLOBAL_FLAGS: Readonly<Record<string, FlagKind>> = {
  workspace: 'value',
  db: 'value',
  as: 'value',
};

export function readCommandFlags(argv: readonly string[], spec: CommandFlagSpec): CommandFlags {
  const known: Record<string, FlagKind> = { ...GLOBAL_FLAGS, ...spec.flags };
  const values: Record<string, string | true> = {};
  const lists: Record<string, string[]> = {};
  const words: string[] = [];
  let help = false;
  const rest = [...argv];
  while (rest.length > 0) {
    const word = rest.shift()!;
    if (word === '--help' || word === '-h') {
      help = true;
      continue;
    }
    if (!word.startsWith('-')) {
      if (!spec.words) throw unknownArgument(spec.command, word);
      words.push(word);
      continue;
    }
    const [flag, inline] = word.includes('=') ? word.split(/=(.*)/s, 2) : [word, undefined];
    const name = flag!.replace(/^--?/, '');
    const kind = flag!.startsWith('--') ? known[name] : undefined;
    if (kind === undefined) throw unknownArgument(spec.command, flag!);
    if (kind === 'boolean') {
      if (inline !== undefined) {
        throw flagError(name, `takes no value (drop '=${inline}')`);
      }
      values[name] = true;
      continue;
    }
    const value = inline ?? rest.shift();
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      throw flagError(name, 'needs a value');
    }
    values[name] = value;
    (lists[name] ??= []).push(value);
  }
  return { values, lists, words, help };
}

export function flagError(name: string, rule: string): BosunError {
  return new BosunError('invalid_input', `--${name}: ${rule}`, { details: { field: name, rule } });
}

function unknownArgument(command: string, word: string): BosunError {
  return new BosunError(
    'invalid_input',
    `${command}: unknown argument '${word}'; see 'bosun ${command} --help'`,
    { details: { field: 'arguments' } },
  );
}

/** A string flag's value, or undefined when the flag was not given. */
export function stringFlag(flags: CommandFlags, name: string): string | undefined {
  const value = flags.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** One of `choices`, refused with the list otherwise. */
export function choiceFlag<T extends string>(
  flags: CommandFlags,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw flagError(name, `must be ${choices.join(' or ')}, not '${value}'`);
  }
  return value as T;
}

/** A whole number from `min` to `max`. */
export function integerFlag(
  flags: CommandFlags,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw flagError(name, `must be a whole number from ${min} to ${max}, not '${text}'`);
  }
  return value;
}

/** `--tools a.b,c.d` as a list of names. */
export function listFlag(flags: CommandFlags, name: string): string[] | undefined {
  return stringFlag(flags, name)
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
