/**
 * Runs one CLI agent process for one step attempt: the part the Claude Code and Codex runners
 * share. The process leads its own process group, so a cancel or timeout also stops the tools it
 * started, and whatever it leaves running is stopped when it exits. Its stdin gets the prompt
 * (or nothing) and is closed at once, since both CLIs wait for end of input when it is a pipe.
 * stdout is read as JSON lines through the agent's accumulator and each event is reported as it
 * arrives; plain stdout lines and stderr lines stream through `emit`. It resolves with what the
 * run left (the accumulated result, how the process ended, the tail of its output) and leaves
 * the verdict to the runner. It rejects only when the workdir is missing, the process could not
 * start, the attempt was aborted, or reporting progress threw.
 */

import { priceTokens } from '../../../domain/budget.js';
import { spawn as nodeSpawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { ResolvedModel, StepAttemptContext } from '../../../ports/runner.js';
import { abortFailure, StepFailure, tail } from '../../../shared/step-failure.js';
import type { StepFailureSpend } from '../../../shared/step-failure.js';
import { superviseChild } from '../shell/supervise-child.js';
import type { KillFunction, SpawnFunction } from '../shell/shell-settings.js';
import { createJsonLineSplitter, parseJsonLine } from './agent-event.js';
import type { AgentEvent, AgentResult, AgentStreamAccumulator, AgentUsage } from './agent-event.js';

export type { KillFunction, SpawnFunction } from '../shell/shell-settings.js';

/** A CLI agent runner's factory settings. */
export interface AgentCliRunnerSettings {
  /** The executable, looked up on the PATH of `env` (default: `claude` or `codex`). */
  readonly command?: string;
  /**
   * The environment the agent inherits. Default: the attempt's `env`, else `process.env`. Tests
   * put the fake agents of test/fixtures/bin first on its PATH.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Starts the agent. Default: `spawn` from node:child_process. */
  readonly spawn?: SpawnFunction;
  /** Signals processes. Default: `process.kill`. */
  readonly kill?: KillFunction;
  /** How long the agent's process group has after SIGTERM before SIGKILL (default 5000). */
  readonly killGraceMs?: number;
}

export interface AgentCliProcessOptions {
  readonly command: string;
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
  readonly spawn: SpawnFunction;
  readonly kill: KillFunction;
  readonly killGraceMs: number;
}

const DEFAULT_KILL_GRACE_MS = 5000;

export function resolveAgentCliSettings(
  settings: AgentCliRunnerSettings,
  defaultCommand: string,
): AgentCliProcessOptions {
  return {
    command: settings.command ?? defaultCommand,
    env: settings.env,
    spawn: settings.spawn ?? nodeSpawn,
    kill:
      settings.kill ??
      ((pid, signal) => {
        process.kill(pid, signal);
      }),
    killGraceMs: settings.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
  };
}

/** A step's `with.env`: extra variables for the agent, added last. */
export const StepEnvSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names must be letters, digits and _'),
  z.string(),
);

/**
 * Linux refuses a single argument over 128 KiB (MAX_ARG_STRLEN) and the agent would not start;
 * a longer prompt goes through stdin instead.
 */
export const MAX_PROMPT_ARGUMENT_BYTES = 100 * 1024;

/** One invocation of the agent, as its runner built it. */
export interface AgentCliInvocation {
  readonly args: readonly string[];
  /** Written to stdin before it is closed; empty closes it at once. */
  readonly stdin: string;
  /** The step's `with.env`. */
  readonly env: Readonly<Record<string, string>>;
}

/** What the runner knows about its agent that the driver needs. */
export interface AgentCliDescription {
  /** As people call it, in messages: `Claude Code`, `Codex`. */
  readonly agentName: string;
  /** The runner's name, for messages about its settings: `claude-code`. */
  readonly runnerName: string;
  /** What to do when the executable is missing: `install Claude Code or set command`. */
  readonly installHint: string;
  readonly accumulator: AgentStreamAccumulator;
}

/** What an agent run left behind; the runner turns it into an outcome or a StepFailure. */
export interface AgentCliExit {
  readonly result: AgentResult;
  /** The model the agent named when its session started (Claude Code); null if none. */
  readonly reportedModel: string | null;
  /** Turns the stream reported as ended (Codex: one per invocation). */
  readonly turnsEnded: number;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  /** The last ~4 KB of plain stdout, stderr, notices and the agent's messages, in order. */
  readonly outputTail: string;
  readonly elapsedMs: number;
}

