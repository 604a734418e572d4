/**
 * The `bosun` command line, derived from the operation catalog: `bosun <noun> <verb>` runs the
 * operation `noun.verb` with flags read from its input schema. Errors print one line
 * `error[code]: message` on stderr and exit with the code's status (exit-codes.ts).
 */

import { VERSION } from '../shared/version.js';
import { readFileSync } from 'node:fs';
import type { AnyOperation } from '../operations/catalog.js';
import { OPERATIONS, findOperation, parseInput } from '../operations/catalog.js';
import type { Runtime } from '../app/runtime.js';
import { openRuntime } from '../app/runtime.js';
import { envValue, initWorkspace } from '../app/workspace.js';
import { BosunError, toBosunError } from '../shared/errors.js';
import { stableStringify } from '../shared/json.js';
import type { CliIo } from './cli-io.js';
import { CHECK_FAILED_EXIT, EXIT_CODES, RUN_FAILED_EXIT } from '../shared/exit-codes.js';
import { nounHelp, nounOf, operationHelp, overviewHelp, verbOf } from './help.js';
import { parseOperationArgs, readJsonArgument } from './parse-args.js';
import { renderOutput, wantsColor } from './render.js';
import { describeFields } from './schema-fields.js';
import type { ExecutionFlags } from './run-commands.js';

export { VERSION } from '../shared/version.js';

export type { CliIo };

export interface GlobalFlags {
  json: boolean;
  help: boolean;
  version: boolean;
  workspace?: string;
  db?: string;
  as?: string;
}

const NOUN_ALIASES: Readonly<Record<string, string>> = {
  projects: 'project',
  sprints: 'sprint',
  tasks: 'task',
  deps: 'dep',
  dependency: 'dep',
  todos: 'todo',
  notes: 'note',
  risks: 'risk',
  actions: 'action',
  stakeholders: 'stakeholder',
  docs: 'doc',
  document: 'doc',
  documents: 'doc',
  transactions: 'transaction',
  txn: 'transaction',
  milestones: 'milestone',
  lessons: 'lesson',
  models: 'model',
};

/** Takes the global flags out of argv wherever they stand (up to a bare `--`). */
export function extractGlobalFlags(argv: readonly string[]): {
  flags: GlobalFlags;
  rest: string[];
} {
  const flags: GlobalFlags = { json: false, help: false, version: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [name, inline] =
      word.startsWith('--') && word.includes('=')
        ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]
        : [word, undefined];
    if (name === '--json') flags.json = true;
    else if (name === '--help' || name === '-h') flags.help = true;
    else if (name === '--version' || name === '-V') flags.version = true;
    else if (name === '--workspace' || name === '--db' || name === '--as') {
      const value = inline ?? argv[++i];
      if (value === undefined)
        throw new BosunError('invalid_input', `${name} needs a value`, {
          details: { field: name.slice(2) },
        });
      flags[name.slice(2) as 'workspace' | 'db' | 'as'] = value;
    } else rest.push(word);
  }
  return { flags, rest };
}

function findCommand(
  words: readonly string[],
): { operation: AnyOperation; args: string[] } | undefined {
  const [first, second] = words;
  if (first === undefined) return undefined;
  const noun = NOUN_ALIASES[first] ?? first;
  const match = (n: string, verb: string | undefined) =>
    verb === undefined
      ? undefined
      : (findOperation(`${n}.${verb}`) ??
        OPERATIONS.find((op) => nounOf(op) === n && op.cli?.aliases?.includes(verb)));
  const direct = match(noun, second);
  if (direct) return { operation: direct, args: words.slice(2) };
  const topLevel = match('workspace', first);
  if (topLevel) return { operation: topLevel, args: words.slice(1) };
  const bare = OPERATIONS.find((op) => nounOf(op) === noun && op.cli?.bare === true);
  if (bare) return { operation: bare, args: words.slice(1) };
  return undefined;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let flags: GlobalFlags = { json: false, help: false, version: false };
  try {
    const extracted = extractGlobalFlags(argv);
    flags = extracted.flags;
    return await dispatch(extracted.rest, flags, io);
  } catch (error) {
    return reportError(error, flags, io);
  }
}

