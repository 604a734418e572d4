/**
 * Watching over one child process that leads its own process group (the shell runner's command,
 * a CLI agent): its output is handed on as it comes, the attempt settles exactly once, an abort
 * stops the whole group and rejects with the engine's reason, and when the leader exits whatever
 * it left running in the group goes too. A process that escaped the group (setsid) and still
 * holds the pipes is not waited for beyond the kill grace period.
 */

import type { ChildProcess } from 'node:child_process';
import { abortFailure, StepFailure } from '../../../shared/step-failure.js';
import { terminateProcessGroup } from './kill-process-tree.js';
import type { KillFunction } from './shell-settings.js';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SupervisionSettings<T> {
  readonly signal: AbortSignal;
  readonly kill: KillFunction;
  readonly killGraceMs: number;
  /** Output as it comes: a Buffer, or a string once the stream has an encoding. */
  onStdout?(chunk: Buffer | string): void;
  onStderr?(chunk: Buffer | string): void;
  /** The failure for an error event of the child (it could not be spawned). */
  readonly spawnFailure: (error: Error) => StepFailure;
  /**
   * Called once the child has exited and its pipes are closed (never after an abort): returns
   * the outcome, or throws the failure.
   */
  readonly finish: (exit: ChildExit) => T;
}

export interface Supervision {
  /** Whether the attempt has settled; output arriving after that is dropped. */
  readonly settled: boolean;
  /** Fails the attempt and stops the group (a throw from emit inside a stream callback). */
  fail(error: unknown): void;
}

export function superviseChild<T>(
  child: ChildProcess,
  settings: SupervisionSettings<T>,
  resolve: (value: T) => void,
  reject: (failure: StepFailure) => void,
): Supervision {
  const { signal } = settings;
  let settled = false;
  let aborted = false;
  let terminating = false;
  let exit: ChildExit | undefined;
  let drainTimer: ReturnType<typeof setTimeout> | undefined;

  const settle = (finish: () => void): void => {
    if (settled) return;
    settled = true;
    signal.removeEventListener('abort', onAbort);
    clearTimeout(drainTimer);
    finish();
  };
  const terminate = (): void => {
    if (terminating || child.pid === undefined) return;
    terminating = true;
    void terminateProcessGroup(child.pid, { kill: settings.kill, graceMs: settings.killGraceMs });
  };
  const stopReading = (): void => {
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  const onAbort = (): void => {
    aborted = true;
    terminate();
    // Already exited and only draining its pipes: nothing left to wait for.
    if (exit !== undefined) {
      stopReading();
      settle(() => reject(abortFailure(signal)));
    }
  };

  const { onStdout, onStderr } = settings;
  if (onStdout) child.stdout?.on('data', (chunk: Buffer | string) => onStdout(chunk));
  if (onStderr) child.stderr?.on('data', (chunk: Buffer | string) => onStderr(chunk));
  child.on('error', (error) => {
    terminate();
    settle(() => reject(settings.spawnFailure(error)));
  });
  child.on('exit', (code, exitSignal) => {
    exit = { code, signal: exitSignal };
    // The leader is gone; whatever it left running in its group goes too, so that no step leaks
    // processes and a background job holding stdout open cannot keep the step from finishing.
    terminate();
    if (aborted) {
      stopReading();
      settle(() => reject(abortFailure(signal)));
      return;
    }
    // A process that escaped the group (setsid) may still hold the pipes; stop waiting for it.
    drainTimer = setTimeout(stopReading, settings.killGraceMs + 1000);
  });
  child.on('close', () => {
    if (exit === undefined || settled) return;
    let value: T;
    try {
      value = settings.finish(exit);
    } catch (error) {
      settle(() => reject(StepFailure.from(error)));
      return;
    }
    settle(() => resolve(value));
  });
  signal.addEventListener('abort', onAbort, { once: true });

  return {
    get settled() {
      return settled;
    },
    fail(error) {
      terminate();
      settle(() => reject(StepFailure.from(error)));
    },
  };
}
