/**
 * The engine's state transitions. Each function runs inside the caller's transaction and appends
 * the events that describe what it changed, so a transition and its event commit together or not
 * at all. Nothing here scans a whole run on the hot path (claim, complete): counters on the run
 * and on each step (open dependencies) answer "what is ready" and "is the run over".
 */

import type { Approval, Attempt, NewJournalEvent, Run, RunStatus, Step } from '../../domain/run.js';
import { Run as RunRules, Step as StepRules } from '../../domain/run.js';
import { listReferencedSteps, renderTemplate } from '../../domain/template.js';
import type { JsonValue, StepDefinition, WorkflowDefinition } from '../../domain/workflow.js';
import type { BudgetConfig, TaskTraits } from '../../domain/agent.js';
import { PACKED_RUNNERS } from '../../domain/agent.js';
import type { WorstCase } from '../../domain/budget.js';
import { budgetKey, checkBudgets, spendKeys, worstCase } from '../../domain/budget.js';
import type {
  AgentProfile,
  AttemptOutcome,
  ModelCall,
  PreviousAttempt,
  RunnerUsage,
} from '../../ports/runner.js';
import type {
  ReleasedStep,
  Repositories,
  RunCounterDelta,
  StepGuard,
  StepPatch,
} from '../../ports/store.js';
import { BosunError } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { StepFailureData } from '../../shared/step-failure.js';
import { tail } from '../../shared/step-failure.js';
import type { ServiceContext } from '../services/service-context.js';
import type { StepDisposition } from '../services/memory-capture.js';
import { captureStepOutcome } from '../services/memory-capture.js';
import { recordCalls } from '../services/spend.js';
import type { TaskLink } from './task-link.js';

export interface JournalContext {
  readonly repos: Repositories;
  readonly now: string;
  readonly newId: IdGenerator;
  /** Events appended by this transaction, written in one statement at `flush`. */
  readonly events: NewJournalEvent[];
  /** Moves the tasks of project runs; absent in tests of the bare engine. */
  readonly tasks?: TaskLink | undefined;
  /**
   * Counter changes of succeeded steps, applied once per run at `flushEvents`: the run row is
   * shared by every worker of the run, so it is updated last and held for the shortest time.
   */
  readonly runDeltas: Map<string, RunCounterDelta>;
  /** Steps this transaction made ready by releasing them: claim candidates known without a query. */
  readonly released: ReleasedStep[];
}

export function journalContext(
  ctx: Pick<ServiceContext, 'repos' | 'newId' | 'clock'>,
  tasks?: TaskLink,
): JournalContext {
  return {
    repos: ctx.repos,
    now: ctx.clock.now().toISOString(),
    newId: ctx.newId,
    events: [],
    tasks,
    runDeltas: new Map(),
    released: [],
  };
}

/** Ends the transaction's work: run counters (ending runs whose last sink succeeded), then events. */
export async function flushEvents(ctx: JournalContext): Promise<void> {
  for (const [runId, delta] of ctx.runDeltas) {
    const run = await ctx.repos.runs.addCounters(runId, delta, ctx.now);
    if ((run.status === 'running' || run.status === 'paused') && run.sinksOpen === 0) {
      await endRun(ctx, { id: runId, status: run.status }, 'succeeded', null);
    }
  }
  ctx.runDeltas.clear();
  if (ctx.events.length === 0) return;
  await ctx.repos.events.append(ctx.events.splice(0));
}

/** Counts `delta` into the run's counters at flush; a delta that changes nothing writes nothing. */
function addRunDelta(ctx: JournalContext, runId: string, delta: RunCounterDelta): void {
  if (!delta.sinksOpen && !delta.costUsd && !delta.inputTokens && !delta.outputTokens) return;
  const sum = ctx.runDeltas.get(runId) ?? {};
  ctx.runDeltas.set(runId, {
    sinksOpen: (sum.sinksOpen ?? 0) + (delta.sinksOpen ?? 0),
    costUsd: (sum.costUsd ?? 0) + (delta.costUsd ?? 0),
    inputTokens: (sum.inputTokens ?? 0) + (delta.inputTokens ?? 0),
    outputTokens: (sum.outputTokens ?? 0) + (delta.outputTokens ?? 0),
  });
}

function event(
  ctx: JournalContext,
  kind: NewJournalEvent['kind'],
  runId: string,
  stepId: string | null,
  data: Record<string, unknown>,
): void {
  ctx.events.push({ at: ctx.now, runId, stepId, kind, data });
}

// ── creating runs

export interface NewRun {
  readonly name: string;
  readonly source: Run['source'];
  readonly definition: WorkflowDefinition;
  readonly input: Record<string, JsonValue>;
  readonly createdBy: string;
  readonly projectId?: string | null;
  readonly parentRunId?: string | null;
  readonly forkStep?: string | null;
  readonly file?: string | null;
  /** Fork: step key → the succeeded step of the parent run whose output is reused. */
  readonly reuse?: ReadonlyMap<string, { readonly stepId: string; readonly output: JsonValue }>;
}

