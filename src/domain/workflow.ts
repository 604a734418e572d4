/**
 * A workflow definition: the DAG of steps a run executes, after validation. Definitions come from
 * a YAML file (app/workflow-file.ts), from a project's task graph, or inline through the API; all
 * of them end up as this normalized, JSON-serializable shape, stored with the run.
 */

export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export const APPROVAL_PHASES = ['before', 'after'] as const;
export type ApprovalPhase = (typeof APPROVAL_PHASES)[number];

/** What a rejected approval does: fail the step (default), run it again with the comment, or skip it. */
export const ON_REJECT = ['fail', 'retry', 'skip'] as const;
export type OnReject = (typeof ON_REJECT)[number];

export interface RetryPolicy {
  /** Total tries including the first (1 = no retry). */
  readonly attempts: number;
  readonly backoffMs: number;
  /** Each further wait is the previous one times `factor`, capped at `maxBackoffMs`. */
  readonly factor: number;
  readonly maxBackoffMs: number;
}

export interface StepDefinition {
  /** Unique within the workflow: lower-case letters, digits, `-` and `_`, or a task ref. */
  readonly id: string;
  /** Explicit runner (`mock`, `shell`, …); null when `agent`/`role` decides. */
  readonly runner: string | null;
  readonly agent: string | null;
  readonly role: string | null;
  /** Runner settings (`command` for shell, `output`/`latency` for mock), templated. */
  readonly with: { readonly [key: string]: JsonValue };
  /** The data handed to the runner, templated (`{{ input.x }}`, `{{ steps.a.output }}`). */
  readonly input: JsonValue;
  readonly needs: readonly string[];
  readonly approval: ApprovalPhase | null;
  readonly onReject: OnReject;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | null;
  /** Concurrency group: at most `groupLimit` steps of the group run at once, workspace-wide. */
  readonly group: string | null;
  readonly groupLimit: number | null;
  /** Set for steps made from a project's tasks: the step's outcome moves this task. */
  readonly taskId: string | null;
}

export interface WorkflowInputDefinition {
  readonly description: string;
  /** Undefined when the input is required. */
  readonly default?: JsonValue;
}

export interface WorkflowDefinition {
  readonly name: string;
  readonly description: string;
  readonly inputs: { readonly [name: string]: WorkflowInputDefinition };
  /** Steps in definition order, each listed after every step it needs. */
  readonly steps: readonly StepDefinition[];
}

export const NO_RETRY: RetryPolicy = { attempts: 1, backoffMs: 0, factor: 1, maxBackoffMs: 0 };
