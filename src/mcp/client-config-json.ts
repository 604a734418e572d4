/**
 * Merges one server into a JSON client file (`.mcp.json`, `~/.claude.json`,
 * `claude_desktop_config.json`, Cursor's `mcp.json`) by editing its text: only the span of the
 * one `mcpServers` entry changes, so every other byte — keys, their order, numbers too large for
 * a double, indentation, line endings — stays as it was. Re-serializing the parsed document
 * would lose some of that, and `~/.claude.json` holds all of Claude Code's state. The result is
 * parsed again and compared with the intended document before anyone writes it.
 */

import { BosunError } from '../shared/errors.js';
import { parseJson } from '../shared/json.js';
import type { MergePlan, ServerEntry } from './client-config.js';
import {
  checkedEdit,
  isPlainRecord,
  jsonText,
  newlineOf,
  renderSnippet,
  sameData,
} from './client-config.js';

const BOM = '\uFEFF';

interface Member {
  readonly key: string;
  readonly keyStart: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

interface ObjectSpan {
  readonly open: number;
  readonly close: number;
  readonly members: readonly Member[];
}

/** Merges `entry` as `mcpServers[name]` into `text` (undefined: the file does not exist yet). */
export function mergeJsonServer(
  text: string | undefined,
  name: string,
  entry: ServerEntry,
  file: string,
): MergePlan {
  if (text === undefined) return { action: 'create', text: renderSnippet('json', name, entry) };
  const bom = text.startsWith(BOM) ? BOM : '';
  const body = text.slice(bom.length);
  const newline = newlineOf(body);
  if (body.trim() === '') {
    return {
      action: 'add',
      text: bom + renderSnippet('json', name, entry).replace(/\n/g, newline),
    };
  }
  const document = parseDocument(body, file);
  if (!isPlainRecord(document)) refuse(file, 'the top level is not a JSON object');
  const servers = Object.hasOwn(document, 'mcpServers') ? document.mcpServers : undefined;
  if (servers !== undefined && !isPlainRecord(servers)) {
    refuse(file, '"mcpServers" is not an object');
  }
  const previous =
    servers !== undefined && Object.hasOwn(servers, name) ? servers[name] : undefined;
  if (previous !== undefined && sameData(previous, entry)) return { action: 'unchanged', previous };

  const unit = indentUnit(body);
  const root = objectAt(body, skipSpace(body, 0));
  const serversMember = lastMember(root, 'mcpServers');
  let edited: string;
  if (serversMember === undefined) {
    edited = insertMember(body, root, 'mcpServers', { [name]: entry }, unit, newline);
  } else {
    const serversObject = objectAt(body, serversMember.valueStart);
    const entryMember = lastMember(serversObject, name);
    edited =
      entryMember === undefined
        ? insertMember(body, serversObject, name, entry, unit, newline)
        : replaceValue(body, entryMember, entry, unit, newline);
  }

  return checkedEdit({
    file,
    name,
    previous,
    text: bom + edited,
    parsed: JSON.parse(edited),
    expected: { ...document, mcpServers: { ...servers, [name]: entry } },
  });
}

function parseDocument(body: string, file: string): unknown {
  try {
    return parseJson(body, file);
  } catch (error) {
    if (!(error instanceof BosunError)) throw error;
    throw new BosunError(
      error.code,
      `${error.message}; bosun changed nothing — fix the file or move it aside, then run this again`,
      { details: { ...error.details, file } },
    );
  }
}

function refuse(file: string, rule: string): never {
  throw new BosunError(
    'invalid_input',
    `${file}: ${rule}; bosun changed nothing — fix the file or move it aside, then run this again`,
    { details: { field: file, rule } },
  );
}

/** JSON.parse keeps the last of duplicate keys, so the edit does too. */
function lastMember(object: ObjectSpan, key: string): Member | undefined {
  return object.members.findLast((member) => member.key === key);
}

function insertMember(
  text: string,
  object: ObjectSpan,
  key: string,
  value: unknown,
  unit: string,
  newline: string,
): string {
  const first = object.members[0];
  const last = object.members.at(-1);
  if (first === undefined || last === undefined) {
    const outer = lineIndent(text, object.open);
    const inner = outer + unit;
    const member = `${JSON.stringify(key)}: ${jsonText(value, inner, unit, newline)}`;
    return `${text.slice(0, object.open + 1)}${newline}${inner}${member}${newline}${outer}${text.slice(object.close)}`;
  }
  const member = onOwnLine(text, first.keyStart)
    ? `,${newline}${lineIndent(text, first.keyStart)}${JSON.stringify(key)}: ${jsonText(value, lineIndent(text, first.keyStart), unit, newline)}`
    : `, ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  return text.slice(0, last.valueEnd) + member + text.slice(last.valueEnd);
}

function replaceValue(
  text: string,
  member: Member,
  value: unknown,
  unit: string,
  newline: string,
): string {
  const replacement = onOwnLine(text, member.keyStart)
    ? jsonText(value, lineIndent(text, member.keyStart), unit, newline)
    : JSON.stringify(value);
  return text.slice(0, member.valueStart) + replacement + text.slice(member.valueEnd);
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

function lineIndent(text: string, at: number): string {
  return /^[ \t]*/.exec(text.slice(lineStart(text, at), at))![0];
}

function onOwnLine(text: string, at: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStart(text, at), at));
}

/** The file's indentation step: that of its first indented line, else two spaces. */
function indentUnit(text: string): string {
  const match = /\n([ \t]+)["{[]/.exec(text);
  return match?.[1] ?? '  ';
}

// A scanner over text that JSON.parse has already accepted: it only finds where things are.

function skipSpace(text: string, at: number): number {
  let i = at;
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  throw scanError(open);
}

function valueEnd(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return stringEnd(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const char = text[i];
      if (char === '"') i = stringEnd(text, i) - 1;
      else if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    throw scanError(start);
  }
  let i = start;
  while (i < text.length && !' \t\r\n,}]'.includes(text[i]!)) i++;
  return i;
}

function objectAt(text: string, open: number): ObjectSpan {
  if (text[open] !== '{') throw scanError(open);
  const members: Member[] = [];
  let i = skipSpace(text, open + 1);
  if (text[i] === '}') return { open, close: i, members };
  while (i < text.length) {
    const keyStart = i;
    const keyEnd = stringEnd(text, keyStart);
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const end = valueEnd(text, valueStart);
    members.push({ key, keyStart, valueStart, valueEnd: end });
    i = skipSpace(text, end);
    if (text[i] === '}') return { open, close: i, members };
    i = skipSpace(text, i + 1);
  }
  throw scanError(open);
}

function scanError(at: number): BosunError {
  return new BosunError('internal', `JSON scanner lost its place at offset ${at}`);
}