const STEP_INSERT_BATCH = 500;

export async function createRun(ctx: JournalContext, spec: NewRun): Promise<Run> {
  const runId = ctx.newId();
  const ids = new Map(spec.definition.steps.map((step) => [step.id, ctx.newId()]));
  const dependents = new Map<string, string[]>();
  for (const step of spec.definition.steps) {
    for (const need of step.needs) {
      const list = dependents.get(need) ?? [];
      list.push(ids.get(step.id)!);
      dependents.set(need, list);
    }
  }
  const reuse = spec.reuse ?? new Map();
  const stepAt = (position: number): Step => {
    const definition = spec.definition.steps[position]!;
    const reused = reuse.get(definition.id);
    const openDeps = definition.needs.filter((need) => !reuse.has(need)).length;
    return {
      id: ids.get(definition.id)!,
      runId,
      key: definition.id,
      position,
      status: reused ? 'succeeded' : openDeps === 0 ? 'ready' : 'waiting',
      runner: definition.runner ?? 'agent',
      group: definition.group,
      spec: definition,
      dependents: dependents.get(definition.id) ?? [],
      openDeps,
      tries: 0,
      attempts: 0,
      availableAt: ctx.now,
      leaseOwner: null,
      leaseExpiresAt: null,
      attemptId: null,
      approved: false,
      output: reused ? reused.output : null,
      error: null,
      reusedFrom: reused ? reused.stepId : null,
      taskId: definition.taskId,
      startedAt: null,
      endedAt: reused ? ctx.now : null,
      updatedAt: ctx.now,
    };
  };
  const total = spec.definition.steps.length;
  const open = total - spec.definition.steps.filter((step) => reuse.has(step.id)).length;
  // Every step is upstream of a sink, and a fork re-runs everything downstream of its step: the
  // run has open sinks exactly when it has open steps.
  const sinksOpen = spec.definition.steps.filter(
    (step) => !dependents.has(step.id) && !reuse.has(step.id),
  ).length;
  const run: Run = {
    id: runId,
    name: spec.name,
    source: spec.source,
    status: open === 0 ? 'succeeded' : 'running',
    projectId: spec.projectId ?? null,
    parentRunId: spec.parentRunId ?? null,
    forkStep: spec.forkStep ?? null,
    file: spec.file ?? null,
    input: spec.input,
    stepsTotal: total,
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    error: null,
    createdBy: spec.createdBy,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    endedAt: open === 0 ? ctx.now : null,
  };
  await ctx.repos.runs.insert(run, spec.definition, sinksOpen);
  // In batches: a 10,000-step run never holds all its step rows (and their parameters) at once.
  for (let from = 0; from < total; from += STEP_INSERT_BATCH) {
    const batch: Step[] = [];
    for (let position = from; position < Math.min(total, from + STEP_INSERT_BATCH); position++) {
      batch.push(stepAt(position));
    }
    await ctx.repos.steps.insertMany(batch);
  }
  event(ctx, 'run-start', runId, null, {
    name: run.name,
    source: run.source,
    steps: run.stepsTotal,
    reused: run.stepsTotal - open,
    ...(run.parentRunId ? { parentRunId: run.parentRunId, forkStep: run.forkStep } : {}),
  });
  if (open === 0) event(ctx, 'run-end', runId, null, { status: 'succeeded' });
  return run;
}

// ── claiming

export interface ClaimedAttempt {
  readonly step: Step;
  readonly attempt: Attempt;
  readonly input: JsonValue;
  readonly settings: { readonly [key: string]: JsonValue };
  readonly previousAttempts: readonly PreviousAttempt[];
  /** Set when the step's templates could not be rendered or no agent fits: it fails at once. */
  readonly renderError: StepFailureData | null;
  /** The runner that executes the attempt: the step's own, or its agent's. */
  readonly runner: string;
  /** The agent the step is given to, when it names an agent or a role and agents are set up. */
  readonly agent?: AgentProfile | undefined;
  readonly projectId: string | null;
}

/**
 * Who does a step that names an agent or a role: the runner, the agent's profile for this try
 * (model chosen by its route) and why; or why nobody can. Supplied by the app from bosun.yaml.
 */
export type AgentResolver = (
  step: Step,
  /** The tags and estimate of the step's task (project runs), for the routes' rules. */
  task: TaskTraits | null,
) => AgentAssignment | { readonly failure: string };

export interface AgentAssignment {
  readonly runner: string;
  /** Absent when the workspace configures no agents (the step runs on the mock runner). */
  readonly profile?: AgentProfile | undefined;
  readonly choice: {
    readonly agent: string | null;
    readonly model: string | null;
    readonly reason: string;
  };
}

