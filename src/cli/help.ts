/** --help text, derived from the catalog like everything else in the CLI. */

import type { AnyOperation } from '../operations/catalog.js';
import type { FieldDescriptor } from './schema-fields.js';
import { describeFields } from './schema-fields.js';

export const GLOBAL_FLAGS = [
  ['--json', 'print the result as JSON (errors too, on stdout)'],
  [
    '--workspace DIR',
    'use the workspace in DIR (default: nearest .bosun/ upwards; env BOSUN_HOME)',
  ],
  ['--db PATH|URL', 'use this SQLite file or postgres:// database (env BOSUN_DB)'],
  ['--as NAME', 'who is acting, for the audit log (env BOSUN_ACTOR; default: OS user)'],
  ['-h, --help', 'help for any command'],
] as const;

export function nounOf(operation: AnyOperation): string {
  return operation.name.split('.')[0]!;
}

export function verbOf(operation: AnyOperation): string {
  return operation.name.split('.').slice(1).join('.');
}

function pad(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}  ${b}`);
}

export function overviewHelp(operations: readonly AnyOperation[], version: string): string {
  const nouns = [...new Set(operations.map(nounOf))];
  const lines = [
    `bosun ${version} — a local-first command center for crews of AI agents`,
    '',
    'Usage: bosun <noun> <verb> [arguments] [flags]',
    '',
    'Start:',
    ...pad([
      ['init', 'create a workspace (.bosun/) in this folder'],
      [
        'demo',
        'build a sample workspace in a temp folder and walk through plan → next → claim → done',
      ],
      ['export / import FILE', 'the whole workspace as JSON, and back'],
      ['operations', 'list every operation (what agents and the API call)'],
      ['call OP --input JSON', 'run any operation with a JSON input'],
      ['worker', 'execute steps of every run in the workspace until stopped'],
      ['mcp', 'serve the workspace to MCP clients over stdio (bosun mcp --help)'],
      ['serve', 'serve MCP over HTTP (/mcp, token required) and run a worker (bosun serve --help)'],
    ]),
    '',
    'Commands:',
  ];
  for (const noun of nouns) {
    const verbs = operations.filter((op) => nounOf(op) === noun);
    lines.push(...pad(verbs.map((op) => [`${noun} ${verbOf(op)}`, op.summary] as const)));
  }
  lines.push(
    '',
    'Global flags:',
    ...pad(GLOBAL_FLAGS),
    '',
    "Run 'bosun <noun> <verb> --help' for a command's flags and examples.",
  );
  return lines.join('\n');
}

export function nounHelp(noun: string, operations: readonly AnyOperation[]): string {
  const verbs = operations.filter((op) => nounOf(op) === noun);
  return [
    `Usage: bosun ${noun} <verb> [arguments] [flags]`,
    '',
    ...pad(
      verbs.map((op) => {
        const aliases = op.cli?.aliases?.length ? ` (${op.cli.aliases.join(', ')})` : '';
        return [`${verbOf(op)}${aliases}`, op.summary] as const;
      }),
    ),
  ].join('\n');
}

function flagLabel(field: FieldDescriptor, short: string | undefined): string {
  const value =
    field.kind === 'boolean'
      ? ''
      : field.kind === 'enum'
        ? ` ${field.values!.join('|')}`
        : field.kind === 'json'
          ? ' JSON|FILE|-'
          : field.kind === 'number'
            ? ' N'
            : ' TEXT';
  return `${short ? `-${short}, ` : ''}--${field.flag}${value}`;
}

export function operationHelp(operation: AnyOperation): string {
  const fields = describeFields(operation.input);
  const hints = operation.cli ?? {};
  const positional = hints.positional ?? [];
  const shortFor = new Map(
    Object.entries(hints.short ?? {}).map(([letter, name]) => [name, letter]),
  );
  const usage = positional
    .map((name) => {
      const field = fields.find((f) => f.name === name)!;
      const label = field.flag.toUpperCase() + (field.array ? '...' : '');
      return field.required ? label : `[${label}]`;
    })
    .join(' ');
  const rows = fields.map((field) => {
    const notes = [
      field.required ? 'required' : '',
      field.array ? 'repeatable' : '',
      field.nullable ? `--no-${field.flag} clears it` : '',
      positional.includes(field.name) ? 'or positional' : '',
    ].filter(Boolean);
    return [flagLabel(field, shortFor.get(field.name)), notes.join(', ')] as const;
  });
  const lines = [
    `${operation.summary}.`,
    '',
    `Usage: bosun ${nounOf(operation)} ${hints.bare ? `[${verbOf(operation)}]` : verbOf(operation)}${usage ? ` ${usage}` : ''} [flags]`,
  ];
  if (hints.aliases?.length)
    lines.push(`Aliases: ${hints.aliases.map((a) => `${nounOf(operation)} ${a}`).join(', ')}`);
  lines.push(
    `Operation: ${operation.name} (${operation.effects}); also 'bosun call ${operation.name} --input JSON'`,
  );
  if (rows.length > 0) lines.push('', 'Flags:', ...pad(rows));
  lines.push('', 'Global flags:', ...pad(GLOBAL_FLAGS));
  if (hints.examples?.length) lines.push('', 'Examples:', ...hints.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
