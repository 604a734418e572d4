/** The claude-code runner: a step is a headless Claude Code run, resumed on retry. */
export { createClaudeCodeRunner } from './claude-code-runner.js';
export type { ClaudeCodeRunnerSettings } from './claude-code-options.js';
export type { KillFunction, SpawnFunction } from '../agent-cli/run-agent-cli.js';
