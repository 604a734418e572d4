/**
 * `bosun mcp servers list|test [NAME…]`: the external MCP servers of `.bosun/bosun.yaml` — how each
 * is reached and which agents may use which of its tools; `test` connects to each (all at once),
 * initializes, lists its tools and says how long that took or why it failed. Exit status 0 when
 * every server tested answered, 12 when any did not (the rows are printed all the same), and the
 * CLI's statuses for errors (2 a bad bosun.yaml or flag, 4 an unknown server).
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONFIG_FILE, parseConfig } from '../app/config.js';
import type { McpServerCheck, McpServerSummary } from '../app/mcp-servers.js';
import { listMcpServers, testMcpServers } from '../app/mcp-servers.js';
import { resolveWorkspace } from '../app/workspace.js';
import type { AgentsSection } from '../domain/agent.js';
import { parseDuration } from '../shared/duration.js';
import { readCommandFlags, stringFlag } from '../shared/command-flags.js';
import { BosunError, toBosunError } from '../shared/errors.js';
import { CHECK_FAILED_EXIT, EXIT_CODES } from '../shared/exit-codes.js';

/** Table cells longer than this are cut (`--json` has them whole). */
const MAX_CELL = 60;
const MAX_DESCRIPTION = 90;

const HELP = `Usage: bosun mcp servers list [--json]
       bosun mcp servers test [NAME…] [--timeout DURATION] [--json]

The external MCP servers of .bosun/bosun.yaml, whose tools llm agents may call. A server is a
command bosun starts and speaks to over stdio, or a Streamable HTTP URL; an agent lists what it
may use under mcp: (SERVER for all its tools, SERVER/TOOL, or SERVER/PREFIX*).

  list             each server: transport, command line or URL (as written: \${VAR} is not
                   filled in, header and env values are never shown), and the agents that may
                   use it with the tools they may call
  test [NAME…]     start or reach every server (or those named) at once, initialize, list its
                   tools; prints the time taken, the server's name and version, and its tools
                   with their descriptions — or why it failed
  --timeout D      deadline for each server (default: its timeout:, 30s unless set), e.g. 10s
  --json           machine-readable output

Exit status: 0 when every server tested answered, 12 when any failed (the rows are printed all the
same), 2 for a bosun.yaml that does not validate, 4 for a server that is not in bosun.yaml.

Examples:
  # .bosun/bosun.yaml
  mcp_servers:
    files:
      command: npx
      args: [-y, "@modelcontextprotocol/server-filesystem", "\${HOME}/notes"]
    github:
      url: https://api.githubcopilot.com/mcp/
      headers: { Authorization: "Bearer \${GITHUB_TOKEN}" }
  agents:
    coder: { runner: llm, model: local, mcp: [files, github/search_*] }

  bosun mcp servers list
  bosun mcp servers test                 # every server
  bosun mcp servers test github --json   # one server, with its tools as JSON
`;

interface ServersFlags {
  command: 'list' | 'test' | undefined;
  names: string[];
  json: boolean;
  help: boolean;
  timeoutMs?: number | undefined;
  workspace?: string | undefined;
  db?: string | undefined;
}

function parseFlags(argv: readonly string[]): ServersFlags {
  const read = readCommandFlags(argv, {
    command: 'mcp servers',
    flags: { json: 'boolean', timeout: 'value' },
    words: true,
  });
  const [command, ...names] = read.words;
  if (command !== undefined && command !== 'list' && command !== 'test') {
    throw new BosunError(
      'invalid_input',
      `mcp servers: unknown command '${command}': use list or test; see 'bosun mcp servers --help'`,
      { details: { field: 'command' } },
    );
  }
  const timeout = stringFlag(read, 'timeout');
  // --as is taken (as everywhere) and unused: nothing here is audited.
  const flags: ServersFlags = {
    command,
    names,
    json: read.values['json'] === true,
    help: read.help,
    timeoutMs: timeout === undefined ? undefined : parseDuration(timeout, 'timeout'),
    workspace: stringFlag(read, 'workspace'),
    db: stringFlag(read, 'db'),
  };
  if (flags.command === 'list' && flags.names.length > 0) {
    throw new BosunError(
      'invalid_input',
      `mcp servers list takes no names, got '${flags.names[0]}'`,
      {
        details: { field: 'arguments' },
      },
    );
  }
  if (flags.command === 'list' && flags.timeoutMs !== undefined) {
    throw new BosunError('invalid_input', '--timeout: only for mcp servers test', {
      details: { field: 'timeout' },
    });
  }
  return flags;
}