async function dispatch(words: string[], flags: GlobalFlags, io: CliIo): Promise<number> {
  const [first] = words;
  if (flags.version) {
    io.write(`${VERSION}\n`);
    return 0;
  }
  if (first === undefined || first === 'help') {
    const topic = words.slice(1);
    io.write(`${topic.length > 0 ? helpFor(topic) : overviewHelp(OPERATIONS, VERSION)}\n`);
    return 0;
  }
  if (first === 'init') return init(words.slice(1), flags, io);
  if (first === 'demo') {
    if (flags.help)
      return printed(
        io,
        'Usage: bosun demo\n\nBuilds a sample workspace in a temporary folder and walks through plan → next → claim → done.',
      );
    const { runDemo } = await import('./demo.js');
    return runDemo(io, main);
  }
  if (first === 'operations' || first === 'ops') return listOperations(flags, io);
  if (first === 'worker') {
    if (flags.help) return printed(io, WORKER_HELP);
    const { worker } = await import('./run-commands.js');
    return withRuntime(flags, io, (runtime) => worker(words.slice(1), flags.json, runtime, io));
  }
  if (first === 'run' && words[1] === 'watch') {
    if (flags.help) return printed(io, WATCH_HELP);
    const { followRun } = await import('./run-commands.js');
    const [runText, ...extra] = words.slice(2);
    if (extra.length > 0) {
      throw new BosunError('invalid_input', `run watch: unexpected argument '${extra[0]}'`, {
        details: { field: 'arguments' },
      });
    }
    return withRuntime(flags, io, (runtime) =>
      followRun(runtime, runText ?? 'last', { after: 0, json: flags.json, table: true }, io),
    );
  }
  if (first === 'call') return call(words.slice(1), flags, io);

  const command = findCommand(words);
  if (!command) {
    if (flags.help || words.length === 1) {
      const noun = NOUN_ALIASES[first] ?? first;
      if (OPERATIONS.some((op) => nounOf(op) === noun))
        return printed(io, nounHelp(noun, OPERATIONS));
    }
    throw new BosunError(
      'invalid_input',
      `unknown command '${words.slice(0, 2).join(' ')}'; see 'bosun --help'`,
      {
        details: { field: 'command', rule: 'a known noun and verb' },
      },
    );
  }
  const { operation } = command;
  const driven = DRIVEN_FLAGS[operation.name];
  if (flags.help) {
    const help = operationHelp(operation);
    return printed(io, driven ? `${help}\n\nExecution flags:\n${executionHelp(driven)}` : help);
  }
  let args = command.args;
  let exec: ExecutionFlags | undefined;
  if (driven) {
    const { extractExecutionFlags } = await import('./run-commands.js');
    ({ flags: exec, rest: args } = extractExecutionFlags(args, driven));
  }
  const input = parseOperationArgs(args, {
    command: `${nounOf(operation)} ${verbOf(operation)}`,
    fields: describeFields(operation.input),
    hints: operation.cli ?? {},
    readStdin: io.readStdin,
  });
  if (exec && operation.name === 'run.events') {
    if (!exec.follow) return runOperation(operation, input, flags, io);
    const { followRun } = await import('./run-commands.js');
    const parsed = parseInput(operation.input, input) as {
      run?: string;
      after: number;
      kinds?: string[];
    };
    return withRuntime(flags, io, (runtime) =>
      followRun(
        runtime,
        parsed.run,
        { after: parsed.after, kinds: parsed.kinds, json: flags.json, table: false },
        io,
      ),
    );
  }
  if (exec) {
    const { runAndDrive } = await import('./run-commands.js');
    const execution = exec;
    return withRuntime(flags, io, (runtime) =>
      runAndDrive(operation, input, execution, flags.json, runtime, runtime.workspace.actor, io),
    );
  }
  return runOperation(operation, input, flags, io);
}

