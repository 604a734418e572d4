/**
 * Operations on runs, steps and approvals. Starting a run records it; the entry point's scheduler
 * (the CLI's in-process one, `bosun worker`, `bosun serve`) executes it.
 */

import { z } from 'zod';
import {
  cancelRun,
  checkWorkflow,
  decide,
  forkRun,
  listApprovals,
  listEvents,
  listRuns,
  pauseRun,
  resumeRun,
  runGraph,
  showRun,
  showStep,
  startRun,
} from '../core/services/run-service.js';
import {
  APPROVAL_STATUSES,
  ApprovalSchema,
  AttemptSchema,
  JournalEventSchema,
  RUN_STATUSES,
  RunSchema,
  STEP_STATUSES,
  StepSchema,
} from '../domain/run.js';
import { requiredText } from '../domain/fields.js';
import { limit, projectKey, taskKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const runKey = z
  .string()
  .trim()
  .min(1, "must name a run by id, a unique id prefix (4+ characters) or 'last'");
const stepKey = z.string().trim().min(1, 'must name a step by its id in the workflow');
const approvalKey = z.string().trim().min(1, 'must name an approval by id or a unique id prefix');
const runInputValues = z.record(z.string(), z.json());

export const RUN_COLUMNS = [
  'id',
  'name',
  'status',
  'stepsTotal:STEPS',
  'costUsd:COST $',
  'createdAt:CREATED',
];

const StepSummarySchema = z.object({
  key: z.string(),
  status: z.enum(STEP_STATUSES),
  runner: z.string(),
  attempts: z.number().int(),
  needs: z.array(z.string()),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  error: z.string().nullable(),
  reused: z.boolean(),
});

const RunDetailSchema = z.object({
  run: RunSchema,
  counts: z.record(z.string(), z.number()),
  steps: z.array(StepSummarySchema),
  approvals: z.array(ApprovalSchema),
});

const StepDetailSchema = z.object({
  step: StepSchema.extend({ spec: z.unknown() }),
  attempts: z.array(
    AttemptSchema.extend({
      /** Tokens of the packed context (agent steps), and of the naive prompt it replaced. */
      contextTokens: z.number().nullable(),
      naiveTokens: z.number().nullable(),
    }),
  ),
});

const APPROVAL_COLUMNS = [
  'id',
  'stepKey:STEP',
  'phase',
  'status',
  'runId:RUN',
  'requestedAt:ASKED',
];

export const runOperations = [
  defineOperation({
    name: 'workflow.check',
    summary: 'Validate a workflow file without running it: steps in order, inputs, problems',
    effects: 'read',
    input: z.strictObject({
      file: z.string().trim().min(1, 'must be a path').optional(),
      workflow: z.record(z.string(), z.unknown()).optional(),
    }),
    output: z.object({
      name: z.string(),
      steps: z.array(z.object({ id: z.string(), runner: z.string(), needs: z.array(z.string()) })),
      inputs: z.array(z.object({ name: z.string(), required: z.boolean() })),
    }),
    cli: {
      positional: ['file'],
      aliases: ['validate', 'lint'],
      rows: 'steps',
      columns: ['id:STEP', 'runner', 'needs'],
      examples: ['bosun workflow check release.yaml'],
    },
    handler: (ctx, input) => checkWorkflow(ctx, input),
  }),
  defineOperation({
    name: 'run.start',
    summary:
      'Start a run of a workflow file (or inline workflow), of a project’s task graph, or of one task',
    effects: 'run',
    input: z.strictObject({
      file: z.string().trim().min(1, 'must be a path').optional(),
      workflow: z.record(z.string(), z.unknown()).optional(),
      project: projectKey.optional(),
      task: taskKey.optional(),
      input: runInputValues.optional(),
      name: requiredText(100).optional(),
      runner: z.string().trim().min(1).optional(),
      agent: z.string().trim().min(1).optional(),
    }),
    output: RunSchema,
    cli: {
      positional: ['file'],
      aliases: ['new'],
      columns: RUN_COLUMNS,
      examples: [
        'bosun run start examples/hello.yaml --follow',
        'bosun run start release.yaml --input version=1.4.0 --input target=prod',
        'bosun run start --project HOME --detach      # a `bosun worker` executes it',
        'bosun run start --task HOME-12 --agent coder --follow',
      ],
    },
    handler: (ctx, input) => startRun(ctx, input),
  }),
  defineOperation({
    name: 'run.list',
    summary: 'List runs, newest first, filtered by status or project',
    effects: 'read',
    input: z.strictObject({
      status: z.array(z.enum(RUN_STATUSES)).optional(),
      project: projectKey.optional(),
      limit: limit.optional(),
    }),
    output: z.array(RunSchema),
    cli: { aliases: ['ls'], columns: RUN_COLUMNS, empty: 'No runs yet.' },
    handler: (ctx, input) => listRuns(ctx, input),
  }),
  defineOperation({
    name: 'run.show',
    summary: 'A run with its steps, their status and attempts, and pending approvals',
    effects: 'read',
    input: z.strictObject({ run: runKey, limit: limit.optional() }),
    output: RunDetailSchema,
    cli: {
      positional: ['run'],
      aliases: ['status', 'get'],
      rows: 'steps',
      columns: ['key:STEP', 'status', 'runner', 'attempts', 'error'],
    },
    handler: (ctx, input) => showRun(ctx, input),
  }),
  defineOperation({
    name: 'run.pause',
    summary: 'Pause a run: running steps finish, nothing new starts until it is resumed',
    effects: 'write',
    input: z.strictObject({ run: runKey }),
    output: RunSchema,
    cli: { positional: ['run'], columns: RUN_COLUMNS },
    handler: (ctx, input) => pauseRun(ctx, input),
  }),
  defineOperation({
    name: 'run.resume',
    summary: 'Resume a paused run, or continue one whose process stopped (steps done are kept)',
    effects: 'run',
    input: z.strictObject({ run: runKey }),
    output: RunSchema,
    cli: { positional: ['run'], columns: RUN_COLUMNS },
    handler: (ctx, input) => resumeRun(ctx, input),
  }),
  defineOperation({
    name: 'run.cancel',
    summary: 'Cancel a run: open steps are cancelled and running ones are stopped',
    effects: 'write',
    input: z.strictObject({ run: runKey, reason: requiredText(1_000).optional() }),
    output: RunSchema,
    cli: { positional: ['run'], columns: RUN_COLUMNS },
    handler: (ctx, input) => cancelRun(ctx, input),
  }),
  defineOperation({
    name: 'run.fork',
    summary:
      'A new run reusing the outputs of every step not downstream of --from, re-running from it',
    effects: 'run',
    input: z.strictObject({
      run: runKey,
      from: stepKey,
      input: runInputValues.optional(),
      name: requiredText(100).optional(),
    }),
    output: RunSchema,
    cli: {
      positional: ['run'],
      columns: RUN_COLUMNS,
      examples: ['bosun run fork last --from deploy --input target=staging --follow'],
    },
    handler: (ctx, input) => forkRun(ctx, input),
  }),
  defineOperation({
    name: 'run.events',
    summary: 'The journal: events after a number, for one run or all (--follow streams them)',
    effects: 'read',
    input: z.strictObject({
      run: runKey.optional(),
      after: z.number().int().nonnegative('must be 0 or more').default(0),
      kinds: z.array(z.string()).optional(),
      limit: limit.default(1_000),
    }),
    output: z.object({ events: z.array(JournalEventSchema), last: z.number().int() }),
    cli: {
      positional: ['run'],
      aliases: ['log'],
      rows: 'events',
      columns: ['seq', 'at', 'kind', 'data'],
      examples: ['bosun run events last --after 120 --follow --json'],
    },
    handler: (ctx, input) => listEvents(ctx, input),
  }),
  defineOperation({
    name: 'run.graph',
    summary: 'The run’s DAG with each step’s status, as Mermaid (or JSON)',
    effects: 'read',
    input: z.strictObject({
      run: runKey,
      format: z.enum(['mermaid', 'json']).default('mermaid'),
    }),
    output: z.object({ format: z.string(), text: z.string() }),
    cli: { positional: ['run'], text: 'text' },
    handler: (ctx, input) => runGraph(ctx, input),
  }),
  defineOperation({
    name: 'step.show',
    summary: 'One step of a run: its definition, output or error, and every attempt',
    effects: 'read',
    input: z.strictObject({ run: runKey, step: stepKey }),
    output: StepDetailSchema,
    cli: {
      positional: ['run', 'step'],
      aliases: ['get'],
      rows: 'attempts',
      columns: [
        'number',
        'status',
        'idempotencyKey:KEY',
        'owner',
        'startedAt',
        'endedAt',
        'contextTokens:CONTEXT',
        'naiveTokens:NAIVE',
      ],
    },
    handler: (ctx, input) => showStep(ctx, input),
  }),
  defineOperation({
    name: 'approval.list',
    summary: 'Approval requests (pending by default), oldest first',
    effects: 'read',
    input: z.strictObject({
      status: z.enum(APPROVAL_STATUSES).default('pending'),
      run: runKey.optional(),
      limit: limit.optional(),
    }),
    output: z.array(ApprovalSchema),
    cli: { aliases: ['ls'], columns: APPROVAL_COLUMNS, empty: 'Nothing waits for approval.' },
    handler: (ctx, input) => listApprovals(ctx, input),
  }),
  defineOperation({
    name: 'approval.approve',
    summary: 'Approve a step: before it runs, or its output after it ran',
    effects: 'write',
    input: z.strictObject({ approval: approvalKey, comment: requiredText(10_000).optional() }),
    output: ApprovalSchema,
    cli: {
      positional: ['approval'],
      aliases: ['ok', 'yes'],
      columns: APPROVAL_COLUMNS,
      examples: ['bosun approval approve last:publish --comment "changelog checked"'],
    },
    handler: (ctx, input) => decide(ctx, input, true),
  }),
  defineOperation({
    name: 'approval.reject',
    summary: 'Reject a step: it fails, is skipped, or runs again with your comment (its on_reject)',
    effects: 'write',
    input: z.strictObject({ approval: approvalKey, comment: requiredText(10_000).optional() }),
    output: ApprovalSchema,
    cli: {
      positional: ['approval'],
      aliases: ['no', 'deny'],
      columns: APPROVAL_COLUMNS,
      examples: ['bosun approval reject 01JD… --comment "the changelog misses the API change"'],
    },
    handler: (ctx, input) => decide(ctx, input, false),
  }),
];