/** `argv` is the command line without `mcp` and `servers` (global flags kept). */
export async function runServersCommand(argv: readonly string[]): Promise<number> {
  try {
    const flags = parseFlags(argv);
    if (flags.help || flags.command === undefined) {
      (flags.help ? process.stdout : process.stderr).write(HELP);
      return flags.help ? 0 : EXIT_CODES.invalid_input;
    }
    const { section, projectDir } = await readSettings(flags);
    if (flags.command === 'list') {
      const servers = listMcpServers(section);
      process.stdout.write(
        flags.json ? `${JSON.stringify({ servers }, null, 2)}\n` : renderList(servers),
      );
      return 0;
    }
    const result = await testMcpServers(section, {
      names: flags.names,
      timeoutMs: flags.timeoutMs,
      env: process.env,
      cwd: projectDir,
    });
    process.stdout.write(
      flags.json ? `${JSON.stringify(result, null, 2)}\n` : renderTest(result.servers),
    );
    return result.ok ? 0 : CHECK_FAILED_EXIT;
  } catch (thrown) {
    const error = toBosunError(thrown);
    process.stderr.write(`error[${error.code}]: ${error.message}\n`);
    return EXIT_CODES[error.code];
  }
}

async function readSettings(
  flags: ServersFlags,
): Promise<{ section: AgentsSection; projectDir: string }> {
  const workspace = await resolveWorkspace({
    cwd: process.cwd(),
    env: process.env,
    workspace: flags.workspace,
    db: flags.db,
  });
  if (workspace.dir === null) {
    // Only a --db: there is no bosun.yaml, so no servers either.
    return {
      section: { models: {}, agents: {}, routes: {}, budgets: [] },
      projectDir: process.cwd(),
    };
  }
  const file = join(workspace.dir, CONFIG_FILE);
  return {
    section: parseConfig(readFileSync(file, 'utf8'), file),
    projectDir: dirname(workspace.dir),
  };
}

const NO_SERVERS =
  "(no MCP servers: add them to .bosun/bosun.yaml under mcp_servers:, see 'bosun mcp servers --help')\n";

function renderList(servers: readonly McpServerSummary[]): string {
  if (servers.length === 0) return NO_SERVERS;
  return `${table(
    ['NAME', 'TRANSPORT', 'TARGET', 'AGENTS'],
    servers.map((server) => [server.name, server.transport, server.target, grants(server.agents)]),
  )}\n`;
}

function renderTest(servers: readonly McpServerCheck[]): string {
  if (servers.length === 0) return NO_SERVERS;
  const lines = [
    table(
      ['NAME', 'TRANSPORT', 'OK', 'MS', 'TOOLS', 'SERVER', 'REASON'],
      servers.map((row) => [
        row.name,
        row.transport,
        row.ok ? 'yes' : 'no',
        row.ms === null ? '-' : String(row.ms),
        row.ok ? String(row.tools.length) : '-',
        row.server === null ? '-' : `${row.server.name} ${row.server.version}`,
        row.reason ?? '-',
      ]),
    ),
  ];
  for (const row of servers.filter((server) => server.ok)) {
    lines.push('', `${row.name}: ${row.tools.length} tool${row.tools.length === 1 ? '' : 's'}`);
    if (row.tools.length > 0) {
      lines.push(
        indent(
          table(
            ['TOOL', 'DESCRIPTION'],
            row.tools.map((tool) => [tool.name, oneLine(tool.description ?? '-', MAX_DESCRIPTION)]),
            Infinity,
          ),
        ),
      );
    }
    for (const { agent, entry } of row.unmatched) {
      lines.push(`  warning: agent ${agent}: mcp entry '${entry}' matches none of these tools`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function grants(agents: McpServerCheck['agents']): string {
  if (agents.length === 0) return '-';
  return agents.map((grant) => `${grant.agent} (${grant.allows.join(', ')})`).join('; ');
}

function table(headers: readonly string[], rows: readonly string[][], maxCell = MAX_CELL): string {
  const cells = rows.map((row) => row.map((cell) => oneLine(cell, maxCell)));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((row) => row[i]!.length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]!)))
      .join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim() || '-';
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