/** Operations that execute runs, and the execution flags each takes besides its input. */
const DRIVEN_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'run.start': ['follow', 'detach', 'concurrency', 'lease', 'grace'],
  'run.resume': ['follow', 'detach', 'concurrency', 'lease', 'grace'],
  'run.fork': ['follow', 'detach', 'concurrency', 'lease', 'grace'],
  'run.events': ['follow'],
  'task.submit': ['follow', 'detach', 'concurrency', 'lease', 'grace'],
};

const EXECUTION_HELP: Readonly<Record<string, string>> = {
  follow:
    '--follow, -f        show live progress (a table on a terminal, one line per event otherwise)',
  detach: '--detach            only record it; `bosun worker` or `bosun run resume` executes it',
  concurrency: '--concurrency N     steps at once in this process (default 4)',
  lease: '--lease DURATION    lease per attempt, renewed while it runs (default 30s)',
  grace: '--grace DURATION    on Ctrl-C/SIGTERM, time running steps get to finish (default 10s)',
};

function executionHelp(names: readonly string[]): string {
  const lines = names.map((name) => `  ${EXECUTION_HELP[name]}`);
  if (names.includes('detach')) {
    lines.push(
      '',
      'Without --detach the run executes in this process until it ends or waits for a person',
      `(an approval, a pause). Exit status: 0 succeeded or waiting, ${RUN_FAILED_EXIT} failed or cancelled.`,
    );
  } else {
    lines.push('', 'With --follow and a run, streaming stops when the run ends.');
  }
  return lines.join('\n');
}

const WORKER_HELP = [
  'Usage: bosun worker [--concurrency N] [--lease DURATION] [--grace DURATION] [--until-idle]',
  '',
  'Executes steps of every run in the workspace until stopped (Ctrl-C / SIGTERM: no new steps,',
  'running ones get --grace to finish, then go back to the queue for the next worker).',
  'On PostgreSQL any number of workers on any machines share the queue; on SQLite one worker',
  "process serves a workspace (a second is refused), beside any 'bosun run start' in the foreground.",
  '',
  '  --concurrency N     steps at once (default 4)',
  '  --lease DURATION    lease per attempt, renewed while it runs (default 30s)',
  '  --grace DURATION    time running steps get to finish when stopping (default 10s)',
  '  --until-idle        exit when nothing is ready or running (scripts, CI)',
].join('\n');

const WATCH_HELP = [
  'Usage: bosun run watch [RUN]',
  '',
  'Live progress of a run (default: the latest) until it ends: a table on a terminal, one line',
  "per event otherwise; --json prints the events as JSON lines. RUN is an id, a unique id prefix or 'last'.",
].join('\n');