export interface ClaimOptions {
  readonly owner: string;
  readonly leaseMs: number;
  readonly capacity: number;
  readonly runId?: string | undefined;
  /** Local per-runner (and per-agent) capacity: false skips the step (another scheduler may take it). */
  readonly accepts: (step: Step, runner: string, agent: AgentProfile | undefined) => boolean;
  /** Resolves steps that name an agent or a role; without it they run on `mock`. */
  readonly agents?: AgentResolver | undefined;
  /** Run inputs and projects by run id; they never change, so schedulers cache them. */
  readonly runInputs: Map<string, RunInfo>;
  /** The budgets in force (bosun.yaml); an agent's step is held when its worst case would exceed one. */
  readonly budgets?: () => readonly BudgetConfig[];
  /**
   * The caller knows that no ready step exists beyond those this transaction released (its last
   * pass drained the queue, and nothing else has committed since): claim among those, without
   * looking up the queue. Ignored when nothing was released.
   */
  readonly onlyReleased?: boolean;
}

export interface ClaimPass {
  readonly claimed: ClaimedAttempt[];
  /** Every ready step this pass could see was claimed (or sent for approval). */
  readonly drained: boolean;
}

const byAvailability = (a: Step, b: Step): number =>
  a.availableAt < b.availableAt ? -1 : a.availableAt > b.availableAt ? 1 : a.id < b.id ? -1 : 1;

/** How many candidates to look at beyond the free capacity, for steps skipped by limits. */
const CLAIM_SLACK = 16;

export async function claimSteps(ctx: JournalContext, options: ClaimOptions): Promise<ClaimPass> {
  if (options.capacity <= 0) return { claimed: [], drained: false };
  const limit = options.capacity + CLAIM_SLACK;
  const known = options.onlyReleased === true && ctx.released.length > 0;
  const candidates = known
    ? ctx.released
        .filter(
          ({ step, runStatus }) =>
            runStatus === 'running' &&
            (options.runId === undefined || step.runId === options.runId),
        )
        .map(({ step }) => step)
        .sort(byAvailability)
    : await ctx.repos.steps.claimable({ now: ctx.now, limit, runId: options.runId });
  let drained = known || candidates.length < limit;
  const claimed: ClaimedAttempt[] = [];
  const groupCounts = new Map<string, number>();
  const leaseUntil = new Date(Date.parse(ctx.now) + options.leaseMs).toISOString();
  for (const step of candidates) {
    if (claimed.length >= options.capacity) {
      drained = false;
      break;
    }
    if (step.spec.approval === 'before' && !step.approved) {
      await requestApproval(ctx, step, 'before');
      continue;
    }
    const assignment =
      step.runner === 'agent' && options.agents !== undefined
        ? options.agents(step, step.taskId ? await taskTraits(ctx, step.taskId) : null)
        : null;
    const runner =
      assignment === null
        ? step.runner === 'agent'
          ? 'mock'
          : step.runner
        : 'failure' in assignment
          ? step.runner
          : assignment.runner;
    const profile =
      assignment !== null && !('failure' in assignment) ? assignment.profile : undefined;
    if (!options.accepts(step, runner, profile)) {
      drained = false;
      continue;
    }
    if (step.group !== null) {
      let running = groupCounts.get(step.group);
      if (running === undefined) {
        await ctx.repos.steps.lockGroup(step.group);
        running = await ctx.repos.steps.countRunningInGroup(step.group);
      }
      if (running >= (step.spec.groupLimit ?? 1)) {
        groupCounts.set(step.group, running);
        drained = false;
        continue;
      }
      groupCounts.set(step.group, running + 1);
    }
    const attempt = await claimStep(ctx, step, options, leaseUntil, runner, assignment);
    if (attempt !== null) claimed.push(attempt);
  }
  return { claimed, drained };
}

