/** Runs the built `bosun` bin as a child process, the way a person or an agent does. */

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
  return new Promise((done, fail) => {
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
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (status) => done({ status: status ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
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
