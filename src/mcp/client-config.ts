/**
 * Where each MCP client keeps its server list, and the entry that points it at `bosun mcp`: the
 * pure half of `bosun mcp config` (the command does the reading and writing). The formats and
 * locations come from the clients' own documentation:
 *
 * - Claude Code (code.claude.com/docs/en/mcp, "MCP installation scopes"): project scope is
 *   `.mcp.json` at the project root, user scope is `~/.claude.json`; both hold
 *   `{ "mcpServers": { NAME: { "command", "args", "env" } } }`, and `claude mcp add --scope
 *   project|user NAME -- COMMAND ARGS…` writes the same entry. Claude Code starts project servers
 *   in the project folder.
 * - Claude Desktop (modelcontextprotocol.io quickstart, "For Claude Desktop users"):
 *   `claude_desktop_config.json` with the same `mcpServers` object, in `~/Library/Application
 *   Support/Claude/` on macOS, `%APPDATA%\Claude\` on Windows, and Electron's appData folder on
 *   Linux (`$XDG_CONFIG_HOME/Claude/`, else `~/.config/Claude/`). It is a GUI app: it starts
 *   servers with no useful working directory and without the login shell's PATH, so its entry
 *   always uses absolute paths.
 * - Cursor (cursor.com/docs/mcp): `.cursor/mcp.json` in the project, `~/.cursor/mcp.json` for
 *   every project, the same `mcpServers` object; project servers start in the project folder.
 * - Codex (developers.openai.com/codex/mcp, openai/codex docs/config.md): `config.toml` in
 *   `$CODEX_HOME`, default `~/.codex`, one `[mcp_servers.NAME]` table with `command`, `args`,
 *   `env` (a `[mcp_servers.NAME.env]` sub-table), `cwd`, timeouts…; `codex mcp add NAME --
 *   COMMAND ARGS…` writes it. Server names must match `^[a-zA-Z0-9_-]+$`.
 */

import { posix, win32 } from 'node:path';
import type { TomlTable } from 'smol-toml';
import { stringify as stringifyToml } from 'smol-toml';
import { BosunError } from '../shared/errors.js';

export const MCP_CLIENTS = ['claude-code', 'claude-desktop', 'cursor', 'codex'] as const;
export type McpClient = (typeof MCP_CLIENTS)[number];

export const CONFIG_SCOPES = ['project', 'user'] as const;
export type ConfigScope = (typeof CONFIG_SCOPES)[number];

export type ConfigFormat = 'json' | 'toml';

export interface ClientSpec {
  readonly label: string;
  readonly format: ConfigFormat;
  /** The scopes the client has, the default first. */
  readonly scopes: readonly [ConfigScope, ...ConfigScope[]];
}

export const CLIENT_SPECS: Readonly<Record<McpClient, ClientSpec>> = {
  'claude-code': { label: 'Claude Code', format: 'json', scopes: ['project', 'user'] },
  'claude-desktop': { label: 'Claude Desktop', format: 'json', scopes: ['user'] },
  cursor: { label: 'Cursor', format: 'json', scopes: ['project', 'user'] },
  codex: { label: 'Codex', format: 'toml', scopes: ['user'] },
};

export function isMcpClient(value: string): value is McpClient {
  return (MCP_CLIENTS as readonly string[]).includes(value);
}

/** Codex's rule for server names, which suits every client (no quoting in TOML or shells). */
export const SERVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** One stdio server as every one of the four clients writes it. */
export interface ServerEntry {
  readonly command: string;
  readonly args: readonly string[];
}