async function claimStep(
  ctx: JournalContext,
  step: Step,
  options: ClaimOptions,
  leaseUntil: string,
  runner: string,
  assignment: AgentAssignment | { readonly failure: string } | null,
): Promise<ClaimedAttempt | null> {
  const attempt: Attempt = {
    id: ctx.newId(),
    runId: step.runId,
    stepId: step.id,
    number: step.attempts + 1,
    try: step.tries,
    idempotencyKey: StepRules.idempotencyKey(step.runId, step.key, step.tries),
    status: 'running',
    owner: options.owner,
    input: null,
    output: null,
    error: null,
    usage: null,
    startedAt: ctx.now,
    endedAt: null,
  };
  let input: JsonValue = null;
  let settings: { [key: string]: JsonValue } = {};
  let renderError: StepFailureData | null = null;
  try {
    ({ input, settings } = await renderStep(ctx, step, options.runInputs));
  } catch (error) {
    renderError = {
      kind: 'error',
      message: `could not render the step's templates: ${(error as Error).message}`,
      retryable: false,
      outputTail: '',
    };
  }
  if (assignment !== null && 'failure' in assignment && renderError === null) {
    renderError = { kind: 'error', message: assignment.failure, retryable: false, outputTail: '' };
  }
  const choice = assignment !== null && !('failure' in assignment) ? assignment.choice : null;
  const profile =
    assignment !== null && !('failure' in assignment) ? assignment.profile : undefined;
  const reservation =
    profile !== undefined && renderError === null
      ? await reserveBudget(ctx, step, profile, input, options)
      : null;
  if (reservation !== null && 'held' in reservation) {
    await holdStep(ctx, step, reservation.held);
    return null;
  }
  const previousAttempts = step.attempts > 0 ? await previousAttemptsOf(ctx, step) : [];
  await ctx.repos.attempts.insert({ ...attempt, input });
  if (reservation !== null) {
    await ctx.repos.budgets.reserve(
      step.id,
      attempt.number,
      reservation.keys,
      reservation.worst,
      ctx.now,
    );
  }
  await ctx.repos.steps.update(step.id, {
    status: 'running',
    attempts: attempt.number,
    attemptId: attempt.id,
    leaseOwner: options.owner,
    leaseExpiresAt: leaseUntil,
    startedAt: step.startedAt ?? ctx.now,
    updatedAt: ctx.now,
  });
  event(ctx, 'step-start', step.runId, step.id, {
    step: step.key,
    attempt: attempt.number,
    runner,
    ...(step.spec.agent ? { agent: step.spec.agent } : {}),
    ...(step.spec.role ? { role: step.spec.role } : {}),
    // The routing decision, kept so that a learned router can later be judged against it.
    ...(choice ? { agent: choice.agent, model: choice.model, why: choice.reason } : {}),
    owner: options.owner,
    idempotencyKey: attempt.idempotencyKey,
  });
  if (step.taskId && step.attempts === 0) await ctx.tasks?.started(step, step.taskId);
  return {
    step: {
      ...step,
      status: 'running',
      attempts: attempt.number,
      attemptId: attempt.id,
      leaseOwner: options.owner,
      leaseExpiresAt: leaseUntil,
      startedAt: step.startedAt ?? ctx.now,
    },
    attempt,
    input,
    settings,
    previousAttempts,
    renderError,
    runner,
    agent: profile,
    projectId: (await runInfoOf(ctx, step.runId, options.runInputs)).projectId,
  };
}

export type RunInfo = Pick<Run, 'input' | 'projectId'>;

async function taskTraits(ctx: JournalContext, taskId: string): Promise<TaskTraits | null> {
  const task = await ctx.repos.tasks.findById(taskId);
  return task ? { tags: task.tags, estimate: task.estimate } : null;
}

async function runInfoOf(
  ctx: JournalContext,
  runId: string,
  cache: Map<string, RunInfo>,
): Promise<RunInfo> {
  let info = cache.get(runId);
  if (info === undefined) {
    const run = await ctx.repos.runs.findById(runId);
    info = { input: run?.input ?? {}, projectId: run?.projectId ?? null };
    cache.set(runId, info);
  }
  return info;
}

/**
 * Checks an agent's step against the budgets in its scope before it starts: its worst case plus
 * what is spent or reserved must fit every one. Returns what to reserve, or why the step is held.
 */
async function reserveBudget(
  ctx: JournalContext,
  step: Step,
  profile: AgentProfile,
  input: JsonValue,
  options: ClaimOptions,
): Promise<{ keys: string[]; worst: WorstCase } | { held: string } | null> {
  const budgets = options.budgets?.() ?? [];
  const run = await runInfoOf(ctx, step.runId, options.runInputs);
  const scope = { runId: step.runId, projectId: run.projectId, agent: profile.name, at: ctx.now };
  const inputChars = JSON.stringify(input)?.length ?? 0;
  // A packed prompt carries more than the input (upstream outputs, memories), up to the agent's
  // context_tokens (about 4 characters each): reserve for that, not for the input alone.
  const promptChars = PACKED_RUNNERS.has(profile.config.runner)
    ? Math.max(inputChars, profile.config.context_tokens * 4)
    : inputChars;
  const worst = worstCase(profile.model, {
    promptChars: profile.instructions.length + promptChars,
    maxSteps: profile.config.max_steps,
    ...(profile.config.max_cost_usd !== undefined ? { capUsd: profile.config.max_cost_usd } : {}),
  });
  const keys = spendKeys(scope);
  if (budgets.length === 0) return { keys, worst };
  const projectIds = new Map<string, string | null>();
  for (const budget of budgets) {
    if (budget.project !== undefined && !projectIds.has(budget.project)) {
      projectIds.set(
        budget.project,
        (await ctx.repos.projects.findByKey(budget.project))?.id ?? null,
      );
    }
  }
  const applicable = budgets.flatMap((budget) => {
    const key = budgetKey(budget, scope, (projectKey) => projectIds.get(projectKey) ?? null);
    return key === null ? [] : [{ budget, key }];
  });
  if (applicable.length === 0) return { keys, worst };
  await ctx.repos.lockBudgets();
  const used = await ctx.repos.budgets.usage(applicable.map((b) => b.key));
  const exceeded = checkBudgets(applicable, used, worst);
  return exceeded === null ? { keys, worst } : { held: exceeded };
}

