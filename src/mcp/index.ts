/**
 * Bundle entry of `bosun mcp`: bosun as an MCP server over stdio, for any MCP client (Claude
 * Code, Claude Desktop, Cursor, Codex…). stdout belongs to the protocol; everything else goes to
 * stderr. The actor of every write is the client's name (from its `initialize`), or `--as`.
 *
 *   bosun mcp [--profile core|full] [--tools a,b,…] [--workspace DIR] [--db PATH|URL] [--as NAME]
 *   bosun mcp servers list|test [NAME]     the external MCP servers of bosun.yaml
 *   bosun mcp config --client NAME [--write]   the snippet that points a client at bosun
 */

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { openRuntime } from '../app/runtime.js';
import { choiceFlag, listFlag, readCommandFlags, stringFlag } from '../shared/command-flags.js';
import { BosunError } from '../shared/errors.js';
import { EXIT_CODES } from '../shared/exit-codes.js';
import type { ToolProfile } from '../app/mcp/tools.js';
import { createMcpServer } from '../app/mcp/server.js';

const HELP = `Usage: bosun mcp [--profile core|full] [--tools NAME,NAME,…] [--as NAME]

Serves this workspace over MCP on stdio. Point an MCP client at the command 'bosun mcp'.

  --profile core   the agent loop (default): task next/show/list/create/status, note add,
                   heartbeat/release, run start/show, approval approve, cost report, plus
                   tools_discover and tools_describe to load any other operation on demand
  --profile full   every operation as a tool
  --tools A,B      exactly these operations (e.g. task.next,note.add)
  --as NAME        the actor recorded in the audit log (default: the client's name)
`;

interface McpFlags {
  profile: ToolProfile;
  tools?: string[] | undefined;
  workspace?: string | undefined;
  db?: string | undefined;
  as?: string | undefined;
  help: boolean;
}

function parseFlags(argv: readonly string[]): McpFlags {
  const flags = readCommandFlags(argv, {
    command: 'mcp',
    flags: { profile: 'value', tools: 'value' },
  });
  return {
    profile: choiceFlag(flags, 'profile', ['core', 'full'] as const) ?? 'core',
    tools: listFlag(flags, 'tools'),
    workspace: stringFlag(flags, 'workspace'),
    db: stringFlag(flags, 'db'),
    as: stringFlag(flags, 'as'),
    help: flags.help,
  };
}

async function serve(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const runtime = await openRuntime({
    cwd: process.cwd(),
    env: process.env,
    workspace: flags.workspace,
    db: flags.db,
    actor: flags.as,
  });
  const server = createMcpServer(runtime, flags);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  await server.connect(new StdioServerTransport());
  process.stdin.on('end', () => void server.close());
  await closed;
  await runtime.close();
  return 0;
}

/** `bosun mcp servers …` and `bosun mcp config …` run their own command; anything else serves. */
async function main(argv: readonly string[]): Promise<number> {
  const at = argv.indexOf('mcp');
  const sub = at >= 0 ? argv[at + 1] : undefined;
  const without = (n: number) => [...argv.slice(0, at), ...argv.slice(at + n)];
  if (sub === 'servers')
    return (await import('./servers-command.js')).runServersCommand(without(2));
  if (sub === 'config') return (await import('./config-command.js')).runConfigCommand(without(2));
  return serve(at >= 0 ? without(1) : argv);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message =
    error instanceof BosunError ? `error[${error.code}]: ${error.message}` : String(error);
  process.stderr.write(`${message}\n`);
  process.exitCode = error instanceof BosunError ? EXIT_CODES[error.code] : 1;
}
