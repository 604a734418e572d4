/**
 * External MCP servers as `.bosun/bosun.yaml` declares them (`mcp_servers:`) and the allowlist an
 * llm agent names them in (`mcp:`). A server is a command bosun starts and talks to over stdio, or
 * a Streamable HTTP URL with headers; `${VAR}` (or `${VAR:-default}`) in its command, args, env,
 * cwd, url and headers is filled in from the environment when the server is used, so secrets stay
 * out of the file. An allowlist entry is `server` (all its tools), `server/tool` (one) or
 * `server/prefix*` (those whose name starts with the prefix). Plain data and pure rules; the
 * connections live in `adapters/mcp-client/`.
 */

import { z } from 'zod';
import { parseDuration } from '../shared/duration.js';
import { BosunError } from '../shared/errors.js';

const SERVER_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 9110 token characters: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** `${NAME}` or `${NAME:-default}`; anything else after `${` is a mistake worth naming. */
const REFERENCE = /\$\{([^}]*)\}/g;
const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** How long connecting (start or reach the server, initialize) may take unless `timeout:` says. */
export const DEFAULT_MCP_CONNECT_TIMEOUT_MS = 30_000;
/** How long one tool call may take unless `tool_timeout:` says. */
export const DEFAULT_MCP_TOOL_TIMEOUT_MS = 60_000;

/** What is wrong with the `${…}` references of a text, or null when they are all well formed. */
export function referenceProblem(text: string): string | null {
  for (const match of text.matchAll(REFERENCE)) {
    if (!REFERENCE_BODY.test(match[1]!)) {
      return `'${match[0]}' is not a variable reference: write \${NAME} or \${NAME:-default}`;
    }
  }
  // An opening without its brace would otherwise be sent as written.
  if (text.replace(REFERENCE, '').includes('${')) {
    return `'\${' is not closed: write \${NAME} or \${NAME:-default}`;
  }
  return null;
}

const interpolable = z.string().superRefine((text, ctx) => {
  const problem = referenceProblem(text);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * A map whose keys follow `key` (checked here rather than by a key schema, whose message would
 * only say "Invalid key in record").
 */
const keyedBy = (key: RegExp, rule: string) =>
  z.record(z.string(), interpolable).superRefine((record, ctx) => {
    for (const name of Object.keys(record)) {
      if (!key.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: rule });
    }
  });

const duration = z.union([z.string(), z.number().int().positive()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  try {
    return parseDuration(value, 'timeout');
  } catch (error) {
    const rule = error instanceof BosunError ? error.details['rule'] : undefined;
    ctx.addIssue({ code: 'custom', message: String(rule ?? (error as Error).message) });
    return z.NEVER;
  }
});

export const McpServerConfigSchema = z
  .strictObject({
    /** stdio: the executable to start (looked up on PATH). */
    command: interpolable
      .pipe(z.string().trim().min(1, 'must name the command to start'))
      .optional(),
    args: z.array(interpolable).default([]),
    /** stdio: variables added to the few the server inherits (HOME, PATH, SHELL, TERM, USER…). */
    env: keyedBy(ENV_KEY, 'must be an environment variable name (letters, digits, _)').default({}),
    /** stdio: the folder to start in, relative to the project folder (default: the project folder). */
    cwd: interpolable.pipe(z.string().trim().min(1, 'must name a folder')).optional(),
    /** HTTP: the Streamable HTTP endpoint (e.g. https://example.com/mcp). */
    url: interpolable.optional(),
    headers: keyedBy(HEADER_NAME, 'must be an HTTP header name').default({}),
    /** Connecting: starting or reaching the server and its `initialize` answer. */
    timeout: duration.default(DEFAULT_MCP_CONNECT_TIMEOUT_MS),
    /** One tool call. */
    tool_timeout: duration.default(DEFAULT_MCP_TOOL_TIMEOUT_MS),
  })
  .superRefine((server, ctx) => {
    const issue = (key: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [key], message });
    if (server.command === undefined && server.url === undefined) {
      issue('command', 'a server needs a command (stdio) or a url (Streamable HTTP)');
      return;
    }
    if (server.command !== undefined && server.url !== undefined) {
      issue('url', 'give a command (stdio) or a url (Streamable HTTP), not both');
      return;
    }
    if (server.command !== undefined) {
      if (Object.keys(server.headers).length > 0) {
        issue('headers', 'are for a url server; a stdio server takes env');
      }
      return;
    }
    if (server.args.length > 0) issue('args', 'are for a command (stdio) server');
    if (Object.keys(server.env).length > 0) {
      issue('env', 'is for a command (stdio) server; a url server takes headers');
    }
    if (server.cwd !== undefined) issue('cwd', 'is for a command (stdio) server');
    // A URL built from variables is checked once they are filled in.
    if (!server.url!.includes('${') && urlProblem(server.url!) !== null) {
      issue('url', urlProblem(server.url!)!);
    }
  });
export type McpServerConfig = z.output<typeof McpServerConfigSchema>;

export const McpServersSchema = z
  .record(z.string(), McpServerConfigSchema)
  .superRefine((servers, ctx) => {
    for (const name of Object.keys(servers)) {
      if (!SERVER_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message:
            "must be a server name: a letter, then letters, digits, '_', '.' or '-' (no '/')",
        });
      }
    }
  });
export type McpServers = z.output<typeof McpServersSchema>;

function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `'${url}' is not a URL (e.g. http://127.0.0.1:8931/mcp)`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `must be an http(s) URL, not ${parsed.protocol}`;
  }
  return null;
}