/** Parks a step whose worst case does not fit a budget; `run resume` puts it back in the queue. */
async function holdStep(ctx: JournalContext, step: Step, reason: string): Promise<void> {
  await ctx.repos.steps.update(step.id, {
    status: 'held',
    error: { kind: 'error', message: reason, retryable: true, outputTail: '' },
    updatedAt: ctx.now,
  });
  event(ctx, 'step-held', step.runId, step.id, { step: step.key, reason });
}

/** Puts a run's held steps back in the queue (after a budget was raised). */
export async function releaseHeld(ctx: JournalContext, runId: string): Promise<number> {
  let released = 0;
  for (const step of await ctx.repos.steps.listHeld(runId)) {
    await ctx.repos.steps.update(step.id, {
      status: 'ready',
      error: null,
      availableAt: ctx.now,
      updatedAt: ctx.now,
    });
    event(ctx, 'step-release', runId, step.id, {
      step: step.key,
      attempt: step.attempts,
      reason: 'resumed: its budgets are checked again',
    });
    released++;
  }
  return released;
}

async function renderStep(
  ctx: JournalContext,
  step: Step,
  runInputs: Map<string, RunInfo>,
): Promise<{ input: JsonValue; settings: { [key: string]: JsonValue } }> {
  const spec: StepDefinition = step.spec;
  const runInput = (await runInfoOf(ctx, step.runId, runInputs)).input;
  const referenced = [
    ...new Set([...listReferencedSteps(spec.input), ...listReferencedSteps(spec.with)]),
  ];
  const outputs =
    referenced.length > 0 ? await ctx.repos.steps.outputs(step.runId, referenced) : null;
  const scope = {
    input: runInput,
    steps: Object.fromEntries(
      referenced.map((key) => [key, { output: (outputs?.get(key) ?? null) as JsonValue }]),
    ),
  };
  return {
    input: renderTemplate(spec.input, scope),
    settings: renderTemplate(spec.with, scope) as { [key: string]: JsonValue },
  };
}

async function previousAttemptsOf(ctx: JournalContext, step: Step): Promise<PreviousAttempt[]> {
  const attempts = await ctx.repos.attempts.listForStep(step.id);
  return attempts
    .filter((attempt) => attempt.error !== null)
    .map((attempt) => ({
      attempt: attempt.number,
      kind: attempt.error!.kind,
      error: attempt.error!.message,
      outputTail: attempt.error!.outputTail,
      comment:
        typeof attempt.error!.details?.comment === 'string' ? attempt.error!.details.comment : null,
      session: attempt.error!.spent?.session ?? null,
    }));
}

// ── completing

export type { AttemptOutcome };

export interface Completion {
  /** The step as it was claimed; its definition and links do not change while it runs. */
  readonly step: Step;
  readonly attemptId: string;
  readonly owner: string;
  readonly outcome: AttemptOutcome;
  /** Who spent, for the cost ledger: the runner, and the agent and model when an agent did it. */
  readonly spender?: {
    readonly runner: string;
    readonly agent: string | null;
    readonly model: string | null;
    readonly projectId: string | null;
  };
}

/**
 * Records an attempt's outcome and moves the step, its dependents and the run. Every step update
 * here is guarded by the lease: an outcome from an attempt that no longer holds the step (its
 * lease expired and someone else took it, or the run was cancelled) is kept on the attempt but
 * moves nothing.
 */
export async function completeAttempt(ctx: JournalContext, completion: Completion): Promise<void> {
  const { outcome, step } = completion;
  const guard = { attemptId: completion.attemptId, owner: completion.owner };
  const disposition = await moveCompletedStep(ctx, step, outcome, guard);
  const held = disposition !== null;
  let status: Attempt['status'] = outcome.ok ? 'succeeded' : 'failed';
  if (!held) {
    const now = await ctx.repos.steps.findById(step.id);
    if (now?.status === 'cancelled') status = 'cancelled';
  } else if (!outcome.ok && outcome.failure.kind === 'lost') {
    status = 'lost';
  }
  await ctx.repos.attempts.update(step.id, step.attempts, {
    status,
    output: outcome.ok ? outcome.output : null,
    error: outcome.ok ? null : outcome.failure,
    usage: outcome.usage ?? null,
    endedAt: ctx.now,
  });
  await settleSpend(ctx, completion);
  // Memory: the output, a handoff, the pattern outcome (core/services/memory-capture.ts).
  if (disposition !== null) {
    await captureStepOutcome(ctx, {
      step,
      disposition,
      outcome,
      spender: completion.spender,
    });
  }
}

