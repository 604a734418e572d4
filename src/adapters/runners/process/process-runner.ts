/**
 * The process runner: runs any other agent CLI (aider, gemini, a local script) in a pseudo-terminal,
 * because many such tools only stream, colour or even run at all when they see a terminal. The
 * command line comes from the agent (`agents.<name>.command`) or from a plain step's
 * `with.command`; `{{prompt}}` in it becomes the prompt, single-quoted for the shell, and
 * `/bin/sh -c` runs the result in a 120×40 terminal in the attempt's workdir.
 *
 * The prompt travels only on the command line, never through the terminal's input: interactive
 * CLIs differ in when they read (at once, after a banner, after a confirmation), in whether a
 * newline submits or inserts, and in whether they read stdin at all, so typing into the terminal
 * could not be made to mean the same thing twice. The terminal's input stays untouched, and a
 * command without `{{prompt}}` gets no prompt at all.
 *
 * Whatever the terminal shows is the transcript: stdout and stderr arrive merged, as they do on a
 * screen. Lines are emitted as they complete, with escape sequences removed and carriage-return
 * redraws (progress bars, spinners) collapsed to what the line finally showed. The outcome is the
 * exit status: 0 succeeds with the transcript's tail as output, anything else is a retryable
 * failure carrying the last 4 KB. The command leads its own session and process group, so a
 * cancel or timeout stops everything it started, and nothing it left running outlives the step.
 */

import { readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { spawn as spawnPty } from '@lydell/node-pty';
import { z } from 'zod';
import type { JsonValue } from '../../../domain/workflow.js';
import type { Runner, StepAttemptContext, StepOutcome } from '../../../ports/runner.js';
import { parseRunnerSettings } from '../../../shared/runner-settings.js';
import {
  abortFailure,
  invalidSettingsFailure,
  StepFailure,
  tail,
} from '../../../shared/step-failure.js';
import { composeAgentPrompt } from '../agent-cli/agent-prompt.js';
import { terminateProcessGroup } from '../shell/kill-process-tree.js';
import type { KillFunction } from '../shell/index.js';

export const PROMPT_PLACEHOLDER = '{{prompt}}';
export const TERMINAL_COLUMNS = 120;
export const TERMINAL_ROWS = 40;
const TERMINAL_NAME = 'xterm-256color';

const DEFAULT_KILL_GRACE_MS = 2000;
/** The most transcript a successful attempt returns as its output (its tail, in whole lines). */
export const MAX_TRANSCRIPT_BYTES = 64 * 1024;
/** A line with no end is passed on in pieces of this many characters (at most 48 KB of UTF-8). */
const MAX_LINE_CHARS = 16 * 1024;
/**
 * Linux refuses a single argument longer than MAX_ARG_STRLEN (32 pages, 131,072 bytes with its
 * terminating NUL), and the whole command line is one argument of `sh -c`.
 */
export const MAX_COMMAND_BYTES = 131_071;
/** An escape sequence cut off at the end of a chunk waits for the rest up to this length. */
const MAX_PENDING_ESCAPE_CHARS = 16 * 1024;

/** The options the runner opens a terminal with (a slice of node-pty's `IPtyForkOptions`). */
export interface PseudoTerminalOptions {
  readonly name: string;
  readonly cols: number;
  readonly rows: number;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The slice of node-pty's `IPty` the runner uses. */
export interface PseudoTerminal {
  /** The shell's pid; it leads its own session and process group, so it is also the pgid. */
  readonly pid: number;
  onData(listener: (data: string) => void): unknown;
  /** `signal` is the number of the signal that killed the shell, 0 or absent when it exited. */
  onExit(
    listener: (exit: { readonly exitCode: number; readonly signal?: number }) => void,
  ): unknown;
}

/** Opens a terminal running `file` with `args`. Default: `spawn` from `@lydell/node-pty`. */
export type PseudoTerminalSpawnFunction = (
  file: string,
  args: readonly string[],
  options: PseudoTerminalOptions,
) => PseudoTerminal;

export interface ProcessRunnerSettings {
  /** Opens the terminal. Default: node-pty's `spawn`. */
  readonly spawn?: PseudoTerminalSpawnFunction;
  /** Signals processes. Default: `process.kill`. Replace it together with `spawn`. */
  readonly kill?: KillFunction;
  /** How long the process group has to stop after SIGTERM before it gets SIGKILL (default 2000). */
  readonly killGraceMs?: number;
  /** The shell that runs the command line with `-c` (default `/bin/sh`). */
  readonly shell?: string;
  /** The environment under the attempt's own (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

interface ProcessOptions {
  readonly spawn: PseudoTerminalSpawnFunction;
  readonly kill: KillFunction;
  readonly killGraceMs: number;
  readonly shell: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const ProcessStepSettingsSchema = z.strictObject({
  command: z.string().trim().min(1, 'must not be empty').optional(),
});

export function createProcessRunner(settings: ProcessRunnerSettings = {}): Runner {
  const options: ProcessOptions = {
    spawn: settings.spawn ?? spawnNodePty,
    kill:
      settings.kill ??
      ((pid, signal) => {
        process.kill(pid, signal);
      }),
    killGraceMs: settings.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    shell: settings.shell ?? '/bin/sh',
    env: settings.env ?? process.env,
  };
  return { name: 'process', execute: (context) => runProcess(context, options) };
}

async function runProcess(
  context: StepAttemptContext,
  options: ProcessOptions,
): Promise<StepOutcome> {
  if (context.signal.aborted) throw abortFailure(context.signal);
  const commandLine = buildCommandLine(context);
  await assertDirectory(context.workdir);
  if (context.signal.aborted) throw abortFailure(context.signal);
  return new Promise((resolve, reject) => {
    startTerminal(context, options, commandLine, resolve, reject);
  });
}

/**
 * node-pty's terminal, with the end of its output made reliable. libuv (Node 20's 1.46) takes a
 * short read from a terminal that has hung up as the end of its output, but on Linux a PTY can
 * still hold data then (libuv#4992, node-pty#72/#85): a command that prints a lot and exits at
 * once loses its last kilobytes, exactly the summary an agent prints last. When the stream ends
 * that way, the rest is read here, synchronously, before node-pty closes the descriptor and
 * reports the exit. This reaches into two unexported members (`_socket`, `fd`) of the pinned
 * node-pty version; without them it degrades to node-pty's own behaviour.
 */
function spawnNodePty(
  file: string,
  args: readonly string[],
  options: PseudoTerminalOptions,
): PseudoTerminal {
  const terminal = spawnPty(file, [...args], options);
  const internals = terminal as unknown as {
    readonly fd?: unknown;
    readonly _socket?: { prependListener?(event: 'end', listener: () => void): unknown };
  };
  const listeners: ((data: string) => void)[] = [];
  const deliver = (data: string): void => {
    for (const listener of listeners) listener(data);
  };
  terminal.onData(deliver);
  const fd = internals.fd;
  if (typeof fd === 'number') {
    internals._socket?.prependListener?.('end', () => {
      const rest = readRemainingOutput(fd);
      if (rest.length > 0) deliver(rest);
    });
  }
  return {
    pid: terminal.pid,
    onData: (listener) => listeners.push(listener),
    onExit: (listener) => terminal.onExit(listener),
  };
}

/** Whatever a hung-up terminal still holds: read until it says EIO (empty) or EAGAIN. */
function readRemainingOutput(fd: number): string {
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let text = '';
  // Nothing can write to a terminal with no slave side left, so this ends; the cap is a guard.
  for (let total = 0; total < 16 * 1024 * 1024;) {
    let bytes = 0;
    try {
      bytes = readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      break;
    }
    if (bytes === 0) break;
    total += bytes;
    text += decoder.write(buffer.subarray(0, bytes));
  }
  return text + decoder.end();
}

// ---------------------------------------------------------------------------------------------
// The command line

/** Where the command line came from, for messages that name the place to fix. */
type CommandSource = { readonly kind: 'step' } | { readonly kind: 'agent'; readonly agent: string };

/**
 * The command with every `{{prompt}}` replaced by the quoted prompt. Refuses a step that has no
 * command, or two; a placeholder inside quotes or after a backslash, where the quoting bosun adds
 * would not hold; and a command line too long for the kernel to start.
 */
export function buildCommandLine(context: StepAttemptContext): string {
  const step = parseRunnerSettings('process', ProcessStepSettingsSchema, context.settings);
  const agent = context.agent;
  const agentCommand = agent?.config.command;
  if (agent !== undefined && agentCommand !== undefined && step.command !== undefined) {
    throw invalidSettingsFailure(
      'process',
      'command',
      `is not allowed when the step's agent (${agent.name}) has a command`,
    );
  }
  const command = agentCommand ?? step.command;
  if (command === undefined) {
    throw invalidSettingsFailure(
      'process',
      'command',
      'is required (or give the step an agent with a command)',
    );
  }
  const source: CommandSource =
    agent !== undefined && agentCommand !== undefined
      ? { kind: 'agent', agent: agent.name }
      : { kind: 'step' };
  if (!placeholdersStandUnquoted(command)) {
    throw commandFailure(
      source,
      `${PROMPT_PLACEHOLDER} must stand outside quotes and not after a backslash or $ ` +
        '(bosun quotes the prompt itself)',
    );
  }
  const commandLine = command.split(PROMPT_PLACEHOLDER).join(shellQuote(buildPrompt(context)));
  const bytes = Buffer.byteLength(commandLine);
  if (bytes > MAX_COMMAND_BYTES) {
    throw new StepFailure({
      kind: 'error',
      message:
        `process runner: the command line with the prompt in it is ${bytes} bytes, more than ` +
        `the ${MAX_COMMAND_BYTES} one argument may have; shorten the step's input or have the ` +
        'command read it from a file',
      // The next attempt's prompt only grows, by this attempt's failure.
      retryable: false,
      outputTail: '',
      details: { bytes, maxBytes: MAX_COMMAND_BYTES },
    });
  }
  return commandLine;
}

function commandFailure(source: CommandSource, rule: string): StepFailure {
  if (source.kind === 'step') return invalidSettingsFailure('process', 'command', rule);
  const field = `agents.${source.agent}.command`;
  return new StepFailure({
    kind: 'error',
    message: `process runner: ${field}: ${rule}`,
    retryable: false,
    outputTail: '',
    details: { field, rule },
  });
}

/**
 * What the agent is asked, worded as for every CLI agent: its instructions, then the step's input
 * (a string as it is, anything else as JSON), then how earlier attempts failed. A CLI run in a
 * terminal keeps no conversation bosun could resume, so every attempt states the whole task.
 */
export function buildPrompt(context: StepAttemptContext): string {
  const previousAttempts = context.previousAttempts.map((previous) => ({
    ...previous,
    session: null,
  }));
  return composeAgentPrompt(
    { input: context.input, previousAttempts },
    { preamble: context.agent?.instructions },
  ).text;
}

/**
 * One shell word that is exactly `text`: inside single quotes nothing is special, and a single
 * quote itself is closed, escaped and reopened. NUL cannot be part of an argument at all.
 */
export function shellQuote(text: string): string {
  return `'${text.replaceAll('\0', '').replaceAll("'", `'\\''`)}'`;
}

/**
 * Whether every `{{prompt}}` stands where the shell reads a bare word. Inside double quotes
 * `$(...)` in the prompt would run, inside single quotes the prompt would end them, after a
 * backslash the opening quote bosun adds would be taken literally, and after `$` bash would read
 * the prompt's backslashes as escapes (`$'...'`).
 */
function placeholdersStandUnquoted(command: string): boolean {
  let quote: "'" | '"' | null = null;
  for (let index = 0; index < command.length; index++) {
    if (command.startsWith(PROMPT_PLACEHOLDER, index)) {
      if (quote !== null || command[index - 1] === '$') return false;
      index += PROMPT_PLACEHOLDER.length - 1;
      continue;
    }
    const char = command[index];
    if (quote === "'") {
      if (char === "'") quote = null;
    } else if (char === '\\') {
      if (command.startsWith(PROMPT_PLACEHOLDER, index + 1)) return false;
      index++;
    } else if (char === '"') {
      quote = quote === '"' ? null : '"';
    } else if (char === "'" && quote === null) {
      quote = "'";
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The terminal

/**
 * The terminal reports a missing folder as `chdir(2) failed` and exit status 1, like any failing
 * command; looking first gives a message that names the real problem.
 */
async function assertDirectory(path: string): Promise<void> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch {
    // Missing or unreadable: reported below like a file in the way.
  }
  if (!isDirectory) {
    throw new StepFailure({
      kind: 'error',
      message: `process runner: workdir: '${path}' is not an existing folder`,
      retryable: false,
      outputTail: '',
      details: { field: 'workdir', cwd: path },
    });
  }
}

function startTerminal(
  context: StepAttemptContext,
  options: ProcessOptions,
  commandLine: string,
  resolve: (outcome: StepOutcome) => void,
  reject: (failure: StepFailure) => void,
): void {
  const { signal } = context;
  let terminal: PseudoTerminal;
  try {
    terminal = options.spawn(options.shell, ['-c', commandLine], {
      name: TERMINAL_NAME,
      cols: TERMINAL_COLUMNS,
      rows: TERMINAL_ROWS,
      cwd: context.workdir,
      env: environment(context, options.env),
    });
  } catch (error) {
    // forkpty fails for want of terminals or processes, which may pass; a missing shell or
    // command shows up later as exit status 1 with the reason in the transcript.
    const reason = error instanceof Error ? error.message : String(error);
    reject(
      new StepFailure({
        kind: 'error',
        message: `process runner: cannot open a terminal: ${reason}`,
        retryable: true,
        outputTail: '',
      }),
    );
    return;
  }

  let settled = false;
  let aborted = false;
  let terminating = false;
  const transcript = new TranscriptTail(MAX_TRANSCRIPT_BYTES);

  const settle = (finish: () => void): void => {
    if (settled) return;
    settled = true;
    signal.removeEventListener('abort', onAbort);
    finish();
  };
  const terminate = (): void => {
    if (terminating) return;
    terminating = true;
    void terminateProcessGroup(terminal.pid, { kill: options.kill, graceMs: options.killGraceMs });
  };
  const onAbort = (): void => {
    aborted = true;
    // The terminal reports the exit once the group is gone; the attempt settles then.
    terminate();
  };
  const screen = new TerminalLines((line) => {
    if (settled) return;
    transcript.push(line);
    try {
      context.emit('stdout', line);
    } catch (error) {
      // A throw here would escape from a stream callback and take the process down; the attempt
      // fails instead, and stops.
      terminate();
      settle(() => reject(StepFailure.from(error)));
    }
  });

  terminal.onData((data) => {
    screen.write(data);
  });
  // node-pty reports the exit after the terminal's output has been read to its end.
  terminal.onExit(({ exitCode, signal: signalNumber }) => {
    screen.end();
    // The shell is gone; whatever it left running in its group goes too, so that no step leaks
    // processes (a job that ignores SIGHUP would otherwise outlive the terminal).
    terminate();
    if (aborted) {
      settle(() => reject(abortFailure(signal)));
      return;
    }
    // A shell killed by a signal reports exit code 0 with it, so the signal decides first.
    const killedBy = signalNumber ? signalName(signalNumber) : null;
    if (killedBy === null && exitCode === 0) {
      const output: JsonValue = {
        exitCode: 0,
        transcript: transcript.text(),
        lines: transcript.lineCount,
      };
      settle(() => resolve({ output }));
      return;
    }
    const failure = new StepFailure({
      kind: 'error',
      message:
        killedBy === null ? `command exited with status ${exitCode}` : `killed by ${killedBy}`,
      retryable: true,
      outputTail: tail(transcript.text()),
      details: { exitCode: killedBy === null ? exitCode : null, signal: killedBy },
    });
    settle(() => reject(failure));
  });

  signal.addEventListener('abort', onAbort, { once: true });
}

/**
 * The parent's environment, then the attempt's, then the `BOSUN_*` variables and the terminal's
 * type. COLUMNS and LINES are left out: inherited ones would contradict the terminal's real size.
 */
function environment(
  context: StepAttemptContext,
  base: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const merged: Record<string, string | undefined> = {
    ...base,
    ...context.env,
    BOSUN_RUN_ID: context.runId,
    BOSUN_STEP: context.stepKey,
    BOSUN_STEP_ID: context.stepId,
    BOSUN_ATTEMPT: String(context.attempt),
    BOSUN_IDEMPOTENCY_KEY: context.idempotencyKey,
    TERM: TERMINAL_NAME,
    COLUMNS: undefined,
    LINES: undefined,
  };
  // node-pty would pass an undefined value on as the text "undefined".
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(merged)) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function signalName(signalNumber: number): string {
  const entry = Object.entries(osConstants.signals).find(([, number]) => number === signalNumber);
  return entry?.[0] ?? `signal ${signalNumber}`;
}

/** The last lines passed to it, at most `maxBytes` of UTF-8 once joined; counts all of them. */
class TranscriptTail {
  private readonly lines: string[] = [];
  private bytes = 0;
  lineCount = 0;

  constructor(private readonly maxBytes: number) {}

  push(line: string): void {
    this.lineCount++;
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line) + 1;
    // `bytes` counts a newline after every line; the joined text has one fewer.
    while (this.bytes - 1 > this.maxBytes && this.lines.length > 1) {
      this.bytes -= Buffer.byteLength(this.lines.shift()!) + 1;
    }
  }

  text(): string {
    return this.lines.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// What the terminal shows

/* eslint-disable no-control-regex -- these patterns are about control characters */
/**
 * One token of terminal output: a run of printable text, a CSI sequence (cursor movement, colour,
 * erasing), an OSC string (window title, hyperlink), a DCS/SOS/PM/APC string, another escape
 * sequence, or a single control character (including an ESC that starts no complete sequence).
 */
const TOKEN =
  /([^\x00-\x1f\x7f-\x9f]+)|(\x1b\[[0-?]*[ -/]*[@-~])|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b(?:[ -/]+[0-~]|[0-OQ-WYZ\\`-~])|([\s\S])/y;
/** The start of an escape sequence whose end has not arrived yet. */
const UNFINISHED_ESCAPE =
  /^\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b\n]*\x1b?|[PX^_][^\x1b]*\x1b?|[ -/]*)$/;
