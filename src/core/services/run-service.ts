/**
 * Use cases of runs: start one from a workflow (file or inline) or from a project's task graph,
 * look at it, pause/resume/cancel it, fork it from a step, decide its approvals and read its
 * journal. Execution itself belongs to the scheduler (core/engine); these are the transactions
 * people and agents trigger.
 */

import { topologicalOrder } from '../../domain/dependency-graph.js';
import type { Adjacency } from '../../domain/dependency-graph.js';
import type { Approval, Attempt, JournalEvent, Run, RunStatus, Step } from '../../domain/run.js';
import { Run as RunRules, downstreamOf } from '../../domain/run.js';
import { toMermaid } from '../../domain/run-graph.js';
import type { Task } from '../../domain/task.js';
import { resolveWorkflowInput } from '../../domain/workflow-schema.js';
import type { JsonValue, StepDefinition, WorkflowDefinition } from '../../domain/workflow.js';
import { NO_RETRY } from '../../domain/workflow.js';
import type { Repositories } from '../../ports/store.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';
import type { JournalContext } from '../engine/journal.js';
import {
  createRun,
  decideApproval,
  endRun,
  flushEvents,
  journalContext,
  releaseHeld,
  setRunPaused,
} from '../engine/journal.js';
import { createTaskLink } from '../engine/task-link.js';
import { resolveProject, resolveTask } from './resolve.js';
import { createTask } from './task-service.js';
import type { EngineEnvironment, ServiceContext } from './service-context.js';

function engineOf(ctx: ServiceContext): EngineEnvironment {
  if (!ctx.engine) {
    throw new BosunError('unavailable', 'runs cannot start here: no engine is configured');
  }
  return ctx.engine;
}

async function inJournal<T>(
  ctx: ServiceContext,
  work: (j: JournalContext) => Promise<T>,
): Promise<T> {
  const journal = journalContext(ctx, createTaskLink(ctx));
  const result = await work(journal);
  await flushEvents(journal);
  return result;
}

// ── finding runs

/** A run by id, by a unique id prefix (at least 4 characters, like a git hash), or `last`. */
export async function resolveRun(
  repos: Repositories,
  text: string,
  field = 'run',
  options: { lock?: boolean } = {},
): Promise<Run> {
  const value = text.trim().toUpperCase();
  let run: Run | undefined;
  if (value === 'LAST') {
    const id = (await repos.runs.list({ limit: 1 }))[0]?.id;
    run = id ? await repos.runs.findById(id, options) : undefined;
  } else if (isUlid(value)) {
    run = await repos.runs.findById(value, options);
  } else if (value.length >= 4) {
    const matches = await repos.runs.findByIdPrefix(value, 2);
    if (matches.length > 1) {
      throw new BosunError(
        'invalid_input',
        `${field}: '${text}' matches several runs; give more of the id`,
        {
          details: { field, rule: 'a unique run id prefix' },
        },
      );
    }
    run = matches[0] ? await repos.runs.findById(matches[0].id, options) : undefined;
  }
  if (!run) {
    throw new BosunError('not_found', `${field}: no run '${text}'; see 'bosun run list'`, {
      details: { field, kind: 'run', key: text },
    });
  }
  return run;
}

async function resolveStep(
  repos: Repositories,
  run: Run,
  key: string,
  field = 'step',
): Promise<Step> {
  const step = isUlid(key)
    ? await repos.steps.findById(key)
    : await repos.steps.findByKey(run.id, key);
  if (!step || step.runId !== run.id) {
    throw new BosunError('not_found', `${field}: run ${run.id} has no step '${key}'`, {
      details: { field, kind: 'step', key },
    });
  }
  return step;
}

// ── starting

/** Validates a workflow (file or inline) the way `run start` does, without recording anything. */
export async function checkWorkflow(
  ctx: ServiceContext,
  input: { file?: string | undefined; workflow?: unknown },
): Promise<{
  name: string;
  steps: { id: string; runner: string; needs: string[] }[];
  inputs: { name: string; required: boolean }[];
}> {
  if ((input.file === undefined) === (input.workflow === undefined)) {
    throw invalidInput('file', 'give exactly one of a workflow file or an inline workflow');
  }
  const engine = engineOf(ctx);
  const definition =
    input.file !== undefined
      ? engine.loadWorkflowFile(input.file).definition
      : engine.parseWorkflow(input.workflow);
  return Promise.resolve({
    name: definition.name,
    steps: definition.steps.map((step) => ({
      id: step.id,
      runner: step.runner ?? `agent ${step.agent ?? step.role ?? ''}`.trim(),
      needs: [...step.needs],
    })),
    inputs: Object.entries(definition.inputs).map(([name, declared]) => ({
      name,
      required: declared.default === undefined,
    })),
  });
}