/**
 * The attempt's reservation gives way to what it really spent: one ledger row per model call
 * (or one for its usage when the runner reported no calls), added to every budget key.
 */
async function settleSpend(ctx: JournalContext, completion: Completion): Promise<void> {
  const { step, outcome, spender } = completion;
  if (spender?.agent) await ctx.repos.budgets.release(step.id, step.attempts);
  const usage = outcome.usage;
  const calls: readonly ModelCall[] =
    outcome.calls ??
    (usage && (usage.costUsd > 0 || usage.inputTokens > 0 || usage.outputTokens > 0)
      ? [
          {
            model: spender?.model ?? spender?.runner ?? step.runner,
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
            cachedInputTokens: usage.cachedInputTokens ?? 0,
            costUsd: usage.costUsd,
            latencyMs: 0,
          },
        ]
      : []);
  await recordCalls(
    ctx.repos,
    {
      at: ctx.now,
      runId: step.runId,
      stepId: step.id,
      attempt: step.attempts,
      projectId: spender?.projectId ?? null,
      agent: spender?.agent ?? null,
    },
    calls,
  );
}

/** How the outcome moved the step; null when the attempt no longer held it (nothing moved). */
async function moveCompletedStep(
  ctx: JournalContext,
  step: Step,
  outcome: AttemptOutcome,
  guard: StepGuard,
): Promise<StepDisposition | null> {
  const lease = { leaseOwner: null, leaseExpiresAt: null, updatedAt: ctx.now } as const;
  const moved = (held: boolean, disposition: StepDisposition) => (held ? disposition : null);
  if (outcome.ok) {
    if (step.spec.approval === 'after') {
      const held = await ctx.repos.steps.update(
        step.id,
        { ...lease, status: 'approval', output: outcome.output },
        guard,
      );
      if (held) await requestApproval(ctx, { ...step, output: outcome.output }, 'after');
      return moved(held, 'approval');
    }
    return moved(
      await succeedStep(ctx, step, outcome.output, outcome.usage, 'succeeded', guard),
      'succeeded',
    );
  }
  const { failure } = outcome;
  if (failure.kind === 'lost') {
    // Aborted at shutdown: not the step's fault; it runs again under the same key.
    return moved(await requeue(ctx, step, 'step-release', failure.message, guard), 'requeued');
  }
  if (failure.retryable && step.tries + 1 < step.spec.retry.attempts) {
    const tries = step.tries + 1;
    const waitMs = StepRules.backoffMs(step.spec.retry, tries);
    const availableAt = new Date(Date.parse(ctx.now) + waitMs).toISOString();
    const held = await ctx.repos.steps.update(
      step.id,
      { ...lease, status: 'ready', tries, attemptId: null, availableAt, error: failure },
      guard,
    );
    if (!held) return null;
    if (outcome.usage) addRunDelta(ctx, step.runId, usageDelta(outcome.usage));
    event(ctx, 'step-retry', step.runId, step.id, {
      step: step.key,
      attempt: step.attempts,
      error: failure.message,
      kind: failure.kind,
      nextTry: tries + 1,
      of: step.spec.retry.attempts,
      at: availableAt,
    });
    return 'retry';
  }
  return moved(await failStep(ctx, step, failure, outcome.usage, guard), 'failed');
}

function usageDelta(usage: RunnerUsage | undefined): RunCounterDelta {
  return usage
    ? { costUsd: usage.costUsd, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens }
    : {};
}

/** Moves a step to its final status (while it holds `guard`, when given) and journals step-end. */
async function endStep(
  ctx: JournalContext,
  step: Step,
  patch: Pick<StepPatch, 'status' | 'output' | 'error'>,
  data: Record<string, unknown>,
  guard: StepGuard | undefined,
): Promise<boolean> {
  const held = await ctx.repos.steps.update(
    step.id,
    { ...patch, leaseOwner: null, leaseExpiresAt: null, endedAt: ctx.now, updatedAt: ctx.now },
    guard,
  );
  if (!held) return false;
  event(ctx, 'step-end', step.runId, step.id, {
    step: step.key,
    status: patch.status,
    attempt: step.attempts,
    ...data,
    ...(step.startedAt ? { ms: Date.parse(ctx.now) - Date.parse(step.startedAt) } : {}),
  });
  return true;
}

async function succeedStep(
  ctx: JournalContext,
  step: Step,
  output: JsonValue,
  usage: RunnerUsage | undefined,
  status: 'succeeded' | 'skipped' = 'succeeded',
  guard?: StepGuard,
): Promise<boolean> {
  const ended = await endStep(
    ctx,
    step,
    { status, output, error: null },
    usage ? { usage } : {},
    guard,
  );
  if (!ended) return false;
  if (step.taskId) await ctx.tasks?.succeeded(step, step.taskId, output);
  // Dependents of a run that ended meanwhile are cancelled; counting them down changes nothing.
  if (step.dependents.length > 0) {
    ctx.released.push(...(await ctx.repos.steps.release(step.dependents, ctx.now)));
  }
  addRunDelta(ctx, step.runId, {
    ...(step.dependents.length === 0 ? { sinksOpen: -1 } : {}),
    ...usageDelta(usage),
  });
  return true;
}

