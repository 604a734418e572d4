/** Runs the built `bosun` bin as a child process, the way a person or an agent does. */

import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/bosun.js');

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdin?: string;
}

export function runBosun(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startBosun(args, options).exited;
}

/** Runs bosun and parses its --json output, failing loudly when the command failed. */
export async function bosunJson<T = unknown>(
  args: readonly string[],
  options: CliOptions,
): Promise<T> {
  const result = await runBosun([...args, '--json'], options);
  if (result.status !== 0) {
    throw new Error(`bosun ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

export function tempDir(prefix = 'bosun-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * bosun.yaml lines naming the model `local` on a fake OpenAI-compatible server (its key read from
 * FAKE_OPENAI_KEY), with `extra` lines of the model's own.
 */
export function fakeModelConfig(url: string, extra: readonly string[] = []): string[] {
  return [
    'models:',
    '  local:',
    '    provider: openai-compatible',
    `    base_url: ${url}`,
    '    model: qwen2.5-coder:7b',
    '    api_key_env: FAKE_OPENAI_KEY',
    ...extra.map((line) => `    ${line}`),
  ];
}

/** A new workspace (`bosun init` in a temp directory) with `config` lines added to bosun.yaml. */
export async function initWorkspace(
  prefix: string,
  config: readonly string[] = [],
): Promise<string> {
  const cwd = tempDir(prefix);
  const init = await runBosun(['init'], { cwd });
  if (init.status !== 0) throw new Error(`bosun init failed: ${init.stderr}`);
  appendFileSync(join(cwd, '.bosun', 'bosun.yaml'), `${config.join('\n')}\n`);
  return cwd;
}

/** A `bosun` process running in the background while a test drives it from other processes. */
export interface BackgroundBosun {
  readonly pid: number;
  /** Resolves with the first match of `pattern` in stdout; rejects if it exits or times out first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when it has exited, with its status and everything it printed. */
  readonly exited: Promise<CliResult>;
  /** Sends `signal` unless it has already exited. */
  kill(signal?: NodeJS.Signals): void;
}

export function startBosun(args: readonly string[], options: CliOptions): BackgroundBosun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: {
      ...process.env,
      BOSUN_HOME: undefined,
      BOSUN_DB: undefined,
      BOSUN_ACTOR: 'tester',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let ended = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliResult>((done, fail) => {
    child.on('error', fail);
    child.on('close', (status) => {
      ended = true;
      done({ status: status ?? -1, stdout, stderr });
    });
  });
  child.stdin.end(options.stdin ?? '');
  return {
    pid: child.pid!,
    exited,
    kill(signal = 'SIGKILL') {
      if (!ended) child.kill(signal);
    },
    waitForOutput(pattern, timeoutMs = 10_000) {
      return new Promise((done, fail) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (!match) return false;
          cleanup();
          done(match);
          return true;
        };
        const onExit = () => {
          if (check()) return;
          cleanup();
          fail(
            new Error(
              `bosun ${args.join(' ')} exited before printing ${pattern}:\n${stdout}\n${stderr}`,
            ),
          );
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(
            new Error(
              `bosun ${args.join(' ')} printed no ${pattern} in ${timeoutMs} ms:\n${stdout}\n${stderr}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.off('close', onExit);
        };
        if (check()) return;
        if (ended) return onExit();
        child.stdout.on('data', check);
        child.on('close', onExit);
      });
    },
  };
}