export interface StartInput {
  readonly file?: string | undefined;
  readonly workflow?: unknown;
  readonly project?: string | undefined;
  /** One task as a one-step run (what `task.submit` starts). */
  readonly task?: string | undefined;
  readonly input?: Readonly<Record<string, JsonValue>> | undefined;
  readonly name?: string | undefined;
  /** Project and task runs: the runner for every task step (default: the agent runner). */
  readonly runner?: string | undefined;
  /** Task runs: the agent that does the task (default: the one bosun.yaml routes its role to). */
  readonly agent?: string | undefined;
}

export async function startRun(ctx: ServiceContext, input: StartInput): Promise<Run> {
  const sources = [input.file, input.workflow, input.project, input.task].filter(
    (s) => s !== undefined,
  );
  if (sources.length !== 1) {
    throw invalidInput(
      'file',
      'give exactly one of a workflow file, an inline workflow, --project or --task',
    );
  }
  const engine = engineOf(ctx);
  let definition: WorkflowDefinition;
  let file: string | null = null;
  let projectId: string | null = null;
  if (input.runner !== undefined && !engine.runnerNames.includes(input.runner)) {
    throw invalidInput('runner', `must be one of ${engine.runnerNames.join(', ')}`);
  }
  if (input.agent !== undefined && input.task === undefined) {
    throw invalidInput('agent', 'applies to task runs only (--task)');
  }
  if (input.file !== undefined) {
    ({ definition, file } = engine.loadWorkflowFile(input.file));
  } else if (input.workflow !== undefined) {
    definition = engine.parseWorkflow(input.workflow);
  } else if (input.project !== undefined) {
    const project = await resolveProject(ctx.repos, input.project);
    const tasks = (await ctx.repos.tasks.list({ projectId: project.id })).filter(
      (task) => task.status !== 'done' && task.status !== 'cancelled',
    );
    if (tasks.length === 0) {
      throw new BosunError('conflict', `project: ${project.key} has no open tasks to run`, {
        details: { field: 'project' },
      });
    }
    definition = await definitionFromTasks(ctx.repos, tasks, {
      name: `${project.key} tasks`,
      field: 'project',
      runner: input.runner,
    });
    projectId = project.id;
  } else {
    const task = await resolveTask(ctx.repos, input.task!, 'task');
    if (task.status === 'done' || task.status === 'cancelled') {
      throw new BosunError('conflict', `task: ${task.ref} is ${task.status}; nothing to run`, {
        details: { field: 'task' },
      });
    }
    if (input.agent !== undefined && !engine.agents?.list().some((a) => a.name === input.agent)) {
      throw invalidInput(
        'agent',
        `no agent '${input.agent}' in bosun.yaml; see 'bosun agent list'`,
      );
    }
    definition = await definitionFromTasks(ctx.repos, [task], {
      name: `${task.ref} ${task.title}`.slice(0, 100),
      field: 'task',
      runner: input.runner,
      agent: input.agent,
    });
    projectId = task.projectId;
  }
  const values = resolveWorkflowInput(definition, input.input ?? {});
  return inJournal(ctx, (journal) =>
    createRun(journal, {
      name: input.name ?? definition.name,
      source: projectId ? 'project' : 'workflow',
      definition,
      input: values,
      createdBy: ctx.actor,
      projectId,
      file,
    }),
  );
}

/**
 * Open tasks as a workflow: each task a step run by its role's agent (or `agent`), in dependency
 * order. A dependency on a task outside the set must be done already: the run could not wait
 * for it.
 */
