/**
 * The command center's own operations — what an agent or a person asks the coordinator: submit
 * work (`task`), see where everything stands (`status`), what just happened (`activity`), and
 * whether the installation is healthy (`system.health`). The first three keep the short tool
 * names agents know them by.
 */

import { z } from 'zod';
import { ACTIVITY_SOURCES, recentActivity } from '../core/services/activity-service.js';
import { submitTask } from '../core/services/run-service.js';
import { systemHealth, workspaceStatus } from '../core/services/status-service.js';
import { systemMetrics } from '../core/services/metrics-service.js';
import { VECTOR_BACKENDS } from '../domain/memory.js';
import { RiskViewSchema } from '../domain/risk.js';
import { RUN_STATUSES, RunSchema, STEP_STATUSES } from '../domain/run.js';
import { PRIORITIES, TASK_STATUSES, TaskSchema } from '../domain/task.js';
import { actorName, projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';
import { TaskCreateInput } from './task-operations.js';

const countsOf = <T extends readonly [string, ...string[]]>(statuses: T) =>
  z.partialRecord(z.enum(statuses), z.number().int().nonnegative());

const BudgetStandingSchema = z.object({
  name: z.string(),
  scope: z.string(),
  key: z.string().nullable(),
  limitUsd: z.number().nullable(),
  limitTokens: z.number().nullable(),
  usedUsd: z.number().nullable(),
  usedTokens: z.number().nullable(),
  headroomUsd: z.number().nullable(),
  headroomTokens: z.number().nullable(),
  state: z.enum(['ok', 'warning', 'exceeded', 'per_run']),
});

const StatusSchema = z.object({
  at: z.string(),
  projects: z.array(
    z.object({
      key: z.string(),
      name: z.string(),
      status: z.string(),
      total: z.number().int(),
      tasks: countsOf(TASK_STATUSES),
    }),
  ),
  runs: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.enum(RUN_STATUSES),
      project: z.string().nullable(),
      steps: countsOf(STEP_STATUSES),
      stepsTotal: z.number().int(),
      costUsd: z.number(),
      createdAt: z.string(),
    }),
  ),
  approvals: z.array(
    z.object({
      id: z.string(),
      runId: z.string(),
      stepKey: z.string(),
      phase: z.enum(['before', 'after']),
      requestedAt: z.string(),
    }),
  ),
  spend: z.object({
    todayUsd: z.number(),
    totalUsd: z.number(),
    budgets: z.array(BudgetStandingSchema),
  }),
  next: z.array(
    z.object({
      ref: z.string(),
      title: z.string(),
      priority: z.enum(PRIORITIES),
      role: z.string().nullable(),
    }),
  ),
  risks: z.array(
    RiskViewSchema.pick({
      ref: true,
      title: true,
      level: true,
      score: true,
      status: true,
      reviewDate: true,
      overdue: true,
    }),
  ),
  budgetAlerts: z.array(
    z.object({
      project: z.string(),
      ref: z.string(),
      category: z.string(),
      currency: z.string(),
      planned: z.string(),
      actual: z.string(),
      variancePercent: z.string().nullable(),
      thresholdPercent: z.number().int(),
    }),
  ),
  overdue: z.array(
    z.object({
      kind: z.enum(['action', 'milestone']),
      ref: z.string(),
      title: z.string(),
      dueDate: z.string(),
      owner: z.string().nullable(),
    }),
  ),
  report: z.string(),
});

const ActivitySchema = z.object({
  at: z.string(),
  source: z.enum(ACTIVITY_SOURCES),
  kind: z.string(),
  actor: z.string().nullable(),
  target: z.string().nullable(),
  runId: z.string().nullable(),
  summary: z.string(),
});

const HealthSchema = z.object({
  ok: z.boolean(),
  at: z.string(),
  version: z.string().nullable(),
  store: z.object({
    dialect: z.enum(['sqlite', 'postgres']).nullable(),
    location: z.string().nullable(),
    latencyMs: z.number(),
    tasks: z.number().int(),
    runsActive: z.number().int(),
  }),
  workers: z.array(
    z.object({
      id: z.string(),
      host: z.string(),
      pid: z.number().int(),
      concurrency: z.number().int(),
      startedAt: z.string(),
      heartbeatAt: z.string(),
      stale: z.boolean(),
    }),
  ),
  agents: z.array(
    z.object({
      name: z.string(),
      runner: z.string(),
      model: z.string().nullable(),
      role: z.string().nullable(),
    }),
  ),
  budgets: z.array(BudgetStandingSchema),
  memory: z.object({
    items: z.number().int(),
    embedded: z.number().int(),
    pending: z.number().int(),
    backend: z.enum(VECTOR_BACKENDS),
    model: z.string().nullable(),
  }),
  problems: z.array(z.string()),
  report: z.string(),
});

