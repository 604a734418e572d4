/**
 * Bundle entry of `bosun mcp`: bosun as an MCP server over stdio, for any MCP client (Claude
 * Code, Claude Desktop, Cursor, Codex…). stdout belongs to the protocol; everything else goes to
 * stderr. The actor of every write is the client's name (from its `initialize`), or `--as`.
 *
 *   bosun mcp [--profile core|full] [--tools a,b,…] [--workspace DIR] [--db PATH|URL] [--as NAME]
 *   bosun mcp servers list|test [NAME]     the external MCP servers of bosun.yaml
 *   bosun mcp config --client NAME [--write]   the snippet that points a client at bosun
 */

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { openRuntime } from '../app/runtime.js';
import { BosunError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import type { ToolProfile } from './tools.js';
import { registerResources } from './resources.js';
import { registerTools } from './tools.js';

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
  tools?: string[];
  workspace?: string;
  db?: string;
  as?: string;
  help: boolean;
}

function parseFlags(argv: readonly string[]): McpFlags {
  const flags: McpFlags = { profile: 'core', help: false };
  const words = [...argv];
  const value = (flag: string): string => {
    const next = words.shift();
    if (next === undefined || next.startsWith('--')) {
      throw new BosunError('invalid_input', `${flag}: needs a value`, { details: { field: flag } });
    }
    return next;
  };
  while (words.length > 0) {
    const word = words.shift()!;
    const [flag, inline] = word.includes('=') ? word.split(/=(.*)/s, 2) : [word, undefined];
    const take = () => inline ?? value(flag!);
    switch (flag) {
      case 'mcp':
        break;
      case '--help':
      case '-h':
        flags.help = true;
        break;
      case '--profile': {
        const profile = take();
        if (profile !== 'core' && profile !== 'full') {
          throw new BosunError(
            'invalid_input',
            `--profile: must be core or full, not '${profile}'`,
            {
              details: { field: 'profile' },
            },
          );
        }
        flags.profile = profile;
        break;
      }
      case '--tools':
        flags.tools = take()
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean);
        break;
      case '--workspace':
        flags.workspace = take();
        break;
      case '--db':
        flags.db = take();
        break;
      case '--as':
        flags.as = take();
        break;
      default:
        throw new BosunError(
          'invalid_input',
          `mcp: unknown argument '${word}'; see 'bosun mcp --help'`,
          {
            details: { field: 'arguments' },
          },
        );
    }
  }
  return flags;
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
  const server = new McpServer(
    { name: 'bosun', version: VERSION },
    { capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} } },
  );
  const actor = () => flags.as ?? server.server.getClientVersion()?.name ?? runtime.workspace.actor;
  registerTools(server, runtime, {
    profile: flags.profile,
    ...(flags.tools ? { tools: flags.tools } : {}),
    actor,
  });
  registerResources(server, runtime, actor);
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
  const rest = () => [...argv.slice(0, at), ...argv.slice(at + 2)];
  if (sub === 'servers') return (await import('./servers-command.js')).runServersCommand(rest());
  if (sub === 'config') return (await import('./config-command.js')).runConfigCommand(rest());
  return serve(argv);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message =
    error instanceof BosunError ? `error[${error.code}]: ${error.message}` : String(error);
  process.stderr.write(`${message}\n`);
  process.exitCode = 2;
}
