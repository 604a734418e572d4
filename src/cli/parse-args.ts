/**
 * Turns the words after `bosun <noun> <verb>` into an operation's input object, using the flags
 * derived from its schema: `--kebab-case value`, `--flag=value`, `--flag` / `--no-flag` for
 * booleans, repeated flags for lists, positionals in the order the operation names, and JSON
 * fields given inline, as a file path, or `-` for standard input. Type errors name the flag;
 * value rules are left to the schema so every entry point reports them the same way.
 */

import { readFileSync } from 'node:fs';
import type { CliHints } from '../operations/catalog.js';
import { BosunError } from '../shared/errors.js';
import { parseJson } from '../shared/json.js';
import type { FieldDescriptor } from './schema-fields.js';

export interface ParseContext {
  readonly command: string;
  readonly fields: readonly FieldDescriptor[];
  readonly hints: CliHints;
  readonly readStdin: () => string;
}

function usageError(message: string, field: string, command: string): BosunError {
  return new BosunError('invalid_input', `${message}; see 'bosun ${command} --help'`, {
    details: { field, rule: message },
  });
}

export function parseOperationArgs(
  words: readonly string[],
  ctx: ParseContext,
): Record<string, unknown> {
  const byFlag = new Map(ctx.fields.map((f) => [f.flag, f]));
  const short = ctx.hints.short ?? {};
  const input: Record<string, unknown> = {};
  const positionals: string[] = [];

  const assign = (field: FieldDescriptor, raw: string, shown: string): void => {
    const value = convert(field, raw, shown, ctx);
    if (field.kind === 'pairs') {
      input[field.name] = {
        ...((input[field.name] as object | undefined) ?? {}),
        ...(value as object),
      };
    } else if (field.array) {
      const list = (input[field.name] as unknown[] | undefined) ?? [];
      if (Array.isArray(value)) list.push(...(value as unknown[]));
      else list.push(value);
      input[field.name] = list;
    } else if (field.name in input) {
      throw usageError(`${shown} given twice`, field.name, ctx.command);
    } else {
      input[field.name] = value;
    }
  };

  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--') {
      positionals.push(...words.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      let flag = eq > 0 ? word.slice(2, eq) : word.slice(2);
      let negated = false;
      const base = flag.startsWith('no-') ? byFlag.get(flag.slice(3)) : undefined;
      if (!byFlag.has(flag) && base && (base.kind === 'boolean' || base.nullable)) {
        flag = flag.slice(3);
        negated = true;
        if (base.kind !== 'boolean') {
          // --no-<flag> clears a nullable field.
          if (eq > 0) throw usageError(`--no-${flag} takes no value`, base.name, ctx.command);
          if (base.name in input) throw usageError(`--${flag} given twice`, base.name, ctx.command);
          input[base.name] = null;
          continue;
        }
      }
      const field = byFlag.get(flag);
      if (!field) throw usageError(`unknown flag --${flag}`, flag, ctx.command);
      if (field.kind === 'boolean' && !field.array && eq < 0) {
        assign(field, negated ? 'false' : 'true', `--${flag}`);
        continue;
      }
      const value = eq > 0 ? word.slice(eq + 1) : words[++i];
      if (value === undefined) throw usageError(`--${flag} needs a value`, field.name, ctx.command);
      assign(field, value, `--${flag}`);
    } else if (/^-[A-Za-z]$/.test(word)) {
      const name = short[word.slice(1)];
      const field = name ? ctx.fields.find((f) => f.name === name) : undefined;
      if (!field) throw usageError(`unknown flag ${word}`, word, ctx.command);
      if (field.kind === 'boolean') {
        assign(field, 'true', word);
        continue;
      }
      const value = words[++i];
      if (value === undefined) throw usageError(`${word} needs a value`, field.name, ctx.command);
      assign(field, value, word);
    } else {
      positionals.push(word);
    }
  }

  const slots = (ctx.hints.positional ?? []).map((name) =>
    ctx.fields.find((f) => f.name === name)!,
  );
  let slot = 0;
  for (const value of positionals) {
    // Fill the next slot not already given by flag; a list slot takes every remaining word.
    while (slot < slots.length && slots[slot]!.name in input && !slots[slot]!.array) slot++;
    const field = slots[slot];
    if (!field) throw usageError(`unexpected argument '${value}'`, '(arguments)', ctx.command);
    assign(field, value, field.flag);
    if (!field.array) slot++;
  }
  return input;
}

function convert(field: FieldDescriptor, raw: string, shown: string, ctx: ParseContext): unknown {
  switch (field.kind) {
    case 'string':
    case 'enum':
      return raw;
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || Number.isNaN(value))
        throw usageError(`${shown} must be a number, not '${raw}'`, field.name, ctx.command);
      return value;
    }
    case 'boolean':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw usageError(`${shown} must be true or false, not '${raw}'`, field.name, ctx.command);
    case 'json':
      return readJsonArgument(raw, shown, ctx.readStdin);
    case 'pairs':
      return readPair(raw, shown, ctx);
  }
}

/**
 * `key=value` (the value read as JSON when it is a JSON literal — `3`, `true`, `[1,2]`, `"x"` —
 * and as text otherwise), or a whole JSON object inline, from a file or from `-`.
 */
function readPair(raw: string, shown: string, ctx: ParseContext): Record<string, unknown> {
  const eq = raw.indexOf('=');
  const trimmed = raw.trim();
  if (eq <= 0 || trimmed.startsWith('{')) {
    const value = readJsonArgument(raw, shown, ctx.readStdin);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw usageError(`${shown} takes key=value or a JSON object`, shown, ctx.command);
    }
    return value as Record<string, unknown>;
  }
  const key = raw.slice(0, eq).trim();
  const text = raw.slice(eq + 1);
  let value: unknown = text;
  if (/^(-?\d|true$|false$|null$|["[{])/.test(text.trim())) {
    try {
      value = parseJson(text, `${shown} ${key}`);
    } catch {
      value = text;
    }
  }
  return { [key]: value };
}

/** Inline JSON, `-` for standard input, or a path to a JSON file (an optional leading @ is allowed). */
export function readJsonArgument(raw: string, source: string, readStdin: () => string): unknown {
  const text = raw.trim();
  if (text.startsWith('{') || text.startsWith('[')) return parseJson(text, source);
  if (text === '-') return parseJson(readStdin(), `${source} (standard input)`);
  const path = text.startsWith('@') ? text.slice(1) : text;
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BosunError(
      'not_found',
      `${source}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        details: { field: source, path },
      },
    );
  }
  return parseJson(content, path);
}