async function definitionFromTasks(
  repos: Repositories,
  tasks: readonly Task[],
  options: {
    name: string;
    /** The input field named when a dependency outside the set is still open. */
    field: string;
    runner: string | undefined;
    agent?: string | undefined;
  },
): Promise<WorkflowDefinition> {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const edges = await repos.dependencies.dependenciesOf(tasks.map((task) => task.id));
  const outside = edges.filter((edge) => !byId.has(edge.dependsOnId));
  const outsideTasks = new Map(
    (await repos.tasks.findByIds(outside.map((edge) => edge.dependsOnId))).map((t) => [t.id, t]),
  );
  const needs = new Map<string, string[]>(tasks.map((task) => [task.id, []]));
  for (const edge of edges) {
    if (byId.has(edge.dependsOnId)) {
      needs.get(edge.taskId)!.push(edge.dependsOnId);
      continue;
    }
    const dependency = outsideTasks.get(edge.dependsOnId);
    if (dependency && dependency.status !== 'done' && dependency.deletedAt === null) {
      const where =
        options.field === 'project' ? `, which is outside ${options.name.split(' ')[0]}` : '';
      throw new BosunError(
        'conflict',
        `${options.field}: ${byId.get(edge.taskId)!.ref} depends on ${dependency.ref} (${dependency.status})${where}; finish it or remove the dependency first`,
        {
          details: {
            field: options.field,
            task: byId.get(edge.taskId)!.ref,
            dependsOn: dependency.ref,
          },
        },
      );
    }
  }
  const adjacency: Adjacency = needs;
  const order = topologicalOrder(
    tasks.map((task) => task.id),
    adjacency,
  );
  const steps = order.map((id): StepDefinition => {
    const task = byId.get(id)!;
    return {
      id: task.ref,
      runner: options.runner ?? null,
      agent: options.agent ?? null,
      role: options.agent !== undefined ? null : (task.role ?? 'worker'),
      with: {},
      input: { task: taskBrief(task) },
      needs: needs.get(id)!.map((dep) => byId.get(dep)!.ref),
      approval: null,
      onReject: 'fail',
      retry: NO_RETRY,
      timeoutMs: null,
      group: null,
      groupLimit: null,
      taskId: task.id,
    };
  });
  return { name: options.name, description: '', inputs: {}, steps };
}

function taskBrief(task: Task): JsonValue {
  return {
    ref: task.ref,
    title: task.title,
    description: task.description,
    details: task.details,
    acceptance: [...task.acceptance],
    priority: task.priority,
    tags: [...task.tags],
    scope: [...task.scope],
  };
}

// ── reading

export interface StepSummary {
  readonly key: string;
  readonly status: Step['status'];
  readonly runner: string;
  readonly attempts: number;
  readonly needs: string[];
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly error: string | null;
  readonly reused: boolean;
}

export interface RunDetail {
  readonly run: Run;
  readonly counts: Partial<Record<Step['status'], number>>;
  readonly steps: StepSummary[];
  readonly approvals: Approval[];
}

export async function showRun(
  ctx: ServiceContext,
  input: { run: string; limit?: number | undefined },
): Promise<RunDetail> {
  const run = await resolveRun(ctx.repos, input.run);
  const steps = await ctx.repos.steps.listForRun(run.id);
  const counts: Partial<Record<Step['status'], number>> = {};
  for (const step of steps) counts[step.status] = (counts[step.status] ?? 0) + 1;
  return {
    run,
    counts,
    steps: steps.slice(0, input.limit ?? 500).map(summarizeStep),
    approvals: await ctx.repos.approvals.list({ runId: run.id, status: 'pending' }),
  };
}

function summarizeStep(step: Step): StepSummary {
  return {
    key: step.key,
    status: step.status,
    runner: step.runner,
    attempts: step.attempts,
    needs: [...step.spec.needs],
    startedAt: step.startedAt,
    endedAt: step.endedAt,
    error: step.error?.message ?? null,
    reused: step.reusedFrom !== null,
  };
}

export async function listRuns(
  ctx: ServiceContext,
  input: {
    status?: RunStatus[] | undefined;
    project?: string | undefined;
    limit?: number | undefined;
  },
): Promise<Run[]> {
  const projectId = input.project ? (await resolveProject(ctx.repos, input.project)).id : undefined;
  return ctx.repos.runs.list({ status: input.status, projectId, limit: input.limit ?? 50 });
}

/** An attempt with its packed context's tokens and the naive prompt's (agent steps; else null). */
export type AttemptDetail = Attempt & {
  readonly contextTokens: number | null;
  readonly naiveTokens: number | null;
};

/** The most `context-pack` events read for one step's accounting. */
const CONTEXT_EVENTS_LIMIT = 10_000;

