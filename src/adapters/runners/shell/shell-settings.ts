/**
 * The shell runner's two kinds of settings: the factory's (how processes are started and killed,
 * how long they get to stop, how much output is kept) and a step's `with:` (the command, extra
 * environment, folder), validated strictly so that a typo in a workflow file fails loudly.
 */

import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { z } from 'zod';
import type { JsonValue } from '../../../domain/workflow.js';
import { parseRunnerSettings } from '../../../shared/runner-settings.js';

/** The slice of `child_process.spawn` the runner uses. */
export type SpawnFunction = (
  command: string,
  args: readonly string[],
  options: SpawnOptions,
) => ChildProcess;

/** `process.kill`: a negative pid addresses a process group; signal 0 only probes. */
export type KillFunction = (pid: number, signal: NodeJS.Signals | 0) => void;

export interface ShellRunnerSettings {
  /** Starts the shell. Default: `spawn` from node:child_process. */
  readonly spawn?: SpawnFunction;
  /** Signals processes. Default: `process.kill`. Replace it together with `spawn`. */
  readonly kill?: KillFunction;
  /** How long a process group has to stop after SIGTERM before it gets SIGKILL (default 5000). */
  readonly killGraceMs?: number;
  /** The most stdout kept as a step's output; beyond it only the tail is kept (default 1 MiB). */
  readonly maxStdoutBytes?: number;
  /** The shell that runs `command` with `-c` (default `/bin/sh`). */
  readonly shell?: string;
  /** The environment commands inherit (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A step's `with:` for the shell runner, after validation. */
export interface ShellStepSettings {
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  /** Relative to the attempt's workdir (or absolute); undefined means the workdir itself. */
  readonly cwd: string | undefined;
}

const ShellStepSettingsSchema = z.strictObject({
  command: z.string().min(1, 'must not be empty'),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names must be letters, digits and _'),
      z.string(),
    )
    .optional(),
  cwd: z.string().min(1, 'must not be empty').optional(),
});

/** Validates a step's `with:`; throws a non-retryable StepFailure naming the offending key. */
export function parseShellStepSettings(settings: {
  readonly [key: string]: JsonValue;
}): ShellStepSettings {
  const parsed = parseRunnerSettings('shell', ShellStepSettingsSchema, settings);
  return { command: parsed.command, env: parsed.env ?? {}, cwd: parsed.cwd };
}
