/**
 * The shell runner: runs a step's `command` with `/bin/sh -c` in the workspace folder. The
 * attempt is described to the command twice, as a JSON document on stdin and as `BOSUN_*`
 * environment variables, so a one-liner can use the variables and a script can read the whole
 * document. stdout becomes the step's output (JSON when it is JSON); stdout and stderr lines
 * stream to the engine as they arrive. Each command leads its own process group, so a cancel or
 * timeout stops everything it started, and nothing it left running outlives the step.
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { JsonValue } from '../../../domain/workflow.js';
import type {
  Runner,
  StepAttemptContext,
  StepOutcome,
  StepOutputStream,
} from '../../../ports/runner.js';
import { tryParseJson } from '../../../shared/json.js';
import { abortFailure, StepFailure, tail } from '../../../shared/step-failure.js';
import { superviseChild } from './supervise-child.js';
import { parseShellStepSettings } from './shell-settings.js';
import type {
  KillFunction,
  ShellRunnerSettings,
  ShellStepSettings,
  SpawnFunction,
} from './shell-settings.js';

const DEFAULT_KILL_GRACE_MS = 5000;
const DEFAULT_MAX_STDOUT_BYTES = 1024 * 1024;
/**
 * Linux refuses a single environment string over 128 KiB (MAX_ARG_STRLEN) and then cannot start
 * the command at all, so a larger input is left out of BOSUN_INPUT; stdin always carries it.
 */
const MAX_ENV_VALUE_BYTES = 64 * 1024;
/** A line with no end (a progress bar, a blob) is passed on in pieces of this many characters. */
const MAX_LINE_CHARS = 64 * 1024;
/** How much combined stdout+stderr is kept for a failure's output tail (tail() keeps 4 KB). */
const KEPT_TAIL_CHARS = 8 * 1024;

interface ShellOptions {
  readonly spawn: SpawnFunction;
  readonly kill: KillFunction;
  readonly killGraceMs: number;
  readonly maxStdoutBytes: number;
  readonly shell: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function createShellRunner(settings: ShellRunnerSettings = {}): Runner {
  const options: ShellOptions = {
    spawn: settings.spawn ?? spawn,
    kill:
      settings.kill ??
      ((pid, signal) => {
        process.kill(pid, signal);
      }),
    killGraceMs: settings.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    maxStdoutBytes: settings.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES,
    shell: settings.shell ?? '/bin/sh',
    env: settings.env ?? process.env,
  };
  return { name: 'shell', execute: (context) => runCommand(context, options) };
}

async function runCommand(
  context: StepAttemptContext,
  options: ShellOptions,
): Promise<StepOutcome> {
  if (context.signal.aborted) throw abortFailure(context.signal);
  const step = parseShellStepSettings(context.settings);
  const cwd = resolvePath(context.workdir, step.cwd ?? '.');
  await assertDirectory(cwd, step.cwd === undefined ? 'workdir' : 'with.cwd');
  if (context.signal.aborted) throw abortFailure(context.signal);
  return new Promise((resolve, reject) => {
    startCommand(context, options, step, cwd, resolve, reject);
  });
}

/**
 * Spawning in a folder that is not there fails with `spawn /bin/sh ENOENT`, which blames the
 * shell; looking first gives a message that names the real problem.
 */
async function assertDirectory(path: string, field: string): Promise<void> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch {
    // Missing or unreadable: reported below like a file in the way.
  }
  if (!isDirectory) {
    throw new StepFailure({
      kind: 'error',
      message: `shell runner: ${field}: '${path}' is not an existing folder`,
      retryable: false,
      outputTail: '',
      details: { field, cwd: path },
    });
  }
}

function startCommand(
  context: StepAttemptContext,
  options: ShellOptions,
  step: ShellStepSettings,
  cwd: string,
  resolve: (outcome: StepOutcome) => void,
  reject: (failure: StepFailure) => void,
): void {
  let child: ChildProcess;
  try {
    child = options.spawn(options.shell, ['-c', step.command], {
      cwd,
      env: environment(context, step, options.env),
      // Its own process group (and session), so the whole tree can be signalled at once.
      detached: true,
      stdio: 'pipe',
    });
  } catch (error) {
    reject(spawnFailure(error, options.shell));
    return;
  }

  const stdout = new TailBuffer(options.maxStdoutBytes);
  let combined = '';
  const keepForTail = (text: string): void => {
    combined += text;
    if (combined.length > 2 * KEPT_TAIL_CHARS) combined = combined.slice(-KEPT_TAIL_CHARS);
  };
  const lineEmitter = (stream: StepOutputStream) => (line: string) => {
    if (supervision.settled) return;
    try {
      context.emit(stream, line);
    } catch (error) {
      // A throw here would escape from a stream callback and take the process down; the attempt
      // fails instead, and stops.
      supervision.fail(error);
    }
  };
  const stdoutLines = new LineSplitter(lineEmitter('stdout'));
  const stderrLines = new LineSplitter(lineEmitter('stderr'));

  const supervision = superviseChild(
    child,
    {
      signal: context.signal,
      kill: options.kill,
      killGraceMs: options.killGraceMs,
      onStdout: (chunk: Buffer) => {
        stdout.push(chunk);
        keepForTail(stdoutLines.push(chunk));
      },
      onStderr: (chunk: Buffer) => keepForTail(stderrLines.push(chunk)),
      spawnFailure: (error) => spawnFailure(error, options.shell),
      finish: ({ code, signal: exitSignal }): StepOutcome => {
        keepForTail(stdoutLines.end());
        keepForTail(stderrLines.end());
        if (code === 0) return { output: stdoutOutput(stdout) };
        throw new StepFailure({
          kind: 'error',
          message:
            code === null
              ? `killed by ${exitSignal ?? 'a signal'}`
              : `command exited with status ${code}`,
          retryable: true,
          outputTail: tail(combined),
          details: { exitCode: code, signal: exitSignal },
        });
      },
    },
    resolve,
    reject,
  );
  // A command that does not read stdin closes it early; writing to it then fails with EPIPE,
  // which is no concern of the step's.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(`${JSON.stringify(stdinDocument(context))}\n`);
}

