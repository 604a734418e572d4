/**
 * Stops everything a command started, not just the shell: the runner spawns each command as the
 * leader of its own process group, so signalling the group (a negative pid) also reaches the
 * background jobs and grandchildren that killing the shell alone would orphan. SIGTERM first so
 * they can clean up; SIGKILL for whatever is still there when the grace period ends.
 */

import type { KillFunction } from './shell-settings.js';

export interface TerminateSettings {
  readonly kill: KillFunction;
  readonly graceMs: number;
  /** How often to look whether the group is gone before the grace period ends (default 50). */
  readonly pollMs?: number;
}

/**
 * Sends `signal` to every process in the group led by `pgid`. Returns false when there is no
 * such group any more (ESRCH) or none of its members may be signalled (EPERM): either way there is
 * nothing left to do. Any other failure also counts as "nothing to do" rather than an exception,
 * because this runs from timers where a throw would take the whole process down.
 */
export function signalProcessGroup(
  pgid: number,
  signal: NodeJS.Signals | 0,
  kill: KillFunction,
): boolean {
  try {
    kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the group, then SIGKILL once `graceMs` has passed if any member is left. Resolves
 * when the group is gone or has been sent SIGKILL; it never rejects.
 */
export function terminateProcessGroup(pgid: number, settings: TerminateSettings): Promise<void> {
  const { kill, graceMs } = settings;
  if (!signalProcessGroup(pgid, 'SIGTERM', kill)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearInterval(poll);
      clearTimeout(deadline);
      resolve();
    };
    // A group that stops quickly should not keep the process alive for the whole grace period.
    const poll = setInterval(() => {
      if (!signalProcessGroup(pgid, 0, kill)) done();
    }, settings.pollMs ?? 50);
    const deadline = setTimeout(() => {
      signalProcessGroup(pgid, 'SIGKILL', kill);
      done();
    }, graceMs);
  });
}
