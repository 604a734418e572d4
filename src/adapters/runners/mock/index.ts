/** The mock runner: scripted, deterministic step attempts for demos, tests and benchmarks. */
export { createMockRunner } from './mock-runner.js';
export type { MockRunnerSettings, MockTimers } from './mock-settings.js';