async function withRuntime(
  flags: GlobalFlags,
  io: CliIo,
  work: (runtime: Runtime) => Promise<number>,
): Promise<number> {
  const runtime = await openRuntime({
    cwd: io.cwd,
    env: io.env,
    workspace: flags.workspace,
    db: flags.db,
    actor: flags.as,
  });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

function helpFor(topic: readonly string[]): string {
  const command = findCommand(topic);
  if (command) return operationHelp(command.operation);
  const noun = NOUN_ALIASES[topic[0]!] ?? topic[0]!;
  if (OPERATIONS.some((op) => nounOf(op) === noun)) return nounHelp(noun, OPERATIONS);
  throw new BosunError('invalid_input', `no help for '${topic.join(' ')}'; see 'bosun --help'`, {
    details: { field: 'command' },
  });
}

function printed(io: CliIo, text: string): number {
  io.write(`${text}\n`);
  return 0;
}

async function runOperation(
  operation: AnyOperation,
  input: unknown,
  flags: GlobalFlags,
  io: CliIo,
): Promise<number> {
  return withRuntime(flags, io, async (runtime) => {
    const output = await runtime.runner.run(operation, input, runtime.workspace.actor, {
      progress: (message) => io.writeError(`${operation.name}: ${message}\n`),
    });
    if (flags.json || operation.cli?.json) io.write(`${stableStringify(output)}\n`);
    else {
      const color = wantsColor(io.env, io.interactive === true);
      io.write(`${renderOutput(output, operation.cli ?? {}, { color })}\n`);
    }
    const ok = operation.cli?.ok;
    const failed = ok !== undefined && (output as Record<string, unknown> | null)?.[ok] === false;
    return failed ? CHECK_FAILED_EXIT : 0;
  });
}

async function init(words: readonly string[], flags: GlobalFlags, io: CliIo): Promise<number> {
  if (flags.help) {
    return printed(
      io,
      [
        'Usage: bosun init [--db PATH|URL]',
        '',
        'Creates .bosun/ in the current folder (or --workspace DIR): bosun.yaml and a SQLite store,',
        'or a PostgreSQL database given with --db postgres://user@host:port/db.',
      ].join('\n'),
    );
  }
  if (words.length > 0)
    throw new BosunError('invalid_input', `init takes no arguments, got '${words[0]}'`, {
      details: { field: 'arguments' },
    });
  const root = flags.workspace ?? io.cwd;
  const result = await initWorkspace(root, flags.db ?? envValue(io.env, 'BOSUN_DB'));
  if (flags.json) io.write(`${stableStringify(result)}\n`);
  else
    io.write(
      `Initialized bosun workspace in ${result.workspace}\nstore: ${result.db}\ntoken: ${result.token} (for bosun serve; keep it private)\nNext: bosun project create KEY "Name"\n`,
    );
  return 0;
}

async function call(words: readonly string[], flags: GlobalFlags, io: CliIo): Promise<number> {
  const [name, ...rest] = words;
  if (flags.help || name === undefined) {
    return printed(
      io,
      "Usage: bosun call <operation> [--input JSON|FILE|-]\n\nRuns any operation with a JSON input; 'bosun operations' lists them.",
    );
  }
  const operation = findOperation(name);
  if (!operation) {
    throw new BosunError('not_found', `operation: no operation '${name}'; see 'bosun operations'`, {
      details: { field: 'operation', name },
    });
  }
  let input: unknown = {};
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === '--input' || word.startsWith('--input=')) {
      const value = word.includes('=') ? word.slice(word.indexOf('=') + 1) : rest[++i];
      if (value === undefined)
        throw new BosunError('invalid_input', '--input needs a value', {
          details: { field: 'input' },
        });
      input = readJsonArgument(value, 'input', io.readStdin);
    } else {
      throw new BosunError('invalid_input', `call: unexpected argument '${word}'`, {
        details: { field: 'arguments' },
      });
    }
  }
  return runOperation(operation, input, { ...flags, json: true }, io);
}

async function listOperations(flags: GlobalFlags, io: CliIo): Promise<number> {
  if (flags.json) {
    const { z } = await import('zod');
    const list = OPERATIONS.map((op) => ({
      name: op.name,
      summary: op.summary,
      effects: op.effects,
      input: z.toJSONSchema(op.input, { io: 'input', unrepresentable: 'any' }),
    }));
    io.write(`${stableStringify(list)}\n`);
    return 0;
  }
  const width = Math.max(...OPERATIONS.map((op) => op.name.length));
  io.write(
    `${OPERATIONS.map((op) => `${op.name.padEnd(width)}  ${op.effects.padEnd(5)}  ${op.summary}`).join('\n')}\n`,
  );
  return 0;
}

function reportError(error: unknown, flags: GlobalFlags, io: CliIo): number {
  const failure = toBosunError(error);
  if (flags.json) io.write(`${stableStringify({ error: failure.toJSON() })}\n`);
  io.writeError(`error[${failure.code}]: ${failure.message}\n`);
  if (failure.code === 'internal' && io.env.BOSUN_DEBUG && error instanceof Error)
    io.writeError(`${error.stack}\n`);
  return EXIT_CODES[failure.code];
}

/** The process entry: real stdio, real environment. */
export async function run(): Promise<void> {
  const io: CliIo = {
    cwd: process.cwd(),
    env: process.env,
    write: (text) => process.stdout.write(text),
    writeError: (text) => process.stderr.write(text),
    readStdin: () => readFileSync(0, 'utf8'),
    interactive: process.stdout.isTTY === true,
  };
  process.exitCode = await main(process.argv.slice(2), io);
}