/** The parent's environment, the attempt as `BOSUN_*` variables, then the step's own `env`. */
function environment(
  context: StepAttemptContext,
  step: ShellStepSettings,
  base: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const input = JSON.stringify(context.input);
  const previousError = context.previousAttempts.at(-1)?.error ?? '';
  return {
    ...base,
    BOSUN_RUN_ID: context.runId,
    BOSUN_STEP: context.stepKey,
    BOSUN_STEP_ID: context.stepId,
    BOSUN_ATTEMPT: String(context.attempt),
    BOSUN_IDEMPOTENCY_KEY: context.idempotencyKey,
    BOSUN_INPUT: Buffer.byteLength(input) <= MAX_ENV_VALUE_BYTES ? input : '',
    BOSUN_PREVIOUS_ERROR:
      Buffer.byteLength(previousError) <= MAX_ENV_VALUE_BYTES
        ? previousError
        : tail(previousError, MAX_ENV_VALUE_BYTES / 4),
    ...step.env,
  };
}

function stdinDocument(context: StepAttemptContext): JsonValue {
  return {
    input: context.input,
    previous_attempts: context.previousAttempts.map((previous) => ({
      attempt: previous.attempt,
      kind: previous.kind,
      error: previous.error,
      output_tail: previous.outputTail,
      comment: previous.comment,
    })),
    run: context.runId,
    step: context.stepKey,
    attempt: context.attempt,
    idempotency_key: context.idempotencyKey,
  };
}

const TRUNCATION_MARKER_PREFIX = '[bosun: stdout truncated;';

/**
 * stdout as the step's output: without its one trailing newline, the JSON value when the whole
 * text is a JSON document, else the text. When stdout outgrew the cap, the output is the text of
 * its last whole lines after a first line saying how many bytes were dropped; it is never parsed
 * as JSON then, since the head of the document is gone.
 */
function stdoutOutput(stdout: TailBuffer): JsonValue {
  let bytes = stdout.bytes();
  let dropped = stdout.droppedBytes;
  if (dropped > 0) {
    // Start at a whole line, which also keeps a cut UTF-8 character out of the text.
    const newline = bytes.indexOf(0x0a);
    if (newline >= 0 && newline < bytes.length - 1) {
      bytes = bytes.subarray(newline + 1);
      dropped += newline + 1;
    }
  }
  let text = bytes.toString('utf8');
  if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
  if (dropped > 0) {
    return `${TRUNCATION_MARKER_PREFIX} the first ${dropped} bytes were dropped]\n${text}`;
  }
  const parsed = tryParseJson(text);
  return parsed === undefined ? text : (parsed as JsonValue);
}

function spawnFailure(error: unknown, shell: string): StepFailure {
  const reason = error instanceof Error ? error.message : String(error);
  return new StepFailure({
    kind: 'error',
    message: `shell runner: cannot start ${shell}: ${reason}`,
    retryable: false,
    outputTail: '',
    details: { code: (error as NodeJS.ErrnoException | undefined)?.code ?? null },
  });
}

/** Keeps the last `max` bytes written to it, counting what it dropped. */
class TailBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  droppedBytes = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max) {
      const first = this.chunks[0]!;
      const excess = this.size - this.max;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.droppedBytes += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.droppedBytes += excess;
      }
    }
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/** Splits a byte stream into lines (without `\n` or `\r\n`), decoding UTF-8 across chunks. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  /** Passes on every line the chunk completes; returns the chunk's decoded text. */
  push(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    this.split(this.pending + text);
    return text;
  }

  /** Passes on the last line even without a newline; returns any text still held by the decoder. */
  end(): string {
    const text = this.decoder.end();
    const rest = this.pending + text;
    this.pending = '';
    if (rest.length > 0) this.onLine(withoutCarriageReturn(rest));
    return text;
  }

  private split(text: string): void {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      this.onLine(withoutCarriageReturn(text.slice(start, newline)));
      start = newline + 1;
    }
    while (text.length - start > MAX_LINE_CHARS) {
      this.onLine(text.slice(start, start + MAX_LINE_CHARS));
      start += MAX_LINE_CHARS;
    }
    this.pending = text.slice(start);
  }
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