/** `transport` and where it goes, as written (variables unresolved: nothing secret is shown). */
export function describeMcpServer(server: McpServerConfig): {
  transport: 'stdio' | 'http';
  target: string;
} {
  if (server.command !== undefined) {
    return {
      transport: 'stdio',
      target: [server.command, ...server.args].map(quoteArgument).join(' '),
    };
  }
  return { transport: 'http', target: server.url! };
}

function quoteArgument(word: string): string {
  return /^[\w@%+=:,./${}-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// Variables

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * `text` with its `${NAME}` references filled in from `env`; a variable that is unset or empty
 * takes its `:-default`, and without one it is reported by name.
 */
export function interpolate(
  text: string,
  env: Environment,
): { readonly value: string } | { readonly missing: string } {
  let missing: string | undefined;
  const value = text.replace(REFERENCE, (whole, body: string) => {
    const match = REFERENCE_BODY.exec(body);
    if (match === null) return whole;
    const given = env[match[1]!];
    if (given !== undefined && given !== '') return given;
    if (match[2] !== undefined) return match[2];
    missing ??= match[1]!;
    return '';
  });
  return missing === undefined ? { value } : { missing };
}

/** A server as bosun connects to it: variables filled in, timeouts in milliseconds. */
export type ResolvedMcpServer =
  | {
      readonly name: string;
      readonly transport: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      /** As written (after variables); relative to the project folder. */
      readonly cwd: string | undefined;
      readonly connectTimeoutMs: number;
      readonly toolTimeoutMs: number;
    }
  | {
      readonly name: string;
      readonly transport: 'http';
      readonly url: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly connectTimeoutMs: number;
      readonly toolTimeoutMs: number;
    };

/**
 * Fills in the server's variables from `env`. A variable that is not set is refused
 * (`invalid_input`), naming the server, the key and the variable.
 */
export function resolveMcpServer(
  name: string,
  server: McpServerConfig,
  env: Environment,
): ResolvedMcpServer {
  const fill = (text: string, key: string): string => {
    const result = interpolate(text, env);
    if ('value' in result) return result.value;
    throw new BosunError(
      'invalid_input',
      `mcp server '${name}': ${key}: \${${result.missing}} is not set (set ${result.missing} in the environment bosun runs in)`,
      { details: { server: name, field: `mcp_servers.${name}.${key}`, variable: result.missing } },
    );
  };
  const fillRecord = (record: Readonly<Record<string, string>>, key: string) =>
    Object.fromEntries(
      Object.entries(record).map(([entry, text]) => [entry, fill(text, `${key}.${entry}`)]),
    );
  const timeouts = { connectTimeoutMs: server.timeout, toolTimeoutMs: server.tool_timeout };
  if (server.command !== undefined) {
    return {
      name,
      transport: 'stdio',
      command: fill(server.command, 'command'),
      args: server.args.map((arg, i) => fill(arg, `args.${i}`)),
      env: fillRecord(server.env, 'env'),
      cwd: server.cwd === undefined ? undefined : fill(server.cwd, 'cwd'),
      ...timeouts,
    };
  }
  const url = fill(server.url!, 'url');
  const problem = urlProblem(url);
  if (problem !== null) {
    throw new BosunError('invalid_input', `mcp server '${name}': url: ${problem}`, {
      details: { server: name, field: `mcp_servers.${name}.url` },
    });
  }
  return {
    name,
    transport: 'http',
    url,
    headers: fillRecord(server.headers, 'headers'),
    ...timeouts,
  };
}

// ---------------------------------------------------------------------------------------------
// Allowlists

const ALLOW_ENTRY = /^([A-Za-z][A-Za-z0-9_.-]*)(?:\/([^/\s*]*)(\*)?)?$/;

export const McpAllowEntrySchema = z
  .string()
  .trim()
  .regex(
    ALLOW_ENTRY,
    'must be SERVER (all its tools), SERVER/TOOL or SERVER/PREFIX* (e.g. github, github/get_issue, github/search_*)',
  )
  .refine((entry) => !/\/$/.test(entry), 'names no tool after the /: write SERVER or SERVER/TOOL');

/** One entry of an agent's `mcp:` list, taken apart. */
export interface McpAllowEntry {
  readonly entry: string;
  readonly server: string;
  /** Exactly this tool; null with a prefix or for the whole server. */
  readonly tool: string | null;
  /** Tools whose names start with this; '' for the whole server. */
  readonly prefix: string | null;
}

/** Takes an entry apart; the schema has checked its form. */
export function parseAllowEntry(entry: string): McpAllowEntry {
  const match = ALLOW_ENTRY.exec(entry.trim());
  if (match === null) {
    throw new BosunError(
      'invalid_input',
      `mcp: '${entry}' is not SERVER, SERVER/TOOL or SERVER/PREFIX*`,
      {
        details: { field: 'mcp', entry },
      },
    );
  }
  const [, server, tool, star] = match;
  if (tool === undefined) return { entry, server: server!, tool: null, prefix: '' };
  if (star !== undefined) return { entry, server: server!, tool: null, prefix: tool };
  return { entry, server: server!, tool, prefix: null };
}

export function allowsTool(entry: McpAllowEntry, tool: string): boolean {
  return entry.tool !== null ? entry.tool === tool : tool.startsWith(entry.prefix ?? '');
}

/** What an entry gives, for people: `all tools`, `get_issue`, `search_*`. */
export function describeAllowEntry(entry: McpAllowEntry): string {
  if (entry.tool !== null) return entry.tool;
  return entry.prefix === '' ? 'all tools' : `${entry.prefix}*`;
}

/** How a person and the journal name an external tool: `server/tool`. */
export function externalToolName(server: string, tool: string): string {
  return `${server}/${tool}`;
}