async function failStep(
  ctx: JournalContext,
  step: Step,
  failure: StepFailureData,
  usage?: RunnerUsage,
  guard?: StepGuard,
): Promise<boolean> {
  const ended = await endStep(
    ctx,
    step,
    { status: 'failed', error: failure },
    { error: failure.message, kind: failure.kind },
    guard,
  );
  if (!ended) return false;
  if (step.taskId) await ctx.tasks?.failed(step, step.taskId, failure);
  const run = await ctx.repos.runs.addCounters(
    step.runId,
    { ...(step.dependents.length === 0 ? { sinksOpen: -1 } : {}), ...usageDelta(usage) },
    ctx.now,
  );
  if (run.status !== 'running' && run.status !== 'paused') return true;
  // Fail fast: nothing downstream can run, and siblings would spend for a run that failed.
  await endRun(
    ctx,
    { id: step.runId, ...run },
    'failed',
    `step ${step.key} failed: ${failure.message}`,
  );
  return true;
}

/** Ends a run; every step still open is cancelled (running ones lose their lease, so their holders stop). */
export async function endRun(
  ctx: JournalContext,
  run: Pick<Run, 'id' | 'status'>,
  status: Exclude<RunStatus, 'running' | 'paused'>,
  error: string | null,
): Promise<void> {
  RunRules.assertTransition(run.status, status);
  let closed = 0;
  let closedSinks = 0;
  // A run succeeds when its last sink does, with nothing left open.
  if (status !== 'succeeded') {
    const steps = await ctx.repos.steps.listForRun(run.id);
    for (const step of steps) {
      if (!StepRules.isOpen(step.status)) continue;
      closed++;
      if (step.dependents.length === 0) closedSinks++;
      await ctx.repos.steps.update(step.id, {
        status: 'cancelled',
        leaseOwner: null,
        leaseExpiresAt: null,
        endedAt: ctx.now,
        updatedAt: ctx.now,
      });
      if (step.status === 'running' && step.attemptId) {
        await ctx.repos.attempts.update(step.id, step.attempts, {
          status: 'cancelled',
          endedAt: ctx.now,
        });
        await ctx.repos.budgets.release(step.id, step.attempts);
      }
      if (step.status === 'approval') {
        const pending = await ctx.repos.approvals.findPendingForStep(step.id);
        if (pending) {
          await ctx.repos.approvals.update(pending.id, {
            status: 'rejected',
            comment: `run ${status}`,
            decidedBy: 'bosun',
            decidedAt: ctx.now,
          });
        }
      }
      if (step.taskId) await ctx.tasks?.cancelled(step, step.taskId);
    }
  }
  if (closedSinks > 0) {
    await ctx.repos.runs.addCounters(run.id, { sinksOpen: -closedSinks }, ctx.now);
  }
  await ctx.repos.runs.update(run.id, { status, error, endedAt: ctx.now, updatedAt: ctx.now });
  event(ctx, 'run-end', run.id, null, {
    status,
    ...(error ? { error } : {}),
    cancelledSteps: closed,
  });
}

// ── approvals

async function requestApproval(
  ctx: JournalContext,
  step: Step,
  phase: 'before' | 'after',
): Promise<void> {
  const approval: Approval = {
    id: ctx.newId(),
    runId: step.runId,
    stepId: step.id,
    stepKey: step.key,
    phase,
    status: 'pending',
    comment: null,
    requestedAt: ctx.now,
    decidedBy: null,
    decidedAt: null,
  };
  await ctx.repos.approvals.insert(approval);
  if (phase === 'before') {
    await ctx.repos.steps.update(step.id, { status: 'approval', updatedAt: ctx.now });
  }
  event(ctx, 'approval-request', step.runId, step.id, {
    step: step.key,
    approval: approval.id,
    phase,
  });
}

export interface Decision {
  readonly approval: Approval;
  readonly approve: boolean;
  readonly comment: string | null;
  readonly actor: string;
}

