/** The codex runner: a step is a `codex exec` run, resumed on retry. */
export { createCodexRunner } from './codex-runner.js';
export type { CodexRunnerSettings } from './codex-options.js';
export type { KillFunction, SpawnFunction } from '../agent-cli/run-agent-cli.js';
