/** The shell runner: a step is a command run with `/bin/sh -c`, its stdout the step's output. */
export { createShellRunner } from './shell-runner.js';
export type { KillFunction, ShellRunnerSettings, SpawnFunction } from './shell-settings.js';