/* eslint-enable no-control-regex */

/**
 * Turns a terminal's output into the lines it shows, one line at a time: escape sequences are
 * dropped, except those that move the cursor along the line or erase it, which are applied, as are
 * carriage returns and backspaces. So `10%\r50%\r100%\n` is the line `100%`, as on a screen.
 * Redraws that move up to earlier lines (full-screen interfaces) are beyond it: each line is
 * passed on when it ends, and what follows is a new line. Trailing blanks are invisible on a
 * terminal and are dropped.
 */
export class TerminalLines {
  private line = '';
  private cursor = 0;
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  write(data: string): void {
    const text = this.pending + data;
    this.pending = '';
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < text.length) {
      const start = TOKEN.lastIndex;
      const match = TOKEN.exec(text)!;
      const [, printable, csi, control] = match;
      if (printable !== undefined) this.put(printable);
      else if (csi !== undefined) this.applyCsi(csi);
      else if (control === '\x1b') {
        const rest = text.slice(start);
        if (rest.length <= MAX_PENDING_ESCAPE_CHARS && UNFINISHED_ESCAPE.test(rest)) {
          this.pending = rest;
          return;
        }
        // A malformed sequence: drop the ESC, show the rest as text.
      } else if (control !== undefined) this.applyControl(control);
    }
  }

  /** Passes on the last line if it shows anything. */
  end(): void {
    this.pending = '';
    if (this.line.trimEnd().length > 0) this.finishLine();
    this.line = '';
    this.cursor = 0;
  }

  private applyControl(char: string): void {
    if (char === '\n') this.finishLine();
    else if (char === '\r') this.cursor = 0;
    else if (char === '\b') this.cursor = Math.max(0, this.cursor - 1);
    else if (char === '\t') this.put('\t');
    // Bell, shift-in/out and the other control characters show nothing.
  }

  private applyCsi(sequence: string): void {
    const final = sequence.at(-1);
    const parameters = sequence.slice(2, -1);
    // Private sequences (`ESC[?25l`, hide the cursor) change modes, not the line.
    if (/^[<=>?]/.test(parameters)) return;
    const count = Math.max(1, Number.parseInt(parameters, 10) || 1);
    switch (final) {
      case 'K': {
        const mode = Number.parseInt(parameters, 10) || 0;
        if (mode === 0) this.line = this.line.slice(0, this.cursor);
        else if (mode === 1) {
          this.line =
            ' '.repeat(Math.min(this.cursor + 1, this.line.length)) +
            this.line.slice(this.cursor + 1);
        } else if (mode === 2) this.line = '';
        break;
      }
      case 'G':
      case '`':
        this.cursor = count - 1;
        break;
      case 'C':
      case 'a':
        this.cursor += count;
        break;
      case 'D':
        this.cursor = Math.max(0, this.cursor - count);
        break;
      default:
      // Colours, styles and moves to other lines change nothing this line shows.
    }
  }

  /** Writes `text` at the cursor, over what was there, as a terminal does. */
  private put(text: string): void {
    if (this.cursor === this.line.length) this.line += text;
    else {
      const before = this.line.slice(0, this.cursor).padEnd(this.cursor, ' ');
      this.line = before + text + this.line.slice(this.cursor + text.length);
    }
    this.cursor += text.length;
    while (this.line.length > MAX_LINE_CHARS) {
      this.onLine(this.line.slice(0, MAX_LINE_CHARS));
      this.line = this.line.slice(MAX_LINE_CHARS);
      this.cursor = Math.max(0, this.cursor - MAX_LINE_CHARS);
    }
  }

  private finishLine(): void {
    const line = this.line.replace(/ +$/, '');
    this.line = '';
    this.cursor = 0;
    this.onLine(line);
  }
}