/** A line with no end is passed on in pieces of this many characters. */
const MAX_LINE_CHARS = 1024 * 1024;
/** How much output is kept for the failure's output tail (tail() keeps 4 KB of it). */
const KEPT_TAIL_CHARS = 8 * 1024;

export async function runAgentCli(
  context: StepAttemptContext,
  invocation: AgentCliInvocation,
  agent: AgentCliDescription,
  options: AgentCliProcessOptions,
): Promise<AgentCliExit> {
  if (context.signal.aborted) throw abortFailure(context.signal);
  await assertFolder(context.workdir, agent.runnerName);
  if (context.signal.aborted) throw abortFailure(context.signal);
  return new Promise((resolve, reject) => {
    startAgent(context, invocation, agent, options, resolve, reject);
  });
}

/**
 * Spawning in a folder that is not there fails with `spawn claude ENOENT`, which would read as a
 * missing executable; looking first names the real problem.
 */
async function assertFolder(path: string, runnerName: string): Promise<void> {
  const isDirectory = await stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isDirectory) {
    throw new StepFailure({
      kind: 'error',
      message: `${runnerName} runner: workdir '${path}' is not an existing folder`,
      retryable: false,
      outputTail: '',
      details: { field: 'workdir', cwd: path },
    });
  }
}

function startAgent(
  context: StepAttemptContext,
  invocation: AgentCliInvocation,
  agent: AgentCliDescription,
  options: AgentCliProcessOptions,
  resolve: (exit: AgentCliExit) => void,
  reject: (failure: StepFailure) => void,
): void {
  const startedAt = performance.now();
  let child: ChildProcess;
  try {
    child = options.spawn(options.command, invocation.args, {
      cwd: context.workdir,
      env: agentEnvironment(context, options.env, invocation.env),
      // Its own process group, so the agent and every tool it started can be signalled at once.
      detached: true,
      stdio: 'pipe',
    });
  } catch (error) {
    reject(spawnFailure(error, options.command, agent));
    return;
  }

  let reportedModel: string | null = null;
  let turnsEnded = 0;
  let kept = '';

  const keep = (text: string): void => {
    kept += `${text}\n`;
    if (kept.length > 2 * KEPT_TAIL_CHARS) kept = kept.slice(-KEPT_TAIL_CHARS);
  };

  /** One line a call, as `emit` promises; a message's closing newline ends its last line. */
  const emitLines = (stream: 'stderr' | 'text', text: string): void => {
    for (const line of text.replace(/\r?\n$/, '').split(/\r?\n/)) context.emit(stream, line);
  };
  const deliver = (event: AgentEvent): void => {
    switch (event.kind) {
      case 'session':
        reportedModel = event.model ?? reportedModel;
        context.report?.({ kind: 'agent-session', session: event.sessionId, model: event.model });
        return;
      case 'text':
        keep(event.text);
        // Without a place for agent activity the messages still show, as the text stream.
        if (context.report) context.report({ kind: 'agent-message-delta', text: event.text });
        else emitLines('text', event.text);
        return;
      case 'tool-use':
        context.report?.({
          kind: 'agent-tool-call',
          id: event.id,
          tool: event.name,
          input: event.input,
        });
        return;
      case 'tool-result':
        context.report?.({
          kind: 'agent-tool-result',
          id: event.id,
          ok: event.ok,
          text: event.text,
        });
        return;
      case 'notice':
      case 'error':
        // Diagnostics (API retries, reconnects, warnings), as the CLIs print them without JSON.
        keep(event.message);
        emitLines('stderr', event.message);
        return;
      case 'turn-end':
        turnsEnded += 1;
        return;
      case 'reasoning':
      case 'result':
        return;
    }
  };
  const takeStdout = (line: string): void => {
    const parsed = parseJsonLine(line);
    if (parsed.kind === 'text') {
      keep(parsed.text);
      context.emit('stdout', parsed.text);
      return;
    }
    for (const event of agent.accumulator.push(parsed.value)) deliver(event);
  };
  const takeStderr = (line: string): void => {
    keep(line);
    context.emit('stderr', line);
  };
  /** Passes lines on; a throw from emit or report fails the attempt and stops the agent. */
  const take = (lines: readonly string[], each: (line: string) => void): void => {
    for (const line of lines) {
      if (supervision.settled) return;
      try {
        each(line);
      } catch (error) {
        supervision.fail(error);
      }
    }
  };

  const stdoutLines = createJsonLineSplitter({ maxLineChars: MAX_LINE_CHARS });
  const stderrLines = createJsonLineSplitter({ maxLineChars: MAX_LINE_CHARS });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  const supervision = superviseChild(
    child,
    {
      signal: context.signal,
      kill: options.kill,
      killGraceMs: options.killGraceMs,
      onStdout: (chunk: string) => take(stdoutLines.push(chunk), takeStdout),
      onStderr: (chunk: string) => take(stderrLines.push(chunk), takeStderr),
      spawnFailure: (error) => spawnFailure(error, options.command, agent),
      finish: ({ code, signal: exitSignal }): AgentCliExit => {
        take(stdoutLines.end(), takeStdout);
        take(stderrLines.end(), takeStderr);
        return {
          result: agent.accumulator.finish(),
          reportedModel,
          turnsEnded,
          exitCode: code,
          exitSignal,
          outputTail: tail(kept),
          elapsedMs: Math.round(performance.now() - startedAt),
        };
      },
    },
    resolve,
    reject,
  );
  // An agent that exits before reading its stdin closes it; writing then fails with EPIPE.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(invocation.stdin);
}

