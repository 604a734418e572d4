/**
 * Human output: arrays of rows become aligned tables, objects become indented `key  value`
 * blocks with their lists as sub-tables. `--json` bypasses all of this and prints the operation's
 * output as it is.
 */

import type { CellColor, CliHints } from '../operations/catalog.js';

const MAX_CELL = 60;

const ANSI: Readonly<Record<CellColor, string>> = {
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
  gray: '\x1b[90m',
};
const RESET = '\x1b[0m';

export interface RenderOptions {
  /** Color the cells the operation's hints name (a terminal that has not asked for NO_COLOR). */
  readonly color?: boolean;
}

/**
 * Colors only on a terminal, never under NO_COLOR (https://no-color.org); FORCE_COLOR asks for
 * them where standard output is not a terminal (a pager, a test).
 */
export function wantsColor(
  env: Readonly<Record<string, string | undefined>>,
  interactive: boolean,
): boolean {
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return interactive;
}

type Row = Record<string, unknown>;

const isBlank = (value: unknown): boolean =>
  value === null || value === '' || (Array.isArray(value) && value.length === 0);

const isRow = (value: unknown): value is Row =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A column is `field` or `field:HEADER`. */
function splitColumn(column: string): [field: string, header: string] {
  const colon = column.indexOf(':');
  return colon < 0
    ? [column, column.toUpperCase()]
    : [column.slice(0, colon), column.slice(colon + 1)];
}

function cell(row: Row, field: string): string {
  if (field === 'changed' && isRow(row.changes)) return summarizeChanges(row.changes);
  return formatScalar(row[field]);
}

/** An audit entry's changed fields, or `(created)` / `(deleted)` for whole-record changes. */
function summarizeChanges(changes: Row): string {
  const entries = Object.entries(changes).filter(([key]) => key !== 'updatedAt');
  const all = (side: 'before' | 'after') => entries.every(([, c]) => isRow(c) && c[side] === null);
  if (entries.length > 1 && all('before')) return '(created)';
  if (entries.length > 1 && all('after')) return '(removed)';
  return formatScalar(entries.map(([key]) => key));
}

export function formatScalar(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(formatScalar).join(', ');
  if (isRow(value)) return JSON.stringify(value);
  const text = String(value).replace(/\s+/g, ' ');
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

export function renderTable(
  rows: readonly Row[],
  columns: readonly string[],
  empty = '(none)',
  colors?: CliHints['colors'],
): string {
  if (rows.length === 0) return empty;
  const split = columns.map(splitColumn);
  const headers = split.map(([, header]) => header);
  const cells = rows.map((row) => split.map(([field]) => cell(row, field)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  // Padding is measured on the plain text; the color codes wrap the padded cell.
  const paint = (row: Row | undefined, column: number, text: string): string => {
    const field = split[column]![0];
    const color = row && colors?.[field]?.[String(row[field])];
    return color === undefined ? text : `${ANSI[color]}${text}${RESET}`;
  };
  const line = (values: readonly string[], row?: Row) =>
    values
      .map((v, i) => paint(row, i, i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ');
  return [line(headers), ...cells.map((values, i) => line(values, rows[i]))].join('\n');
}

function defaultColumns(rows: readonly Row[]): string[] {
  const keys = Object.keys(rows[0] ?? {}).filter((key) => {
    const sample = rows[0]![key];
    return !/(^id$|Id$|At$)/.test(key) && (sample === null || typeof sample !== 'object');
  });
  return keys.slice(0, 6);
}

export function renderOutput(
  output: unknown,
  hints: CliHints,
  options: RenderOptions = {},
): string {
  const colors = options.color ? hints.colors : undefined;
  if (hints.text !== undefined && isRow(output) && typeof output[hints.text] === 'string') {
    return (output[hints.text] as string).replace(/\n$/, '');
  }
  if (Array.isArray(output)) {
    const rows = output.filter(isRow);
    return renderTable(rows, hints.columns ?? defaultColumns(rows), hints.empty, colors);
  }
  if (isRow(output) && hints.rows && Array.isArray(output[hints.rows])) {
    const rows = (output[hints.rows] as unknown[]).filter(isRow);
    const named = hints.columnsFrom === undefined ? undefined : output[hints.columnsFrom];
    const rest = Object.entries(output).filter(
      ([key, value]) =>
        key !== hints.rows && key !== hints.columnsFrom && !isBlank(value) && value !== false,
    );
    const columns = Array.isArray(named) ? named.map(String) : undefined;
    const table = renderTable(
      rows,
      hints.columns ?? columns ?? defaultColumns(rows),
      hints.empty,
      colors,
    );
    return rest.length === 0 ? table : `${table}\n${renderObject(Object.fromEntries(rest), 0)}`;
  }
  if (isRow(output) && hints.columns && !Object.values(output).some(isRow)) {
    // One record: the same one-row table its list shows.
    return renderTable([output], hints.columns, undefined, colors);
  }
  if (isRow(output)) return renderObject(output, 0);
  return formatScalar(output);
}

function renderObject(object: Row, depth: number): string {
  const indent = '  '.repeat(depth);
  // A person reading a record wants its content: ids of related records and empty fields are
  // noise here (--json has everything).
  const scalars = Object.entries(object).filter(
    ([k, v]) => !isRow(v) && !(Array.isArray(v) && v.some(isRow)) && !isBlank(v) && !/.Id$/.test(k),
  );
  const width = Math.max(0, ...scalars.map(([k]) => k.length));
  const lines: string[] = [];
  for (const [key, value] of scalars)
    lines.push(`${indent}${key.padEnd(width)}  ${formatMultiline(value, indent, width)}`);
  for (const [key, value] of Object.entries(object)) {
    if (isRow(value)) {
      lines.push(`${indent}${key}:`, renderObject(value, depth + 1));
    } else if (Array.isArray(value) && value.some(isRow)) {
      const rows = value.filter(isRow);
      lines.push(`${indent}${key}:`);
      lines.push(
        ...renderTable(rows, defaultColumns(rows))
          .split('\n')
          .map((l) => `${indent}  ${l}`),
      );
    }
  }
  return lines.join('\n');
}

function formatMultiline(value: unknown, indent: string, width: number): string {
  if (typeof value !== 'string' || !value.includes('\n')) {
    if (Array.isArray(value))
      return value.length === 0 ? '-' : value.map((v) => String(v)).join(', ');
    return value === null || value === '' ? '-' : String(value);
  }
  const pad = `${indent}${' '.repeat(width + 2)}`;
  return value.split('\n').join(`\n${pad}`);
}
