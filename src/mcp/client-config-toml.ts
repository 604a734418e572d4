/**
 * Merges one server into Codex's `config.toml` by editing its text: the `[mcp_servers.NAME]`
 * table and its sub-tables (`[mcp_servers.NAME.env]`…) are replaced, or a new table is added
 * after the last `mcp_servers` table (else at the end). Every other table, key, comment and blank
 * line stays byte for byte; TOML libraries cannot write a document back with its comments. The
 * result is parsed with smol-toml and compared with the intended document before anyone writes it.
 */

import type { TomlTable } from 'smol-toml';
import { parse as parseToml, TomlError } from 'smol-toml';
import { BosunError } from '../shared/errors.js';
import type { MergePlan, ServerEntry } from './client-config.js';
import {
  checkedEdit,
  isPlainRecord,
  newlineOf,
  sameData,
  tomlServerTable,
} from './client-config.js';

const BOM = '\uFEFF';

/** A `[table]` or `[[array.of.tables]]` header line. */
interface TableHeader {
  readonly path: readonly string[];
  /** Where its line starts. */
  readonly start: number;
  /**
   * Where its content ends: after the line break of its last line holding a key or the header.
   * Blank and comment lines after that belong to whatever follows, so they stay.
   */
  contentEnd: number;
}

/** Merges `entry` as `[mcp_servers.NAME]` into `text` (undefined: the file does not exist yet). */
export function mergeTomlServer(
  text: string | undefined,
  name: string,
  entry: ServerEntry,
  file: string,
): MergePlan {
  if (text === undefined) return { action: 'create', text: tomlServerTable(name, entry) };
  const bom = text.startsWith(BOM) ? BOM : '';
  const body = text.slice(bom.length);
  const newline = newlineOf(body);
  const document = parseDocument(body, file);
  const servers = Object.hasOwn(document, 'mcp_servers') ? document.mcp_servers : undefined;
  if (servers !== undefined && !isPlainRecord(servers)) {
    refuse(file, 'mcp_servers is not a table');
  }
  const previous =
    servers !== undefined && Object.hasOwn(servers, name) ? servers[name] : undefined;
  if (previous !== undefined && sameData(previous, entry)) return { action: 'unchanged', previous };

  const headers = scanTableHeaders(body);
  const ours = headers.filter((h) => h.path[0] === 'mcp_servers' && h.path[1] === name);
  const table = tomlServerTable(name, entry, newline);
  let edited: string;
  if (previous !== undefined) {
    if (!ours.some((h) => h.path.length === 2)) {
      refuse(
        file,
        `the "${name}" server is written inline or with dotted keys, which bosun does not rewrite; edit it by hand or remove it`,
      );
    }
    edited = replaceTables(body, ours, table);
  } else {
    const after = headers.findLast((h) => h.path[0] === 'mcp_servers');
    edited = after === undefined ? appendTable(body, table, newline) : insertAt(body, after, table);
  }

  return checkedEdit({
    file,
    name,
    previous,
    text: bom + edited,
    parsed: parseToml(edited, { integersAsBigInt: 'asNeeded' }),
    expected: { ...document, mcp_servers: { ...servers, [name]: entry } },
  });
}

function parseDocument(body: string, file: string): TomlTable {
  try {
    return parseToml(body, { integersAsBigInt: 'asNeeded' });
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new BosunError(
      'invalid_input',
      `${file}:${error.line}:${error.column}: not valid TOML (${reason}); bosun changed nothing — fix the file or move it aside, then run this again`,
      { details: { field: file, rule: 'valid TOML', line: error.line, column: error.column } },
    );
  }
}

function refuse(file: string, rule: string): never {
  throw new BosunError('invalid_input', `${file}: ${rule}; bosun changed nothing`, {
    details: { field: file, rule },
  });
}

/** Removes every span of `tables` and puts `replacement` where the first one was. */
function replaceTables(text: string, tables: readonly TableHeader[], replacement: string): string {
  let result = '';
  let at = 0;
  tables.forEach((table, index) => {
    result += text.slice(at, table.start) + (index === 0 ? replacement : '');
    at = table.contentEnd;
  });
  return result + text.slice(at);
}

