/**
 * Human output: arrays of rows become aligned tables, objects become indented `key  value`
 * blocks with their lists as sub-tables. `--json` bypasses all of this and prints the operation's
 * output as it is.
 */

import type { CliHints } from '../operations/catalog.js';

const MAX_CELL = 60;

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
): string {
  if (rows.length === 0) return empty;
  const split = columns.map(splitColumn);
  const headers = split.map(([, header]) => header);
  const cells = rows.map((row) => split.map(([field]) => cell(row, field)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}

function defaultColumns(rows: readonly Row[]): string[] {
  const keys = Object.keys(rows[0] ?? {}).filter((key) => {
    const sample = rows[0]![key];
    return !/(^id$|Id$|At$)/.test(key) && (sample === null || typeof sample !== 'object');
  });
  return keys.slice(0, 6);
}

export function renderOutput(output: unknown, hints: CliHints): string {
  if (hints.text !== undefined && isRow(output) && typeof output[hints.text] === 'string') {
    return (output[hints.text] as string).replace(/\n$/, '');
  }
  if (Array.isArray(output)) {
    const rows = output.filter(isRow);
    return renderTable(rows, hints.columns ?? defaultColumns(rows), hints.empty);
  }
  if (isRow(output) && hints.rows && Array.isArray(output[hints.rows])) {
    const rows = (output[hints.rows] as unknown[]).filter(isRow);
    const named = hints.columnsFrom === undefined ? undefined : output[hints.columnsFrom];
    const rest = Object.entries(output).filter(
      ([key, value]) =>
        key !== hints.rows && key !== hints.columnsFrom && !isBlank(value) && value !== false,
    );
    const columns = Array.isArray(named) ? named.map(String) : undefined;
    const table = renderTable(rows, hints.columns ?? columns ?? defaultColumns(rows), hints.empty);
    return rest.length === 0 ? table : `${table}\n${renderObject(Object.fromEntries(rest), 0)}`;
  }
  if (isRow(output) && hints.columns && !Object.values(output).some(isRow)) {
    // One record: the same one-row table its list shows.
    return renderTable([output], hints.columns);
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
