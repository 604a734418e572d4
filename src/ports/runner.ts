/**
 * The runner port: something that executes one attempt of one step and reports its output and
 * usage, or throws a StepFailure. The engine owns durability (leases, retries, the journal); a
 * runner only does the work and honours the AbortSignal (cancel, timeout, shutdown).
 */

import type { AgentConfig, ModelConfig } from '../domain/agent.js';
import type { JsonValue } from '../domain/workflow.js';
import type { StepFailureData } from '../shared/step-failure.js';

export interface RunnerUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens served from the provider's prompt cache (part of inputTokens). */
  readonly cachedInputTokens?: number | undefined;
  readonly costUsd: number;
}

/**
 * One call to a model — a request of the llm runner, or the result of a CLI agent's session —
 * as the cost ledger records it.
 */
export interface ModelCall {
  /** The configured model name, or the model the CLI agent reported. */
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly costUsd: number;
  readonly latencyMs: number;
}

/** A model as a runner uses it: its configured name and settings. */
export interface ResolvedModel extends ModelConfig {
  readonly name: string;
}

/**
 * The agent a step is given to, resolved for this attempt: its settings from bosun.yaml, its
 * instructions read, and the model chosen for this attempt (a route climbs on retries).
 */
export interface AgentProfile {
  readonly name: string;
  readonly config: AgentConfig;
  readonly instructions: string;
  readonly model: ResolvedModel | null;
}

/** What an earlier attempt of the same step left behind; the next attempt learns from it. */
export interface PreviousAttempt {
  readonly attempt: number;
  readonly kind: string;
  readonly error: string;
  readonly outputTail: string;
  /** The reviewer's comment when an approval was rejected with `on_reject: retry`. */
  readonly comment: string | null;
  /** The conversation that attempt left (Claude Code session, Codex thread), to resume. */
  readonly session: string | null;
}

export type StepOutputStream = 'stdout' | 'stderr' | 'text';

export type AgentActivity =
  | { readonly kind: 'agent-message-delta'; readonly text: string }
  | {
      readonly kind: 'agent-tool-call';
      readonly id: string;
      readonly tool: string;
      readonly input: JsonValue;
    }
  | {
      readonly kind: 'agent-tool-result';
      readonly id: string;
      readonly ok: boolean;
      readonly text: string;
    }
  | { readonly kind: 'agent-session'; readonly session: string; readonly model: string | null };

/** The packed context of an attempt and what it costs (core/agents/context-packer.ts). */
export interface PackedPrompt {
  readonly text: string;
  readonly tokens: number;
}

export interface StepAttemptContext {
  readonly runId: string;
  readonly stepId: string;
  readonly stepKey: string;
  /** 1 for the first execution; grows with every retry and every re-run after a lost lease. */
  readonly attempt: number;
  /**
   * `<run>:<step>:<try>`. The same key is handed again when an attempt is re-run because its
   * lease expired (the worker died), so a side effect can be made idempotent.
   */
  readonly idempotencyKey: string;
  /** The step's rendered `input`. */
  readonly input: JsonValue;
  /** The step's rendered `with` settings, as declared for this runner. */
  readonly settings: { readonly [key: string]: JsonValue };
  readonly previousAttempts: readonly PreviousAttempt[];
  /** Aborted on cancel, timeout and shutdown; `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** Folder to run in: the workspace's root folder, or the step's git worktree. */
  readonly workdir: string;
  /** Set when the step names an agent or a role: who does it, on which model. */
  readonly agent?: AgentProfile | undefined;
  /**
   * An agent step's packed context (llm, claude-code, codex): the task, its dependencies'
   * outputs, earlier attempts and memories under the agent's token budget. When set, a runner
   * sends this text instead of the bare input and its own account of earlier attempts.
   */
  readonly context?: PackedPrompt | undefined;
  /** The environment runners read API keys from (`api_key_env`); the process's by default. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Streams progress (a line of output, a text delta); the engine journals it in batches. */
  emit(stream: StepOutputStream, text: string): void;
  /**
   * What an agent does, as journal events: text deltas of its messages, tool calls and their
   * results, the session it runs in. Deltas are merged per message before they are journaled.
   */
  report?(event: AgentActivity): void;
}

export interface StepOutcome {
  readonly output: JsonValue;
  readonly usage?: RunnerUsage | undefined;
  /** The model calls behind `usage`, one ledger row each. */
  readonly calls?: readonly ModelCall[] | undefined;
  /** A conversation a later attempt of this step may resume. */
  readonly session?: string | undefined;
}

export interface Runner {
  readonly name: string;
  /** Resolves with the outcome, or rejects with a StepFailure (anything else counts as an error). */
  execute(context: StepAttemptContext): Promise<StepOutcome>;
}

/** Runners by name; the engine refuses a workflow naming one that is not here. */
export type RunnerRegistry = ReadonlyMap<string, Runner>;

/** An attempt's outcome as the engine records it: the output, or the failure; what it spent. */
export type AttemptOutcome =
  | {
      readonly ok: true;
      readonly output: JsonValue;
      readonly usage?: RunnerUsage | undefined;
      readonly calls?: readonly ModelCall[] | undefined;
    }
  | {
      readonly ok: false;
      readonly failure: StepFailureData;
      readonly usage?: RunnerUsage | undefined;
      readonly calls?: readonly ModelCall[] | undefined;
    };