export async function showStep(
  ctx: ServiceContext,
  input: { run: string; step: string },
): Promise<{ step: Step; attempts: AttemptDetail[] }> {
  const run = await resolveRun(ctx.repos, input.run);
  const step = await resolveStep(ctx.repos, run, input.step);
  const attempts = await ctx.repos.attempts.listForStep(step.id);
  const packs = new Map<number, { tokens: number; naiveTokens: number }>();
  if (step.runner === 'agent') {
    const events = await ctx.repos.events.list({
      after: 0,
      runId: run.id,
      kinds: ['context-pack'],
      limit: CONTEXT_EVENTS_LIMIT,
    });
    for (const event of events) {
      const { attempt, tokens, naiveTokens } = event.data;
      if (event.stepId !== step.id || typeof attempt !== 'number') continue;
      if (typeof tokens === 'number' && typeof naiveTokens === 'number') {
        packs.set(attempt, { tokens, naiveTokens });
      }
    }
  }
  return {
    step,
    attempts: attempts.map((attempt) => ({
      ...attempt,
      contextTokens: packs.get(attempt.number)?.tokens ?? null,
      naiveTokens: packs.get(attempt.number)?.naiveTokens ?? null,
    })),
  };
}

export async function runGraph(
  ctx: ServiceContext,
  input: { run: string; format: 'mermaid' | 'json' },
): Promise<{ format: string; text: string }> {
  const run = await resolveRun(ctx.repos, input.run);
  const steps = await ctx.repos.steps.listForRun(run.id);
  const graph = steps.map((step) => ({
    key: step.key,
    status: step.status,
    needs: step.spec.needs,
    attempts: step.attempts,
  }));
  return {
    format: input.format,
    text: input.format === 'mermaid' ? toMermaid(graph) : JSON.stringify(graph, null, 2),
  };
}

export async function listEvents(
  ctx: ServiceContext,
  input: { run?: string | undefined; after: number; limit: number; kinds?: string[] | undefined },
): Promise<{ events: JournalEvent[]; last: number }> {
  const runId = input.run ? (await resolveRun(ctx.repos, input.run)).id : undefined;
  const events = await ctx.repos.events.list({
    after: input.after,
    runId,
    kinds: input.kinds,
    limit: input.limit,
  });
  return { events, last: events.at(-1)?.seq ?? input.after };
}

// ── control

export async function pauseRun(ctx: ServiceContext, input: { run: string }): Promise<Run> {
  const run = await resolveRun(ctx.repos, input.run, 'run', { lock: true });
  return inJournal(ctx, (journal) => setRunPaused(journal, run, true));
}

/**
 * Resumes a paused run. A running one is left as it is (its scheduler may have died), and so is
 * one that has ended — a rejected approval may have failed it since the person was told to
 * resume — so that resuming reports how it ended instead of refusing.
 */
/** A paused run goes on; steps held by a budget go back in the queue (their budgets are checked again). */
export async function resumeRun(ctx: ServiceContext, input: { run: string }): Promise<Run> {
  const run = await resolveRun(ctx.repos, input.run, 'run', { lock: true });
  if (RunRules.isFinal(run.status)) return run;
  return inJournal(ctx, async (journal) => {
    await releaseHeld(journal, run.id);
    return run.status === 'running' ? run : setRunPaused(journal, run, false);
  });
}

export async function cancelRun(
  ctx: ServiceContext,
  input: { run: string; reason?: string | undefined },
): Promise<Run> {
  const run = await resolveRun(ctx.repos, input.run, 'run', { lock: true });
  RunRules.assertTransition(run.status, 'cancelled');
  await inJournal(ctx, async (journal) => {
    journal.events.push({
      at: journal.now,
      runId: run.id,
      stepId: null,
      kind: 'run-cancel',
      data: { by: ctx.actor, ...(input.reason ? { reason: input.reason } : {}) },
    });
    await endRun(journal, run, 'cancelled', input.reason ?? `cancelled by ${ctx.actor}`);
  });
  return (await ctx.repos.runs.findById(run.id))!;
}