const MetricsSchema = z.object({
  at: z.string(),
  runs: countsOf(RUN_STATUSES),
  steps: countsOf(STEP_STATUSES),
  queueDepth: z.number().int().nonnegative(),
  stepDuration: z.object({
    boundsSeconds: z.array(z.number()),
    buckets: z.array(z.number().int().nonnegative()),
    count: z.number().int().nonnegative(),
    sumSeconds: z.number(),
  }),
  models: z.array(
    z.object({
      key: z.string(),
      calls: z.number().int(),
      inputTokens: z.number(),
      outputTokens: z.number(),
      cachedInputTokens: z.number(),
      costUsd: z.number(),
    }),
  ),
  budgets: z.array(BudgetStandingSchema),
});

export const commandCenterOperations = [
  defineOperation({
    name: 'task.submit',
    tool: 'task',
    summary:
      'Hand work to the coordinator: create a task and start a run in which its role’s agent does it (start: false only creates it)',
    effects: 'run',
    input: TaskCreateInput.extend({
      start: z.boolean().optional(),
      agent: z.string().trim().min(1).optional(),
      runner: z.string().trim().min(1).optional(),
    }),
    output: z.object({ task: TaskSchema, run: RunSchema.nullable() }),
    cli: {
      positional: ['project', 'title'],
      short: { p: 'priority', d: 'description', t: 'tags' },
      examples: [
        'bosun task submit HOME "Rotate the backup keys" --role ops -d "both NAS units"',
        'bosun task submit HOME "Draft the release notes" --agent writer',
        'bosun task submit HOME "Later" --no-start        # create it only',
      ],
    },
    handler: (ctx, input) => submitTask(ctx, input),
  }),
  defineOperation({
    name: 'workspace.status',
    tool: 'status',
    summary:
      'Where everything stands: tasks by status per project, runs in flight, approvals waiting, spend against budgets, what is next, risks needing attention',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      run: z.string().trim().min(1).optional(),
    }),
    output: StatusSchema,
    cli: {
      aliases: ['status'],
      text: 'report',
      examples: ['bosun status', 'bosun status --project HOME --json', 'bosun status --run last'],
    },
    handler: (ctx, input) => workspaceStatus(ctx, input),
  }),
  defineOperation({
    name: 'workspace.activity',
    tool: 'activity',
    summary:
      'Recent activity, newest first: run and step events and every write with its actor, filterable by run, project, actor, kind and time',
    effects: 'read',
    input: z.strictObject({
      run: z.string().trim().min(1).optional(),
      project: projectKey.optional(),
      actor: actorName.optional(),
      kinds: z.array(z.string().trim().min(1)).optional(),
      source: z.enum(ACTIVITY_SOURCES, `must be ${ACTIVITY_SOURCES.join(' or ')}`).optional(),
      since: z.string().trim().min(1).optional(),
      limit: z.number().int().min(1, 'must be 1 or more').max(200, 'at most 200').optional(),
    }),
    output: z.array(ActivitySchema),
    cli: {
      aliases: ['activity'],
      short: { n: 'limit' },
      columns: ['at', 'source', 'summary'],
      empty: 'Nothing happened yet.',
      examples: [
        'bosun activity',
        'bosun activity --project HOME --since 2h',
        'bosun activity --run last --kinds step-end --kinds step-retry',
        'bosun activity --actor coder-1 -n 100',
      ],
    },
    handler: (ctx, input) => recentActivity(ctx, input),
  }),
  defineOperation({
    name: 'system.health',
    summary:
      'The installation’s health: store, workers and their heartbeats, agents, budgets, and what needs attention',
    effects: 'read',
    input: z.strictObject({}),
    output: HealthSchema,
    cli: {
      bare: true,
      aliases: ['check'],
      text: 'report',
      ok: 'ok',
      examples: ['bosun system health', 'bosun system health --json'],
    },
    handler: (ctx) => systemHealth(ctx),
  }),
  defineOperation({
    name: 'system.metrics',
    summary:
      'The numbers /metrics publishes: runs and steps by status, queue depth, step durations, tokens and cost by model, budget headroom',
    effects: 'read',
    input: z.strictObject({}),
    output: MetricsSchema,
    cli: { json: true, examples: ['bosun system metrics'] },
    handler: (ctx) => systemMetrics(ctx),
  }),
];
