/**
 * For tests of the CLI-agent runners against the fake `claude` and `codex` of test/fixtures/bin:
 * an environment with the fakes first on PATH, a `spawn` that records each agent it starts (and
 * writes its pid into the folder it runs in, so a test can check that none survives), and the
 * log the fakes write of how they were called.
 */

import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpawnFunction } from '../adapters/runners/agent-cli/run-agent-cli.js';

export const FAKE_AGENT_BIN = fileURLToPath(new URL('../../test/fixtures/bin', import.meta.url));
export const AGENT_STREAMS = fileURLToPath(
  new URL('../../test/fixtures/agent-streams/', import.meta.url),
);
const PID_FILE = 'agent.pid';

/** This process's environment with the fake agents first on PATH and none of their knobs set. */
export function fakeAgentEnvironment(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PATH: `${FAKE_AGENT_BIN}${delimiter}${process.env['PATH'] ?? ''}`,
  };
  for (const key of Object.keys(env)) {
    if (key.startsWith('BOSUN_FAKE_AGENT_')) delete env[key];
  }
  return env;
}

export interface SpawnedAgent {
  readonly pid: number | undefined;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv | undefined;
}

/** `spawn`, recording each agent it starts and writing its pid into the folder it runs in. */
export function recordingSpawn(into: SpawnedAgent[]): SpawnFunction {
  return (command, args, options) => {
    const child = spawn(command, args, options);
    into.push({ pid: child.pid, args, env: options.env });
    if (child.pid !== undefined && typeof options.cwd === 'string') {
      appendFileSync(join(options.cwd, PID_FILE), `${child.pid}\n`);
    }
    return child;
  };
}

/** The pids `recordingSpawn` wrote into `folder`. */
export function readAgentPids(folder: string): number[] {
  let text = '';
  try {
    text = readFileSync(join(folder, PID_FILE), 'utf8');
  } catch {
    return [];
  }
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/** One line of `BOSUN_FAKE_AGENT_LOG`: how a fake agent was called. */
export interface LoggedAgentCall {
  readonly argv: string[];
  readonly cwd: string;
  readonly prompt: string;
  /** codex: the thread `exec resume` named. */
  readonly resume?: string | null;
  readonly options: Record<string, unknown>;
}

export function readAgentLog(file: string): LoggedAgentCall[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LoggedAgentCall);
}
