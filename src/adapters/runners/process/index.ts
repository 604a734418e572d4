/** The process runner: any other agent CLI, run with its prompt in a pseudo-terminal. */
export { createProcessRunner } from './process-runner.js';
export type {
  ProcessRunnerSettings,
  PseudoTerminal,
  PseudoTerminalOptions,
  PseudoTerminalSpawnFunction,
} from './process-runner.js';