export interface ConfigLocationOptions {
  /** The folder holding `.bosun/`: where project-scope files go. */
  readonly projectDir: string;
  readonly home: string;
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

/** The file a client reads its servers from, in the given scope. */
export function configFilePath(
  client: McpClient,
  scope: ConfigScope,
  options: ConfigLocationOptions,
): string {
  const path = options.platform === 'win32' ? win32 : posix;
  const { home, env } = options;
  switch (client) {
    case 'claude-code':
      return scope === 'project'
        ? path.join(options.projectDir, '.mcp.json')
        : path.join(home, '.claude.json');
    case 'cursor':
      return scope === 'project'
        ? path.join(options.projectDir, '.cursor', 'mcp.json')
        : path.join(home, '.cursor', 'mcp.json');
    case 'codex':
      return path.join(nonEmpty(env.CODEX_HOME) ?? path.join(home, '.codex'), 'config.toml');
    case 'claude-desktop': {
      const file = 'claude_desktop_config.json';
      if (options.platform === 'darwin') {
        return path.join(home, 'Library', 'Application Support', 'Claude', file);
      }
      if (options.platform === 'win32') {
        const appData = nonEmpty(env.APPDATA) ?? path.join(home, 'AppData', 'Roaming');
        return path.join(appData, 'Claude', file);
      }
      const configHome = nonEmpty(env.XDG_CONFIG_HOME) ?? path.join(home, '.config');
      return path.join(configHome, 'Claude', file);
    }
  }
}

/** Whether the client starts the server in the project folder, so bosun finds `.bosun/` itself. */
export function startsInProject(client: McpClient, scope: ConfigScope): boolean {
  return scope === 'project' && (client === 'claude-code' || client === 'cursor');
}

/** How to start this installation of bosun: the command and the arguments before `mcp`. */
export interface Launcher {
  readonly command: string;
  readonly args: readonly string[];
}

export interface LauncherOptions {
  /** This installation's `bin/bosun.js`, absolute. */
  readonly binPath: string;
  /** The running node, absolute. */
  readonly nodePath: string;
  readonly pathEnv: string | undefined;
  readonly platform: NodeJS.Platform;
  /** Whether a bare `bosun` may be used at all (not for clients started without the shell's PATH). */
  readonly allowPathCommand: boolean;
  /** The real path of a file, or undefined when there is none. */
  readonly realpath: (path: string) => string | undefined;
}

/**
 * `bosun` when the first `bosun` on PATH is this installation (an `npm link` or a global
 * install); otherwise the absolute node and bin path, which work from a fresh clone too.
 */
export function resolveLauncher(options: LauncherOptions): Launcher {
  const absolute: Launcher = { command: options.nodePath, args: [options.binPath] };
  // npm's Windows shims (bosun.cmd) do not resolve to the bin file, so Windows takes the absolute form.
  if (!options.allowPathCommand || options.platform === 'win32') return absolute;
  const ours = options.realpath(options.binPath);
  for (const dir of (options.pathEnv ?? '').split(posix.delimiter)) {
    if (dir === '') continue;
    const found = options.realpath(posix.join(dir, 'bosun'));
    if (found !== undefined) return found === ours ? { command: 'bosun', args: [] } : absolute;
  }
  return absolute;
}

export interface EntryOptions {
  readonly launcher: Launcher;
  /** The absolute project folder, passed as --workspace; null when only --db names the store. */
  readonly workspace: string | null;
  readonly inProject: boolean;
  readonly db?: string | undefined;
  readonly profile?: 'core' | 'full' | undefined;
  readonly tools?: string | undefined;
  readonly as?: string | undefined;
}

/** The server entry: `bosun mcp`, plus only the flags that differ from the server's defaults. */
export function buildServerEntry(options: EntryOptions): ServerEntry {
  const args = [...options.launcher.args, 'mcp'];
  if (!options.inProject && options.workspace !== null) args.push('--workspace', options.workspace);
  if (options.db !== undefined) args.push('--db', options.db);
  if (options.profile === 'full') args.push('--profile', 'full');
  if (options.tools !== undefined) args.push('--tools', options.tools);
  if (options.as !== undefined) args.push('--as', options.as);
  return { command: options.launcher.command, args };
}

/**
 * JSON the way people write these files: two-space indent, arrays of plain values on one line.
 * `indent` is the indentation of the line the value starts on; `newline` the file's line ending.
 */
export function jsonText(value: unknown, indent = '', unit = '  ', newline = '\n'): string {
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object')) {
      return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    }
    const inner = indent + unit;
    const items = value.map((item) => inner + jsonText(item, inner, unit, newline));
    return `[${newline}${items.join(`,${newline}`)}${newline}${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const inner = indent + unit;
    const members = entries.map(
      ([key, item]) => `${inner}${JSON.stringify(key)}: ${jsonText(item, inner, unit, newline)}`,
    );
    return `{${newline}${members.join(`,${newline}`)}${newline}${indent}}`;
  }
  return JSON.stringify(value);
}

/** A TOML basic string: JSON's escapes are TOML's, except that TOML also escapes DEL. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

/** The `[mcp_servers.NAME]` table of one server, each line ended by `newline`. */
export function tomlServerTable(name: string, entry: ServerEntry, newline = '\n'): string {
  return [
    `[mcp_servers.${name}]`,
    `command = ${tomlString(entry.command)}`,
    `args = [${entry.args.map(tomlString).join(', ')}]`,
    '',
  ].join(newline);
}

/** The snippet exactly as it appears in the client's file (a whole file for the JSON clients). */
export function renderSnippet(format: ConfigFormat, name: string, entry: ServerEntry): string {
  return format === 'toml'
    ? tomlServerTable(name, entry)
    : `${jsonText({ mcpServers: { [name]: entry } })}\n`;
}

/** One entry alone, as it appears under `mcpServers` or as its TOML table: to show old and new. */
export function renderEntry(format: ConfigFormat, name: string, entry: unknown): string {
  if (format === 'json') return `${JSON.stringify(name)}: ${jsonText(entry)}\n`;
  if (isServerEntry(entry)) return tomlServerTable(name, entry);
  return `${stringifyToml({ mcp_servers: { [name]: entry } } as TomlTable)}\n`;
}

function isServerEntry(value: unknown): value is ServerEntry {
  const entry = value as ServerEntry;
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.keys(value).length === 2 &&
    typeof entry.command === 'string' &&
    Array.isArray(entry.args) &&
    entry.args.every((arg) => typeof arg === 'string')
  );
}

/** A word as a POSIX shell reads it back unchanged. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\-./:=@%+,]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The client's own command that adds the same entry, for the clients that have one. */
export function addCommandLine(
  client: McpClient,
  scope: ConfigScope,
  name: string,
  entry: ServerEntry,
): string | undefined {
  const command = [entry.command, ...entry.args].map(shellQuote).join(' ');
  if (client === 'claude-code') return `claude mcp add --scope ${scope} ${name} -- ${command}`;
  if (client === 'codex') return `codex mcp add ${name} -- ${command}`;
  return undefined;
}

/**
 * What merging one server into a client's file comes to: a new file, an added or replaced entry
 * (with the whole new text), or nothing to do because the same entry is already there.
 */
export type MergePlan =
  | { readonly action: 'create' | 'add'; readonly text: string }
  | { readonly action: 'replace'; readonly previous: unknown; readonly text: string }
  | { readonly action: 'unchanged'; readonly previous: unknown };

/** The line ending a file uses (CRLF when its first line break is one). */
export function newlineOf(text: string): '\n' | '\r\n' {
  const at = text.indexOf('\n');
  return at > 0 && text[at - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * Equality of parsed data: arrays in order, objects by their own keys in any order and whatever
 * their prototype (smol-toml builds tables without one), dates by their text.
 */
/**
 * The plan for an edited file, once the edit is proven to change nothing but the one entry: the
 * edited text, parsed again, must equal the old document with that entry set.
 */
export function checkedEdit(options: {
  readonly file: string;
  readonly name: string;
  readonly previous: unknown;
  readonly text: string;
  readonly parsed: unknown;
  readonly expected: unknown;
}): MergePlan {
  if (!sameData(options.parsed, options.expected)) {
    throw new BosunError(
      'internal',
      `${options.file}: bosun could not merge the "${options.name}" server without touching anything else; nothing was changed — add the snippet by hand`,
      { details: { file: options.file } },
    );
  }
  return options.previous === undefined
    ? { action: 'add', text: options.text }
    : { action: 'replace', previous: options.previous, text: options.text };
}

export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.toISOString() === b.toISOString();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameData(item, b[index]))
    );
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => Object.hasOwn(right, key) && sameData(left[key], right[key]))
  );
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return (
    value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
  );
}