function insertAt(text: string, after: TableHeader, table: string): string {
  const at = after.contentEnd;
  const head = text.slice(0, at);
  const newline = newlineOf(text);
  const separator = head.endsWith('\n') ? newline : newline + newline;
  return head + separator + table + text.slice(at);
}

function appendTable(text: string, table: string, newline: string): string {
  if (text.trim() === '') return text + table;
  const separator = text.endsWith('\n') ? newline : newline + newline;
  return text + separator + table;
}

/**
 * Finds the table headers of a document smol-toml has already accepted, skipping everything a
 * header could hide in: strings (one-line and multi-line), comments, and arrays or inline tables
 * that span lines.
 */
export function scanTableHeaders(text: string): TableHeader[] {
  const headers: TableHeader[] = [];
  let depth = 0;
  let lineBegins = true;
  let i = 0;
  const close = (end: number) => {
    const last = headers.at(-1);
    if (last !== undefined) last.contentEnd = end;
  };
  while (i < text.length) {
    if (lineBegins && depth === 0) {
      const lineStart = i;
      while (text[i] === ' ' || text[i] === '\t') i++;
      const first = text[i];
      if (first === undefined) break;
      if (first === '\n' || first === '\r' || first === '#') {
        i = lineEnd(text, i);
        continue;
      }
      if (first === '[') {
        const { path, end } = headerPath(text, i);
        i = lineEnd(text, end);
        headers.push({ path, start: lineStart, contentEnd: i });
        continue;
      }
      lineBegins = false;
    }
    const char = text[i]!;
    if (char === '#') {
      i = text.indexOf('\n', i);
      if (i < 0) i = text.length;
    } else if (text.startsWith('"""', i)) {
      i = multilineEnd(text, i, '"""', true);
    } else if (text.startsWith("'''", i)) {
      i = multilineEnd(text, i, "'''", false);
    } else if (char === '"') {
      i = quotedEnd(text, i, '"', true);
    } else if (char === "'") {
      i = quotedEnd(text, i, "'", false);
    } else {
      if (char === '[' || char === '{') depth++;
      else if (char === ']' || char === '}') depth--;
      else if (char === '\n' && depth === 0) {
        lineBegins = true;
        close(i + 1);
      }
      i++;
    }
  }
  if (!lineBegins) close(text.length);
  return headers;
}

/** The index after the line break ending the line that `at` is on (or the end of the text). */
function lineEnd(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end < 0 ? text.length : end + 1;
}

function quotedEnd(text: string, open: number, quote: string, escapes: boolean): number {
  for (let i = open + 1; i < text.length; i++) {
    if (escapes && text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}

/** A multi-line string's closing delimiter may carry up to two more quotes of its content. */
function multilineEnd(text: string, open: number, delimiter: string, escapes: boolean): number {
  for (let i = open + 3; i < text.length; i++) {
    if (escapes && text[i] === '\\') i++;
    else if (text.startsWith(delimiter, i)) {
      let end = i + 3;
      for (let extra = 0; extra < 2 && text[end] === delimiter[0]; extra++) end++;
      return end;
    }
  }
  return text.length;
}

/** The dotted key of the header that starts at `open` (`[a."b c".d]`, `[[a.b]]`). */
function headerPath(text: string, open: number): { path: string[]; end: number } {
  const path: string[] = [];
  let i = open + (text[open + 1] === '[' ? 2 : 1);
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    const char = text[i];
    if (char === '"' || char === "'") {
      const end = quotedEnd(text, i, char, char === '"');
      path.push(decodeQuotedKey(text.slice(i, end)));
      i = end;
    } else {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_-]/.test(text[i]!)) i++;
      path.push(text.slice(start, i));
    }
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '.') return { path, end: i };
    i++;
  }
}

/** Quoted keys decode the way TOML strings do; smol-toml knows every escape. */
function decodeQuotedKey(quoted: string): string {
  return Object.keys(parseToml(`${quoted} = 0`))[0]!;
}
