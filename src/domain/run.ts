/**
 * Execution entities: a run (one execution of a workflow definition), its steps, each step's
 * attempts, approval requests and the append-only journal of events. Statuses are closed unions
 * with transition tables; the engine (core/engine) is the only writer.
 */

import { z } from 'zod';
import { BosunError } from '../shared/errors.js';
import type { StepFailureData } from '../shared/step-failure.js';
import { idSchema, timestampSchema } from './fields.js';
import type { TransitionTable } from './status-machine.js';
import { assertTransition } from './status-machine.js';
import type { JsonValue, RetryPolicy, StepDefinition, WorkflowDefinition } from './workflow.js';

export const RUN_STATUSES = ['running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_SOURCES = ['workflow', 'project', 'fork'] as const;
export type RunSource = (typeof RUN_SOURCES)[number];

/**
 * waiting: dependencies not yet succeeded; ready: may be claimed (from `availableAt` on);
 * running: an attempt holds the lease; approval: parked until a person decides; held: its worst
 * case would exceed a budget (its error says which), until `run resume` puts it back in the queue.
 */
export const STEP_STATUSES = [
  'waiting',
  'ready',
  'running',
  'approval',
  'held',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const OPEN_STEP_STATUSES: readonly StepStatus[] = [
  'waiting',
  'ready',
  'running',
  'approval',
  'held',
];

export const ATTEMPT_STATUSES = ['running', 'succeeded', 'failed', 'lost', 'cancelled'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

const jsonValue: z.ZodType<JsonValue> = z.json() as z.ZodType<JsonValue>;

export const UsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
});

export const FailureSchema = z.object({
  kind: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  outputTail: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const RunSchema = z.object({
  id: idSchema,
  name: z.string(),
  source: z.enum(RUN_SOURCES),
  status: z.enum(RUN_STATUSES),
  projectId: idSchema.nullable(),
  parentRunId: idSchema.nullable(),
  forkStep: z.string().nullable(),
  file: z.string().nullable(),
  input: z.record(z.string(), jsonValue),
  stepsTotal: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  error: z.string().nullable(),
  createdBy: z.string(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  endedAt: timestampSchema.nullable(),
});
export type Run = Readonly<z.infer<typeof RunSchema>>;

export const StepSchema = z.object({
  id: idSchema,
  runId: idSchema,
  key: z.string(),
  position: z.number().int().nonnegative(),
  status: z.enum(STEP_STATUSES),
  runner: z.string(),
  group: z.string().nullable(),
  openDeps: z.number().int().nonnegative(),
  /** Failed tries so far; part of the idempotency key, unchanged when a lost attempt re-runs. */
  tries: z.number().int().nonnegative(),
  /** Executions started so far (every claim, including re-runs after a lost lease). */
  attempts: z.number().int().nonnegative(),
  availableAt: timestampSchema,
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: timestampSchema.nullable(),
  attemptId: idSchema.nullable(),
  /** A `before` approval was granted, or an `after` one is being waited for. */
  approved: z.boolean(),
  output: jsonValue.nullable(),
  error: FailureSchema.nullable(),
  reusedFrom: idSchema.nullable(),
  taskId: idSchema.nullable(),
  dependents: z.array(idSchema),
  startedAt: timestampSchema.nullable(),
  endedAt: timestampSchema.nullable(),
  updatedAt: timestampSchema,
});
export type Step = Readonly<z.infer<typeof StepSchema>> & { readonly spec: StepDefinition };

export const AttemptSchema = z.object({
  id: idSchema,
  runId: idSchema,
  stepId: idSchema,
  number: z.number().int().positive(),
  try: z.number().int().nonnegative(),
  idempotencyKey: z.string(),
  status: z.enum(ATTEMPT_STATUSES),
  owner: z.string(),
  input: jsonValue.nullable(),
  output: jsonValue.nullable(),
  error: FailureSchema.nullable(),
  usage: UsageSchema.nullable(),
  startedAt: timestampSchema,
  endedAt: timestampSchema.nullable(),
});
export type Attempt = Readonly<Omit<z.infer<typeof AttemptSchema>, 'error'>> & {
  readonly error: StepFailureData | null;
};

export const ApprovalSchema = z.object({
  id: idSchema,
  runId: idSchema,
  stepId: idSchema,
  stepKey: z.string(),
  phase: z.enum(['before', 'after']),
  status: z.enum(APPROVAL_STATUSES),
  comment: z.string().nullable(),
  requestedAt: timestampSchema,
  decidedBy: z.string().nullable(),
  decidedAt: timestampSchema.nullable(),
});
export type Approval = Readonly<z.infer<typeof ApprovalSchema>>;

export const EVENT_KINDS = [
  'run-start',
  'run-pause',
  'run-resume',
  'run-cancel',
  'run-end',
  'step-start',
  'step-output',
  'step-retry',
  'step-lost',
  'step-release',
  'step-end',
  'context-pack',
  'approval-request',
  'approval-decide',
  // A project's budget line crossed its alert threshold, or came back under it (no run, no step).
  'budget-alert',
  'budget-alert-cleared',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const JournalEventSchema = z.object({
  seq: z.number().int().positive(),
  at: timestampSchema,
  runId: idSchema.nullable(),
  stepId: idSchema.nullable(),
  kind: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type JournalEvent = Readonly<z.infer<typeof JournalEventSchema>>;
export type NewJournalEvent = Omit<JournalEvent, 'seq'>;

const RUN_TRANSITIONS: TransitionTable<RunStatus> = {
  running: ['paused', 'succeeded', 'failed', 'cancelled'],
  paused: ['running', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export const Run = {
  transitions: RUN_TRANSITIONS,
  assertTransition(from: RunStatus, to: RunStatus): void {
    assertTransition('run', RUN_TRANSITIONS, from, to);
  },
  isFinal(status: RunStatus): boolean {
    return status === 'succeeded' || status === 'failed' || status === 'cancelled';
  },
};

export const Step = {
  isOpen(status: StepStatus): boolean {
    return OPEN_STEP_STATUSES.includes(status);
  },
  /** `<run>:<step>:<try>` — stable across re-runs of a lost attempt, new for every real retry. */
  idempotencyKey(runId: string, stepKey: string, tries: number): string {
    return `${runId}:${stepKey}:${tries + 1}`;
  },
  /** Wait before try `tries + 1`, given `tries` failures so far (tries ≥ 1). */
  backoffMs(policy: RetryPolicy, tries: number): number {
    const wait = policy.backoffMs * policy.factor ** Math.max(0, tries - 1);
    return Math.min(wait, policy.maxBackoffMs > 0 ? policy.maxBackoffMs : wait);
  },
};

/** The step keys reachable downstream of `from` (inclusive): what a fork from `from` re-runs. */
export function downstreamOf(definition: WorkflowDefinition, from: string): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const step of definition.steps) {
    for (const need of step.needs) {
      const list = dependents.get(need) ?? [];
      list.push(step.id);
      dependents.set(need, list);
    }
  }
  if (!definition.steps.some((step) => step.id === from)) {
    throw new BosunError('not_found', `from: the run has no step '${from}'`, {
      details: { field: 'from', step: from },
    });
  }
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length > 0) {
    for (const next of dependents.get(stack.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}