export async function decideApproval(ctx: JournalContext, decision: Decision): Promise<Approval> {
  const { approval } = decision;
  if (approval.status !== 'pending') {
    throw new BosunError(
      'invalid_transition',
      `approval: ${approval.id} was already ${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}`,
      { details: { field: 'approval', from: approval.status } },
    );
  }
  const step = await ctx.repos.steps.findById(approval.stepId, { lock: true });
  if (!step || step.status !== 'approval') {
    throw new BosunError('conflict', `approval: step ${approval.stepKey} no longer waits for it`, {
      details: { field: 'approval' },
    });
  }
  const decided: Approval = {
    ...approval,
    status: decision.approve ? 'approved' : 'rejected',
    comment: decision.comment,
    decidedBy: decision.actor,
    decidedAt: ctx.now,
  };
  await ctx.repos.approvals.update(approval.id, decided);
  event(ctx, 'approval-decide', step.runId, step.id, {
    step: step.key,
    approval: approval.id,
    phase: approval.phase,
    status: decided.status,
    by: decision.actor,
    ...(decision.comment ? { comment: decision.comment } : {}),
  });
  if (decision.approve) {
    if (approval.phase === 'before') {
      await ctx.repos.steps.update(step.id, {
        status: 'ready',
        approved: true,
        availableAt: ctx.now,
        updatedAt: ctx.now,
      });
    } else {
      await succeedStep(ctx, step, step.output, undefined);
    }
    return decided;
  }
  const reason = `rejected by ${decision.actor}${decision.comment ? `: ${decision.comment}` : ''}`;
  const onReject = step.spec.onReject;
  if (onReject === 'skip') {
    await succeedStep(ctx, step, null, undefined, 'skipped');
  } else if (onReject === 'retry' && approval.phase === 'after') {
    // The next attempt sees the rejected output and the reviewer's comment.
    if (step.attemptId) {
      await ctx.repos.attempts.update(step.id, step.attempts, {
        error: {
          kind: 'rejected',
          message: reason,
          retryable: true,
          outputTail: tail(JSON.stringify(step.output) ?? ''),
          details: { comment: decision.comment },
        },
      });
    }
    await ctx.repos.steps.update(step.id, {
      status: 'ready',
      tries: step.tries + 1,
      attemptId: null,
      output: null,
      availableAt: ctx.now,
      updatedAt: ctx.now,
    });
  } else {
    await failStep(ctx, step, {
      kind: 'rejected',
      message: reason,
      retryable: false,
      outputTail: '',
    });
  }
  return decided;
}

// ── leases

/** Lost attempts: their worker stopped heartbeating. The step runs again under the same key. */
export async function expireLeases(ctx: JournalContext, limit = 100): Promise<number> {
  const expired = await ctx.repos.steps.findExpiredLeases(ctx.now, limit);
  for (const step of expired)
    await requeue(ctx, step, 'step-lost', `lease held by ${step.leaseOwner} expired`);
  return expired.length;
}

/** Steps whose holder is known to be dead (same host, process gone) are taken back at once. */
export async function reclaimFromDeadOwners(
  ctx: JournalContext,
  ownerPrefix: string,
  isAlive: (owner: string) => boolean,
): Promise<number> {
  const held = await ctx.repos.steps.findRunningByOwnerPrefix(ownerPrefix);
  let count = 0;
  for (const step of held) {
    if (step.leaseOwner === null || isAlive(step.leaseOwner)) continue;
    await requeue(ctx, step, 'step-lost', `worker ${step.leaseOwner} is gone`);
    count++;
  }
  return count;
}

/** Gives a running step back to the queue (shutdown, lost lease); its try, and so its key, stay. */
export async function requeue(
  ctx: JournalContext,
  step: Step,
  kind: 'step-lost' | 'step-release',
  reason: string,
  guard?: StepGuard,
): Promise<boolean> {
  const held = await ctx.repos.steps.update(
    step.id,
    {
      status: 'ready',
      leaseOwner: null,
      leaseExpiresAt: null,
      attemptId: null,
      availableAt: ctx.now,
      updatedAt: ctx.now,
    },
    guard,
  );
  if (!held) return false;
  // With a guard the caller records the attempt's own outcome.
  if (step.attemptId && !guard) {
    await ctx.repos.budgets.release(step.id, step.attempts);
    await ctx.repos.attempts.update(step.id, step.attempts, {
      status: 'lost',
      error: { kind: 'lost', message: reason, retryable: true, outputTail: '' },
      endedAt: ctx.now,
    });
  }
  event(ctx, kind, step.runId, step.id, { step: step.key, attempt: step.attempts, reason });
  return true;
}

// ── run control

export async function setRunPaused(ctx: JournalContext, run: Run, paused: boolean): Promise<Run> {
  const to = paused ? 'paused' : 'running';
  if (run.status === to) return run;
  RunRules.assertTransition(run.status, to);
  await ctx.repos.runs.update(run.id, { status: to, updatedAt: ctx.now });
  event(ctx, paused ? 'run-pause' : 'run-resume', run.id, null, {});
  return { ...run, status: to, updatedAt: ctx.now };
}

export function stepOutputEvent(
  at: string,
  step: Pick<Step, 'runId' | 'id' | 'key'>,
  attempt: number,
  stream: string,
  text: string,
): NewJournalEvent {
  return {
    at,
    runId: step.runId,
    stepId: step.id,
    kind: 'step-output',
    data: { step: step.key, attempt, stream, text },
  };
}
