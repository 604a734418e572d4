/**
 * `bosun mcp config --client NAME`: prints the entry that points an MCP client at this workspace's
 * `bosun mcp`, and with `--write` merges it into the client's file — after a backup, refusing to
 * replace a different entry without `--force`, and never touching anything else in the file.
 * Where each client keeps what, and why, is in client-config.ts; the merges are
 * client-config-json.ts and client-config-toml.ts.
 */

import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveWorkspace } from '../app/workspace.js';
import { choiceFlag, readCommandFlags, stringFlag } from '../shared/command-flags.js';
import { BosunError, invalidInput } from '../shared/errors.js';
import type { ConfigScope, McpClient, MergePlan } from './client-config.js';
import {
  addCommandLine,
  buildServerEntry,
  CLIENT_SPECS,
  configFilePath,
  isMcpClient,
  MCP_CLIENTS,
  renderEntry,
  renderSnippet,
  resolveLauncher,
  SERVER_NAME,
  shellQuote,
  startsInProject,
} from './client-config.js';
import { mergeJsonServer } from './client-config-json.js';
import { mergeTomlServer } from './client-config-toml.js';

const HELP = `Usage: bosun mcp config --client claude-code|claude-desktop|cursor|codex [options]

Prints the entry that makes an MCP client start this workspace's 'bosun mcp', and which file it
goes in. With --write, bosun merges it into that file itself: it backs the file up first
(FILE.bak-TIMESTAMP), changes only its own entry, and refuses to replace a different one
without --force.

  --client NAME     claude-code   .mcp.json in the project, or ~/.claude.json with --scope user
                    claude-desktop claude_desktop_config.json (macOS, Windows, Linux folders)
                    cursor        .cursor/mcp.json in the project, or ~/.cursor/mcp.json
                    codex         $CODEX_HOME/config.toml (default ~/.codex/config.toml)
  --scope project|user   for claude-code and cursor (default project: a file in the project
                    that you may commit); user-wide files name this workspace with --workspace
  --name NAME       the server's name in the client (default bosun)
  --profile core|full    the tools the client gets (default core, the agent loop)
  --tools A,B       exactly these operations as tools
  --as NAME         the actor the audit log records (default: the client's own name)
  --write           merge the entry into the client's file
  --force           with --write, replace an existing entry of that name that differs
  --json            print {client, scope, file, entry, snippet} (and action, backup)

Examples:
  bosun mcp config --client claude-code              print .mcp.json and 'claude mcp add …'
  bosun mcp config --client claude-code --write      create or merge ./.mcp.json
  bosun mcp config --client claude-desktop --write --profile full
  bosun mcp config --client cursor --scope user --write
  CODEX_HOME=~/.codex-work bosun mcp config --client codex --write --as codex-bot
`;

/** What to do next for the client to load the new entry. */
function afterWrite(client: McpClient, scope: ConfigScope): string {
  switch (client) {
    case 'claude-code':
      return scope === 'project'
        ? "Start Claude Code in the project; it asks once before it starts the servers of a project's .mcp.json. 'claude mcp list' shows them."
        : "Start a new Claude Code session; 'claude mcp list' shows the server.";
    case 'claude-desktop':
      return 'Quit and reopen Claude Desktop to load it.';
    case 'cursor':
      return 'Cursor lists it in its MCP settings; switch it on there if it is off.';
    case 'codex':
      return "Codex loads it at its next start; '/mcp' in Codex lists it.";
  }
}

/** Everything the command reads from its surroundings, so a test can set each. */
export interface ConfigCommandContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly platform: NodeJS.Platform;
  readonly now: () => Date;
  /** This installation's `bin/bosun.js`. */
  readonly binPath: string;
  readonly nodePath: string;
  readonly write: (text: string) => void;
  readonly writeError: (text: string) => void;
}

interface ConfigFlags {
  client?: string | undefined;
  scope?: string | undefined;
  name: string;
  profile?: 'core' | 'full' | undefined;
  tools?: string | undefined;
  as?: string | undefined;
  workspace?: string | undefined;
  db?: string | undefined;
  write: boolean;
  force: boolean;
  json: boolean;
  help: boolean;
}

export function defaultConfigCommandContext(): ConfigCommandContext {
  return {
    cwd: process.cwd(),
    env: process.env,
    home: homedir(),
    platform: process.platform,
    now: () => new Date(),
    binPath: findBin(dirname(fileURLToPath(import.meta.url))),
    nodePath: process.execPath,
    write: (text) => process.stdout.write(text),
    writeError: (text) => process.stderr.write(text),
  };
}

/** `bin/bosun.js` of the installation this module belongs to (from dist/ or from src/mcp/). */
function findBin(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const bin = join(dir, 'bin', 'bosun.js');
    if (existsSync(bin)) return bin;
    if (dirname(dir) === dir) {
      throw new BosunError(
        'internal',
        `no bin/bosun.js above ${start}: bosun's files are incomplete`,
      );
    }
  }
}

