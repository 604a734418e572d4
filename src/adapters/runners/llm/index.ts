/** The llm runner: a step is a conversation with an AI SDK model, its tools in a loop. */
export { createLlmRunner } from './llm-runner.js';
export type { LlmRunnerSettings } from './llm-settings.js';