/**
 * The inherited environment (the factory's, else the attempt's, else the process's), the attempt
 * as `BOSUN_*` variables like the shell runner sets them (the agent's own commands can read
 * them), then the step's `with.env`.
 */
function agentEnvironment(
  context: StepAttemptContext,
  base: Readonly<Record<string, string | undefined>> | undefined,
  stepEnv: Readonly<Record<string, string>>,
): Record<string, string | undefined> {
  return {
    ...(base ?? context.env ?? process.env),
    BOSUN_RUN_ID: context.runId,
    BOSUN_STEP: context.stepKey,
    BOSUN_STEP_ID: context.stepId,
    BOSUN_ATTEMPT: String(context.attempt),
    BOSUN_IDEMPOTENCY_KEY: context.idempotencyKey,
    ...stepEnv,
  };
}

function spawnFailure(
  error: unknown,
  command: string,
  agent: Pick<AgentCliDescription, 'runnerName' | 'installHint'>,
): StepFailure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? null;
  const reason = error instanceof Error ? error.message : String(error);
  const where = command.includes('/') ? '' : ' on PATH';
  return new StepFailure({
    kind: 'error',
    message:
      code === 'ENOENT'
        ? `${command} not found${where} (${agent.installHint})`
        : `${agent.runnerName} runner: cannot start ${command}: ${reason}`,
    retryable: false,
    outputTail: '',
    details: { code },
  });
}

/**
 * Whether the stream carried the agent's own verdict (Claude's result line, Codex's finished or
 * failed turn). Without one the process died or was cut off, and its exit status says more.
 */
export function hasVerdict(result: AgentResult): boolean {
  return result.errorType !== 'no_result' && result.errorType !== 'stream_error';
}

/**
 * The failure of a run that ended without a verdict: a crash, a kill, a CLI that refused its
 * arguments. Retryable, since a crash is usually transient; the next attempt resumes the
 * session if the agent had named one.
 */
export function processFailure(
  exit: AgentCliExit,
  agentName: string,
  spent: StepFailureSpend | undefined,
): StepFailure {
  const { result, exitCode, exitSignal } = exit;
  const cause = result.errorType === 'stream_error' && result.error ? `: ${result.error}` : '';
  let message: string;
  if (exitCode !== null && exitCode !== 0) {
    message = `${agentName} exited with status ${exitCode} before it finished${cause}`;
  } else if (exitSignal !== null) {
    message = `${agentName} was killed by ${exitSignal} before it finished${cause}`;
  } else {
    message = result.error ?? `${agentName} ended without a result`;
  }
  return new StepFailure({
    kind: 'error',
    message,
    retryable: true,
    outputTail: exit.outputTail,
    details: { exitCode, signal: exitSignal, errorType: result.errorType },
    spent,
  });
}

/**
 * US dollars for `usage` at the configured model's prices (per million tokens; cached input at
 * `cached_input`, else the input price; cache writes at the input price). Null without a
 * configured model: the CLI was given a model id bosun has no price for.
 */
export function priceUsage(usage: AgentUsage, model: ResolvedModel | null): number | null {
  if (model === null) return null;
  return priceTokens(model.price, usage);
}