export async function runConfigCommand(
  argv: readonly string[],
  context: ConfigCommandContext = defaultConfigCommandContext(),
): Promise<number> {
  const flags = parseFlags(argv);
  if (flags.help) {
    context.write(HELP);
    return 0;
  }
  const client = clientOf(flags.client);
  const spec = CLIENT_SPECS[client];
  const scope = scopeOf(client, flags.scope);
  const workspace = await resolveWorkspace({
    cwd: context.cwd,
    env: context.env,
    workspace: flags.workspace,
    db: flags.db,
  });
  const projectDir = workspace.dir === null ? context.cwd : dirname(workspace.dir);
  const file = configFilePath(client, scope, {
    projectDir,
    home: context.home,
    platform: context.platform,
    env: context.env,
  });
  const inProject = startsInProject(client, scope);
  const launcherFor = (allowPathCommand: boolean) =>
    resolveLauncher({
      binPath: context.binPath,
      nodePath: context.nodePath,
      pathEnv: context.env.PATH,
      platform: context.platform,
      allowPathCommand,
      realpath: realFile,
    });
  const launcher = launcherFor(client !== 'claude-desktop');
  const entry = buildServerEntry({
    launcher,
    workspace: workspace.dir === null ? null : projectDir,
    inProject,
    // A store named only by --db or BOSUN_DB must reach the server, which sees neither.
    db: flags.db !== undefined || workspace.dir === null ? workspace.db : undefined,
    profile: flags.profile,
    tools: flags.tools,
    as: flags.as,
  });
  const snippet = renderSnippet(spec.format, flags.name, entry);
  const where = `${spec.label}, ${scope} scope`;

  if (!flags.write) {
    if (flags.json) {
      context.write(`${JSON.stringify({ client, scope, file, entry, snippet }, null, 2)}\n`);
      return 0;
    }
    context.write(snippet);
    const hints = [
      '',
      spec.format === 'json'
        ? `Goes in ${file} (${where}): if that file exists, put the "${flags.name}" entry inside its "mcpServers" object; otherwise create it with exactly the text above.`
        : `Goes in ${file} (${where}): add the table at the end of the file, or create the file with it.`,
    ];
    const addCommand = addCommandLine(client, scope, flags.name, entry);
    if (addCommand !== undefined) hints.push(`Or let ${spec.label} add it: ${addCommand}`);
    const bosun = launcherFor(true);
    const rerun = [bosun.command, ...bosun.args, 'mcp', 'config', ...argv, '--write'];
    hints.push(`Or let bosun merge it, after a backup: ${rerun.map(shellQuote).join(' ')}`);
    if (inProject && launcher.command !== 'bosun') {
      hints.push(
        `The entry names this machine's node and bosun paths; with bosun on PATH ('npm link' in bosun's folder) it is just 'bosun mcp', which others can share.`,
      );
    }
    context.writeError(`${hints.join('\n')}\n`);
    return 0;
  }

  const existing = readExisting(file);
  const merge = spec.format === 'json' ? mergeJsonServer : mergeTomlServer;
  const plan = merge(existing?.text, flags.name, entry, file);
  if (plan.action === 'replace' && !flags.force) {
    context.writeError(
      `${file} already has a "${flags.name}" server that differs from bosun's.\n` +
        `Now in the file:\n${renderEntry(spec.format, flags.name, plan.previous)}` +
        `bosun's entry:\n${renderEntry(spec.format, flags.name, entry)}`,
    );
    throw new BosunError(
      'conflict',
      `${file}: the "${flags.name}" server differs; nothing was changed — add --force to replace it (after a backup), or --name to add bosun under another name`,
      { details: { field: 'name', file, name: flags.name } },
    );
  }
  const backup =
    plan.action === 'unchanged' ? null : writePlan(file, existing, plan, context.now());

  const action = {
    create: 'created',
    add: 'added',
    replace: 'replaced',
    unchanged: 'unchanged',
  }[plan.action];
  if (flags.json) {
    const report = { client, scope, file, entry, snippet, action, backup };
    context.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  if (plan.action === 'unchanged') {
    lines.push(
      `${file} is already configured: its "${flags.name}" server is exactly bosun's entry. Nothing was written.`,
    );
  } else {
    if (backup !== null) lines.push(`Backed up ${file} to ${backup}.`);
    if (plan.action === 'create') {
      lines.push(`Created ${file} with the "${flags.name}" server (${where}).`);
    } else {
      const verb = plan.action === 'add' ? 'Added' : 'Replaced';
      lines.push(
        `${verb} the "${flags.name}" server ${plan.action === 'add' ? 'to' : 'in'} ${file} (${where}); nothing else in the file changed.`,
      );
    }
    if (plan.action === 'replace') {
      lines.push(
        `Was:\n${renderEntry(spec.format, flags.name, plan.previous).trimEnd()}`,
        `Now:\n${renderEntry(spec.format, flags.name, entry).trimEnd()}`,
      );
    }
    lines.push(afterWrite(client, scope));
  }
  context.write(`${lines.join('\n')}\n`);
  return 0;
}

function parseFlags(argv: readonly string[]): ConfigFlags {
  const flags = readCommandFlags(argv, {
    command: 'mcp config',
    flags: {
      client: 'value',
      scope: 'value',
      name: 'value',
      profile: 'value',
      tools: 'value',
      write: 'boolean',
      force: 'boolean',
      json: 'boolean',
    },
  });
  const name = stringFlag(flags, 'name') ?? 'bosun';
  if (!SERVER_NAME.test(name)) {
    throw invalidInput('--name', `use letters, digits, '-' and '_' (at most 64), not '${name}'`);
  }
  const parsed: ConfigFlags = {
    client: stringFlag(flags, 'client'),
    scope: stringFlag(flags, 'scope'),
    name,
    profile: choiceFlag(flags, 'profile', ['core', 'full'] as const),
    tools: stringFlag(flags, 'tools'),
    as: stringFlag(flags, 'as'),
    workspace: stringFlag(flags, 'workspace'),
    db: stringFlag(flags, 'db'),
    write: flags.values['write'] === true,
    force: flags.values['force'] === true,
    json: flags.values['json'] === true,
    help: flags.help,
  };
  if (parsed.force && !parsed.write) throw invalidInput('--force', 'only goes with --write');
  return parsed;
}

function clientOf(value: string | undefined): McpClient {
  const choices = MCP_CLIENTS.join(', ');
  if (value === undefined) throw invalidInput('--client', `required: one of ${choices}`);
  if (!isMcpClient(value))
    throw invalidInput('--client', `must be one of ${choices}, not '${value}'`);
  return value;
}

function scopeOf(client: McpClient, value: string | undefined): ConfigScope {
  const scopes = CLIENT_SPECS[client].scopes;
  if (value === undefined) return scopes[0];
  if (value !== 'project' && value !== 'user') {
    throw invalidInput('--scope', `must be project or user, not '${value}'`);
  }
  if (!scopes.includes(value)) {
    throw invalidInput('--scope', `${client} has only ${scopes.join(' and ')} scope`);
  }
  return value;
}

/** The real path of a regular file, or undefined. */
function realFile(path: string): string | undefined {
  try {
    const real = realpathSync(path);
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

interface ExistingFile {
  readonly bytes: Buffer;
  readonly text: string;
  readonly mode: number;
}

function readExisting(file: string): ExistingFile | undefined {
  if (!existsSync(file)) return undefined;
  const stat = statSync(file);
  if (!stat.isFile()) {
    throw new BosunError('invalid_input', `${file}: not a file; bosun changed nothing`, {
      details: { field: file, rule: 'a regular file' },
    });
  }
  const bytes = readFileSync(file);
  return { bytes, text: bytes.toString('utf8'), mode: stat.mode & 0o777 };
}

/**
 * Backs the file up (the bytes the merge started from), writes the new text to a temporary file
 * beside the real one (a symlinked config stays a symlink) and renames it over, unless the file
 * changed meanwhile — a running client may rewrite its own file. Returns the backup's path.
 */
function writePlan(
  file: string,
  existing: ExistingFile | undefined,
  plan: Exclude<MergePlan, { action: 'unchanged' }>,
  now: Date,
): string | null {
  if (existing === undefined) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, plan.text, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw changedMeanwhile(file);
    }
    return null;
  }
  const backup = backupPath(file, now);
  writeFileSync(backup, existing.bytes, { flag: 'wx', mode: existing.mode });
  const real = realpathSync(file);
  const temporary = join(dirname(real), `.bosun-${process.pid}-${now.getTime()}.tmp`);
  writeFileSync(temporary, plan.text, { flag: 'wx', mode: existing.mode });
  if (!readFileSync(real).equals(existing.bytes)) {
    rmSync(temporary, { force: true });
    throw changedMeanwhile(file);
  }
  renameSync(temporary, real);
  return backup;
}

function changedMeanwhile(file: string): BosunError {
  return new BosunError(
    'conflict',
    `${file} changed while bosun was merging into it; bosun did not write it — run this again`,
    { retryable: true, details: { file } },
  );
}

/** `FILE.bak-20260115T101530Z`, with `-2`, `-3`… when that name is taken. */
function backupPath(file: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  let path = `${file}.bak-${stamp}`;
  for (let n = 2; existsSync(path); n++) path = `${file}.bak-${stamp}-${n}`;
  return path;
}