export async function forkRun(
  ctx: ServiceContext,
  input: {
    run: string;
    from: string;
    input?: Readonly<Record<string, JsonValue>> | undefined;
    name?: string | undefined;
  },
): Promise<Run> {
  const parent = await resolveRun(ctx.repos, input.run);
  const definition = await ctx.repos.runs.definition(parent.id);
  const rerun = downstreamOf(definition, input.from);
  const reuse = new Map<string, { stepId: string; output: JsonValue }>();
  for (const step of await ctx.repos.steps.listForRun(parent.id)) {
    if (!rerun.has(step.key) && step.status === 'succeeded') {
      reuse.set(step.key, { stepId: step.id, output: step.output });
    }
  }
  const values = resolveWorkflowInput(definition, { ...parent.input, ...(input.input ?? {}) });
  return inJournal(ctx, (journal) =>
    createRun(journal, {
      name: input.name ?? parent.name,
      source: 'fork',
      definition,
      input: values,
      createdBy: ctx.actor,
      projectId: parent.projectId,
      parentRunId: parent.id,
      forkStep: input.from,
      file: parent.file,
      reuse,
    }),
  );
}

// ── approvals

/** An approval by id, a unique id prefix, or `RUN:STEP` (e.g. `last:deploy`) for its pending one. */
async function resolveApproval(repos: Repositories, text: string): Promise<Approval> {
  const colon = text.lastIndexOf(':');
  if (colon > 0) {
    const run = await resolveRun(repos, text.slice(0, colon), 'approval');
    const step = await resolveStep(repos, run, text.slice(colon + 1).trim(), 'approval');
    const pending = await repos.approvals.findPendingForStep(step.id);
    if (!pending) {
      throw new BosunError(
        'not_found',
        `approval: step ${step.key} of run ${run.id} has no pending approval (it is ${step.status})`,
        { details: { field: 'approval', kind: 'approval', key: text } },
      );
    }
    return (await repos.approvals.findById(pending.id, { lock: true }))!;
  }
  const value = text.trim().toUpperCase();
  let approval = isUlid(value) ? await repos.approvals.findById(value, { lock: true }) : undefined;
  if (!approval && value.length >= 4 && !isUlid(value)) {
    const pending = (await repos.approvals.list({ status: 'pending', limit: 10_000 })).filter((a) =>
      a.id.startsWith(value),
    );
    if (pending.length > 1) {
      throw new BosunError('invalid_input', `approval: '${text}' matches several approvals`, {
        details: { field: 'approval', rule: 'a unique approval id prefix' },
      });
    }
    approval = pending[0]
      ? await repos.approvals.findById(pending[0].id, { lock: true })
      : undefined;
  }
  if (!approval) {
    throw new BosunError(
      'not_found',
      `approval: no approval '${text}'; see 'bosun approval list'`,
      { details: { field: 'approval', kind: 'approval', key: text } },
    );
  }
  return approval;
}

export async function listApprovals(
  ctx: ServiceContext,
  input: {
    status?: Approval['status'] | undefined;
    run?: string | undefined;
    limit?: number | undefined;
  },
): Promise<Approval[]> {
  const runId = input.run ? (await resolveRun(ctx.repos, input.run)).id : undefined;
  return ctx.repos.approvals.list({ status: input.status, runId, limit: input.limit });
}

export async function decide(
  ctx: ServiceContext,
  input: { approval: string; comment?: string | undefined },
  approve: boolean,
): Promise<Approval> {
  const approval = await resolveApproval(ctx.repos, input.approval);
  return inJournal(ctx, (journal) =>
    decideApproval(journal, {
      approval,
      approve,
      comment: input.comment ?? null,
      actor: ctx.actor,
    }),
  );
}

// ── submitting work

export interface SubmitResult {
  readonly task: Task;
  /** The run doing the task; null when it was only created (`start: false`). */
  readonly run: Run | null;
}

/**
 * Work handed to the coordinator (the `task` tool): the task is created and, unless `start` is
 * false, a one-step run for it starts at once — its role's agent (or `agent`) does it. Both
 * commit together: a task that cannot start (an open dependency) is not created either.
 */
export async function submitTask(
  ctx: ServiceContext,
  input: Parameters<typeof createTask>[1] & {
    start?: boolean | undefined;
    runner?: string | undefined;
    agent?: string | undefined;
  },
): Promise<SubmitResult> {
  const { start, runner, agent, ...fields } = input;
  if (start === false && (runner !== undefined || agent !== undefined)) {
    throw invalidInput(runner !== undefined ? 'runner' : 'agent', 'needs start (no run starts)');
  }
  const created = await createTask(ctx, fields);
  if (start === false) return { task: created, run: null };
  const run = await startRun(ctx, { task: created.id, runner, agent });
  return { task: (await ctx.repos.tasks.findById(created.id))!, run };
}
