/**
 * Briefings (`bosun brief`): a digest of what changed in a project, or in the whole workspace,
 * since its last briefing — tasks created, done and moved, records written, runs started and
 * finished — with what is due and overdue, blocked, at risk and over budget, and what the agents
 * did and spent; and, when a model is at hand (the agent playing `briefer`, else `analyst`, or a
 * named agent or model), a short narrative it writes from the digest. Every briefing is stored,
 * so its history can be listed and shown again. docs/command-center.md "Briefings".
 *
 * As with `bosun ask`, the digest is read in one read transaction and the model is called after
 * it, outside any transaction (the operation's `prepare`); the handler stores the briefing, its
 * audit entry and the model's spend in one write transaction.
 */

import type { BriefingDigest, BriefingView } from '../../domain/briefing.js';
import {
  BRIEFING_DUE_DAYS,
  BRIEFING_LIST_LIMIT,
  Briefing,
  FIRST_BRIEFING_LOOKBACK_MS,
} from '../../domain/briefing.js';
import { ACTIVE_ACTION_STATUSES } from '../../domain/action.js';
import { ACTIVE_MILESTONE_STATUSES } from '../../domain/milestone.js';
import type { Project } from '../../domain/project.js';
import { ACTIVE_RISK_STATUSES } from '../../domain/risk.js';
import type { Risk, RiskLevel } from '../../domain/risk.js';
import type { Run, Step } from '../../domain/run.js';
import type { Task } from '../../domain/task.js';
import type { ModelCall } from '../../ports/runner.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';
import { listMilestones } from './milestone-service.js';
import { momentOf } from './moment.js';
import { projectBudget } from './project-budget-service.js';
import { recordKindOfRef, todayOf } from './project-records.js';
import { resolveProject } from './resolve.js';
import type { AnswererChoice, ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';
import { pickModel } from './model-choice.js';
import { outsideRun, recordCalls } from './spend.js';

/** The roles whose agent writes the narrative when none is named, the first one played. */
export const BRIEFER_ROLES = ['briefer', 'analyst'] as const;
const ALARMING_LEVELS: readonly RiskLevel[] = ['high', 'critical'];
/** Audit entries a briefing reads at most (the newest are kept). */
const AUDIT_WINDOW = 10_000;
const MICROS_PER_USD = 1_000_000;

type Digest = BriefingDigest;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface BriefInput {
  /** A project's key or id; absent: the whole workspace. */
  readonly project?: string | undefined;
  /** A day, a time or a duration back from now; default: the last briefing of the scope. */
  readonly since?: string | undefined;
  readonly agent?: string | undefined;
  /** A model of bosun.yaml; null (`--no-model`): the digest alone. */
  readonly model?: string | null | undefined;
}

/** What `prepare` hands the handler. */
export interface BriefPrepared {
  readonly project: Project | null;
  readonly since: string;
  readonly until: string;
  readonly digest: Digest;
  readonly narrative: string | null;
  readonly agent: string | null;
  readonly model: string | null;
  readonly note: string | null;
  readonly calls: readonly ModelCall[];
}

/** What briefing needs outside a transaction (an operation's prepare context is one). */
export interface BriefEnvironment extends Pick<ServiceContext, 'engine' | 'clock'> {
  read<T>(work: (ctx: ServiceContext) => Promise<T>): Promise<T>;
}

const NARRATIVE_INSTRUCTIONS = `You write the briefing a person running a software team's work reads first: a short narrative of the digest you are given.
- Plain text, at most six sentences; lead with what needs attention (overdue, blocked, at risk, over budget), then what changed and what the agents did.
- Use only facts in the digest; name items by the refs it gives (HOME-12, HOME-R3). Never invent refs, names, numbers or dates.
- If the digest holds nothing of note, say so in one sentence.`;

/**
 * Assembles the digest and, when a model writes, its narrative; all of it outside any transaction
 * but the reads. An agent or model named must write: its failure is the error. Otherwise a missing
 * or failing model leaves the digest alone, with a note saying why.
 */
export async function prepareBriefing(
  env: BriefEnvironment,
  input: BriefInput,
): Promise<BriefPrepared> {
  const answerer = env.engine?.answerer;
  const picked = pickModel(answerer, {
    ...input,
    roles: BRIEFER_ROLES,
    purpose: 'brief',
    acts: 'write',
  });
  const { forced } = picked;
  const choice: AnswererChoice | null = 'choice' in picked ? picked.choice : null;
  const why: string | null = 'reason' in picked ? picked.reason : null;

  const gathered = await env.read((ctx) => gatherDigest(ctx, input));
  const digestOnly = (
    note: string,
    calls: readonly ModelCall[] = [],
    agent: string | null = null,
  ) => ({ ...gathered, narrative: null, agent, model: null, note, calls }) satisfies BriefPrepared;
  if (choice === null || answerer === undefined) {
    return digestOnly(`${why ?? 'no model configured'}: the digest alone`);
  }
  const scope = gathered.project === null ? 'the workspace' : `project ${gathered.project.key}`;
  let answered;
  try {
    answered = await answerer.answer(choice, {
      purpose: 'brief',
      instructions: NARRATIVE_INSTRUCTIONS,
      prompt: [
        `Briefing for ${scope}, from ${gathered.since} to ${gathered.until}.`,
        '',
        digestReport(gathered.digest),
      ].join('\n'),
    });
  } catch (error) {
    if (forced || !(error instanceof BosunError)) throw error;
    return digestOnly(`the model failed (${error.message}): the digest alone`);
  }
  const narrative = answered.text.trim();
  if (narrative === '') {
    const empty = `model '${choice.model.name}' wrote an empty narrative`;
    if (forced) {
      throw new BosunError('unavailable', `brief: ${empty}`, {
        retryable: true,
        details: { model: choice.model.name },
      });
    }
    // The empty answer cost money all the same.
    return digestOnly(
      `the model failed (${empty}): the digest alone`,
      answered.calls,
      choice.agent,
    );
  }
  return {
    ...gathered,
    narrative,
    agent: choice.agent,
    model: choice.model.name,
    note: null,
    calls: answered.calls,
  };
}

/** In the handler's transaction: the briefing, its audit entry and the model's spend. */
export async function storeBriefing(
  ctx: ServiceContext,
  prepared: BriefPrepared,
): Promise<BriefingView> {
  const now = nowIso(ctx);
  const projectId = prepared.project?.id ?? null;
  await recordCalls(ctx.repos, outsideRun(now, projectId, prepared.agent), prepared.calls);
  const briefing: Briefing = {
    id: ctx.newId(),
    projectId,
    since: prepared.since,
    until: prepared.until,
    method: prepared.narrative === null ? 'digest' : 'model',
    agent: prepared.narrative === null ? null : prepared.agent,
    model: prepared.model,
    digest: prepared.digest,
    narrative: prepared.narrative,
    note: prepared.note,
    createdAt: now,
    createdBy: ctx.actor,
    archivedAt: null,
  };
  await ctx.repos.briefings.insert(briefing);
  await recordAudit(ctx, auditTarget(briefing), null, auditSnapshot(briefing));
  return view(briefing, prepared.project?.key ?? null);
}

export interface BriefingListInput {
  readonly project?: string | undefined;
  /** Only workspace-wide briefings. */
  readonly workspaceOnly?: boolean | undefined;
  readonly archived?: boolean | undefined;
  readonly limit?: number | undefined;
}

/** The history, newest first: of a project, of the workspace alone, or of everything. */
export async function listBriefings(
  ctx: ServiceContext,
  input: BriefingListInput,
): Promise<BriefingView[]> {
  if (input.workspaceOnly && input.project !== undefined) {
    throw invalidInput('workspaceOnly', 'must not be given with a project');
  }
  const project =
    input.project === undefined ? undefined : await resolveProject(ctx.repos, input.project);
  const briefings = await ctx.repos.briefings.list({
    projectId: project?.id ?? (input.workspaceOnly ? null : undefined),
    includeArchived: input.archived === true,
    limit: input.limit,
  });
  const keys = await projectKeys(ctx);
  return briefings.map((briefing) => view(briefing, keyOf(keys, briefing.projectId)));
}

/**
 * One briefing, archived or not: by id, by an id's first 8 or more characters, or `latest` (of
 * the project given, else of the workspace).
 */
export async function showBriefing(
  ctx: ServiceContext,
  input: { briefing: string; project?: string | undefined },
): Promise<BriefingView> {
  const briefing = await resolveBriefing(ctx, input.briefing, input.project);
  return view(briefing, keyOf(await projectKeys(ctx), briefing.projectId));
}

export async function setBriefingArchived(
  ctx: ServiceContext,
  input: { briefing: string; project?: string | undefined },
  archived: boolean,
): Promise<BriefingView> {
  const before = await resolveBriefing(ctx, input.briefing, input.project, true);
  if ((before.archivedAt !== null) === archived) {
    const state = archived ? 'is already archived' : 'is not archived';
    throw new BosunError('conflict', `briefing: briefing ${before.id} ${state}`, {
      details: { field: 'briefing', key: input.briefing, archivedAt: before.archivedAt },
    });
  }
  const after = { ...before, archivedAt: archived ? nowIso(ctx) : null };
  await ctx.repos.briefings.setArchived(after.id, after.archivedAt);
  await recordAudit(ctx, auditTarget(after), auditSnapshot(before), auditSnapshot(after));
  return view(after, keyOf(await projectKeys(ctx), after.projectId));
}

// ── finding

async function resolveBriefing(
  ctx: ServiceContext,
  key: string,
  project: string | undefined,
  lock = false,
): Promise<Briefing> {
  const value = key.trim().toUpperCase();
  const notFound = (what: string) =>
    new BosunError('not_found', `briefing: ${what}; see 'bosun brief list'`, {
      details: { field: 'briefing', kind: 'briefing', key },
    });
  if (value === 'LATEST') {
    const scope = project === undefined ? null : await resolveProject(ctx.repos, project);
    const [latest] = await ctx.repos.briefings.list({ projectId: scope?.id ?? null, limit: 1 });
    if (latest === undefined) {
      throw notFound(`no briefing of ${scope === null ? 'the workspace' : scope.key} yet`);
    }
    return lock ? (await ctx.repos.briefings.findById(latest.id, { lock }))! : latest;
  }
  if (project !== undefined) {
    throw invalidInput('project', "may be given only with 'latest'; an id names one briefing");
  }
  if (isUlid(value)) {
    const found = await ctx.repos.briefings.findById(value, { lock });
    if (found === undefined) throw notFound(`no briefing '${key}'`);
    return found;
  }
  if (!/^[0-9A-HJKMNP-TV-Z]{8,25}$/.test(value)) {
    throw invalidInput(
      'briefing',
      "must be a briefing's id, its first 8 or more characters, or latest",
    );
  }
  const found = await ctx.repos.briefings.findByIdPrefix(value, 2);
  if (found.length === 0) throw notFound(`no briefing '${key}'`);
  if (found.length > 1)
    throw invalidInput('briefing', `'${key}' names more than one briefing; give more of its id`);
  return lock ? (await ctx.repos.briefings.findById(found[0]!.id, { lock }))! : found[0]!;
}

async function projectKeys(ctx: ServiceContext): Promise<Map<string, string>> {
  return new Map((await ctx.repos.projects.list({})).map((project) => [project.id, project.key]));
}

function keyOf(keys: ReadonlyMap<string, string>, projectId: string | null): string | null {
  return projectId === null ? null : (keys.get(projectId) ?? projectId);
}

function auditTarget(briefing: Briefing) {
  return { kind: 'briefing', id: briefing.id, label: `briefing ${briefing.id.slice(0, 10)}` };
}

/** The audit log keeps each section's size, not the digest itself (the briefing holds that). */
function auditSnapshot(briefing: Briefing): Record<string, unknown> {
  const { digest, ...rest } = briefing;
  return { ...rest, digest: Briefing.counts(digest) };
}

function view(briefing: Briefing, project: string | null): BriefingView {
  return { ...briefing, project, report: briefingReport(briefing, project) };
}

// ── gathering

interface Gathered {
  readonly project: Project | null;
  readonly since: string;
  readonly until: string;
  readonly digest: Digest;
}

/** The window a briefing covers and what every section needs to know about its scope. */
interface Window {
  readonly project: Project | null;
  readonly projectId: string | undefined;
  readonly since: string;
  readonly until: string;
  /** Project keys by id, for runs' lines. */
  readonly keys: ReadonlyMap<string, string>;
}

const inWindow = (window: Window, at: string | null) =>
  at !== null && at >= window.since && at < window.until;

async function gatherDigest(ctx: ServiceContext, input: BriefInput): Promise<Gathered> {
  const { repos } = ctx;
  const until = nowIso(ctx);
  const project =
    input.project === undefined ? null : await resolveProject(ctx.repos, input.project);
  let since = momentOf(ctx, input.since, 'since');
  if (since === undefined) {
    const [last] = await repos.briefings.list({ projectId: project?.id ?? null, limit: 1 });
    since = last?.until ?? new Date(Date.parse(until) - FIRST_BRIEFING_LOOKBACK_MS).toISOString();
  }
  if (since > until) throw invalidInput('since', `must not be in the future (it is ${since})`);
  const window: Window = {
    project,
    projectId: project?.id,
    since,
    until,
    keys: await projectKeys(ctx),
  };
  const tasks = await repos.tasks.list({ projectId: window.projectId });
  const runs = await repos.runs.list({ projectId: window.projectId });
  const risks = await repos.risks.list({
    projectId: window.projectId,
    status: ACTIVE_RISK_STATUSES,
  });
  const digest: Digest = {
    changed: await changedSection(ctx, window, tasks, runs),
    ...(await datedSections(ctx, window, risks)),
    blocked: await blockedSection(ctx, window, tasks, runs),
    atRisk: {
      risks: capped(
        risks
          .filter((risk) => ALARMING_LEVELS.includes(risk.level))
          .map(({ ref, title, level, score, status, owner }) => ({
            ref,
            title,
            level,
            score,
            status,
            owner,
          })),
      ),
    },
    overBudget: { lines: capped(await overBudgetLines(ctx, window)) },
    agents: await agentsSection(ctx, window, runs),
  };
  return { project, since, until, digest };
}

const taskLine = (task: Task) => ({ ref: task.ref, title: task.title, status: task.status });

const runLine = (window: Window, run: Run, at: string) => ({
  id: run.id,
  name: run.name,
  status: run.status,
  project: keyOf(window.keys, run.projectId),
  at,
});

/**
 * What changed: tasks created (their creation time), status moves (the audit log: a task's
 * `status` before and after), writes to records with refs (HOME-R3, HOME-A1, …), runs started
 * and finished. A project's audit entries are those labelled with its key (`HOME-`).
 */
async function changedSection(
  ctx: ServiceContext,
  window: Window,
  tasks: readonly Task[],
  runs: readonly Run[],
): Promise<Digest['changed']> {
  const taskById = new Map(tasks.map((task) => [task.id, task]));
  const { project } = window;
  const inScope = (label: string | null) =>
    project === null || (label !== null && label.startsWith(`${project.key}-`));
  const audit = await ctx.repos.audit.list({
    since: window.since,
    until: window.until,
    order: 'desc',
    limit: AUDIT_WINDOW,
  });
  const statusChanges: Mutable<Digest['changed']['statusChanges']> = [];
  const doneIds = new Set<string>();
  const records: Mutable<Digest['changed']['records']> = [];
  for (const entry of audit.reverse()) {
    if (!inScope(entry.targetLabel)) continue;
    if (entry.targetKind === 'task') {
      const status = entry.changes['status'];
      const task = taskById.get(entry.targetId);
      // A creation (no status before) is listed from the task itself.
      if (status === undefined || status.before === null || task === undefined) continue;
      const to = String(status.after);
      if (to === 'done') doneIds.add(task.id);
      statusChanges.push({
        ref: task.ref,
        title: task.title,
        from: String(status.before),
        to,
        at: entry.at,
        actor: entry.actor,
      });
    } else if (entry.targetLabel !== null && recordKindOfRef(entry.targetLabel) !== undefined) {
      records.push({
        kind: entry.targetKind,
        label: entry.targetLabel,
        operation: entry.operation,
        at: entry.at,
        actor: entry.actor,
      });
    }
  }
  const runsAt = (at: (run: Run) => string | null) =>
    capped(
      runs
        .filter((run) => inWindow(window, at(run)))
        .map((run) => runLine(window, run, at(run)!))
        .sort((a, b) => a.at.localeCompare(b.at)),
    );
  return {
    tasksCreated: capped(tasks.filter((task) => inWindow(window, task.createdAt)).map(taskLine)),
    // Done in the window and still done now.
    tasksDone: capped(
      tasks.filter((task) => doneIds.has(task.id) && task.status === 'done').map(taskLine),
    ),
    statusChanges: capped(statusChanges, true),
    records: capped(records, true),
    runsStarted: runsAt((run) => run.createdAt),
    runsFinished: runsAt((run) => run.endedAt),
  };
}

interface DatedItem {
  readonly ref: string;
  readonly title: string;
  readonly date: string | null;
  readonly owner: string | null;
}

/**
 * Due (today and the next days, BRIEFING_DUE_DAYS in all) and overdue (before today): open
 * actions and milestones by due day, open risks by review day. What is due is the state now,
 * whatever the window.
 */
async function datedSections(
  ctx: ServiceContext,
  window: Window,
  risks: readonly Risk[],
): Promise<Pick<Digest, 'due' | 'overdue'>> {
  const today = todayOf(ctx);
  const horizon = addDays(today, BRIEFING_DUE_DAYS - 1);
  const actions = await ctx.repos.actions.list({
    projectId: window.projectId,
    status: ACTIVE_ACTION_STATUSES,
  });
  const milestones = await listMilestones(ctx, {
    project: window.projectId,
    status: ACTIVE_MILESTONE_STATUSES,
  });
  const sources = {
    actions: actions.map((a) => ({ ...a, date: a.dueDate })),
    riskReviews: risks.map((r) => ({ ...r, date: r.reviewDate })),
    milestones: milestones.map((m) => ({ ...m, date: m.dueDate })),
  };
  const where = (items: readonly DatedItem[], keep: (date: string) => boolean) =>
    capped(
      items
        .filter((item) => item.date !== null && keep(item.date))
        .map(({ ref, title, date, owner }) => ({ ref, title, date: date!, owner }))
        .sort((a, b) => a.date.localeCompare(b.date) || a.ref.localeCompare(b.ref)),
    );
  const due = (date: string) => date >= today && date <= horizon;
  const late = (date: string) => date < today;
  return {
    due: {
      actions: where(sources.actions, due),
      riskReviews: where(sources.riskReviews, due),
      milestones: where(sources.milestones, due),
    },
    overdue: {
      actions: where(sources.actions, late),
      riskReviews: where(sources.riskReviews, late),
      milestones: where(sources.milestones, late),
    },
  };
}

/** Tasks blocked or waiting on open dependencies; runs parked for a person's decision. */
async function blockedSection(
  ctx: ServiceContext,
  window: Window,
  tasks: readonly Task[],
  runs: readonly Run[],
): Promise<Digest['blocked']> {
  const runById = new Map(runs.map((run) => [run.id, run]));
  // Every pending approval of a run in scope (a workspace-wide run belongs to no project).
  const pending = (await ctx.repos.approvals.list({ status: 'pending' })).filter((approval) =>
    runById.has(approval.runId),
  );
  const waiting = [...new Set(pending.map((approval) => approval.runId))].map((id) =>
    runById.get(id)!,
  );
  return {
    tasks: capped(
      tasks
        .filter(
          (task) => task.status === 'blocked' || (task.status === 'todo' && task.openDeps > 0),
        )
        .map((task) => ({
          ...taskLine(task),
          reason: task.status === 'blocked' ? ('blocked' as const) : ('waiting' as const),
          openDeps: task.openDeps,
        })),
    ),
    runsAwaitingApproval: capped(waiting.map((run) => runLine(window, run, run.updatedAt))),
    approvals: capped(
      pending.map((approval) => ({
        id: approval.id,
        runId: approval.runId,
        run: runById.get(approval.runId)!.name,
        stepKey: approval.stepKey,
        phase: approval.phase,
        requestedAt: approval.requestedAt,
      })),
    ),
  };
}

/** The budget lines over their alert threshold (budget report's alerts), project by project. */
async function overBudgetLines(
  ctx: ServiceContext,
  window: Window,
): Promise<Digest['overBudget']['lines']> {
  const projects = window.project === null ? await ctx.repos.projects.list({}) : [window.project];
  const lines: Mutable<Digest['overBudget']['lines']> = [];
  for (const project of projects) {
    const budget = await projectBudget(ctx, project.id);
    for (const line of budget.lines.filter((each) => each.over)) {
      lines.push({
        project: budget.project,
        ref: line.ref,
        category: line.category,
        currency: line.currency,
        plannedMinor: line.plannedMinor,
        actualMinor: line.actualMinor,
        planned: line.planned,
        actual: line.actual,
        variancePercent: line.variancePercent,
        thresholdPercent: line.thresholdPercent,
      });
    }
  }
  return lines;
}

/**
 * What each agent did in the window — the steps it started, of how many runs, and how they
 * ended — and what it spent (the cost ledger since the window's start). The ledger's dollars
 * become integer micro-dollars per agent before anything is added up.
 */
async function agentsSection(
  ctx: ServiceContext,
  window: Window,
  runs: readonly Run[],
): Promise<Digest['agents']> {
  const rows = new Map<string, Mutable<Digest['agents']['rows'][number]>>();
  const rowOf = (agent: string) => {
    let row = rows.get(agent);
    if (row === undefined) {
      row = {
        agent,
        runs: 0,
        steps: 0,
        succeeded: 0,
        failed: 0,
        calls: 0,
        inputTokens: 0,
        outputTokens: 0,
        costMicroUsd: 0,
      };
      rows.set(agent, row);
    }
    return row;
  };
  // Only runs alive during the window can have started a step in it.
  const alive = runs.filter(
    (run) => run.createdAt < window.until && (run.endedAt === null || run.endedAt >= window.since),
  );
  for (const run of alive) {
    const counted = new Set<string>();
    for (const step of await ctx.repos.steps.listForRun(run.id)) {
      if (!inWindow(window, step.startedAt)) continue;
      const row = rowOf(stepAgent(step));
      row.steps += 1;
      if (step.status === 'succeeded') row.succeeded += 1;
      if (step.status === 'failed') row.failed += 1;
      if (!counted.has(row.agent)) {
        counted.add(row.agent);
        row.runs += 1;
      }
    }
  }
  let totalCostMicroUsd = 0;
  const spent = await ctx.repos.ledger.report({
    by: 'agent',
    since: window.since,
    projectId: window.projectId,
  });
  for (const line of spent) {
    const row = rowOf(line.key);
    const micros = Math.round(line.costUsd * MICROS_PER_USD);
    row.calls += line.calls;
    row.inputTokens += line.inputTokens;
    row.outputTokens += line.outputTokens;
    row.costMicroUsd += micros;
    totalCostMicroUsd += micros;
  }
  return {
    rows: [...rows.values()].sort(
      (a, b) =>
        b.costMicroUsd - a.costMicroUsd || b.steps - a.steps || a.agent.localeCompare(b.agent),
    ),
    totalCostMicroUsd,
  };
}

/** Who did a step: its agent, else its role, else its runner in parentheses (`(mock)`). */
function stepAgent(step: Step): string {
  return step.spec.agent ?? step.spec.role ?? `(${step.spec.runner ?? step.runner})`;
}

/** At most BRIEFING_LIST_LIMIT items: the first ones, or with `newest` the last ones. */
function capped<T>(items: readonly T[], newest = false): T[] {
  if (items.length <= BRIEFING_LIST_LIMIT) return [...items];
  return newest ? items.slice(-BRIEFING_LIST_LIMIT) : items.slice(0, BRIEFING_LIST_LIMIT);
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000)
    .toISOString()
    .slice(0, 10);
}

// ── reports

const usd = (micros: number) => `$${(micros / MICROS_PER_USD).toFixed(4)}`;
const owned = (owner: string | null) => (owner === null ? '' : ` (${owner})`);

/** The digest as a person reads it: one heading per section that holds anything. */
export function digestReport(digest: Digest): string {
  const lines: string[] = [];
  const section = (title: string, body: readonly string[]) => {
    if (body.length === 0) return;
    if (lines.length > 0) lines.push('');
    lines.push(title, ...body.map((line) => `  ${line}`));
  };
  const { changed, due, overdue, blocked, atRisk, overBudget, agents } = digest;
  section('Changed', [
    ...changed.tasksCreated.map((t) => `created ${t.ref} ${t.title} (${t.status})`),
    ...changed.tasksDone.map((t) => `done ${t.ref} ${t.title}`),
    ...changed.statusChanges
      .filter((c) => c.to !== 'done')
      .map((c) => `moved ${c.ref} ${c.title}: ${c.from} → ${c.to} (${c.actor})`),
    ...changed.records.map((r) => `${r.operation} ${r.label} (${r.actor})`),
    ...changed.runsStarted.map((r) => `run started ${r.name} ${r.id.slice(0, 10)} (${r.status})`),
    ...changed.runsFinished.map((r) => `run ${r.status} ${r.name} ${r.id.slice(0, 10)}`),
  ]);
  section('Overdue', [
    ...overdue.actions.map((a) => `action ${a.ref} ${a.title}: due ${a.date}${owned(a.owner)}`),
    ...overdue.riskReviews.map(
      (r) => `risk review ${r.ref} ${r.title}: ${r.date}${owned(r.owner)}`,
    ),
    ...overdue.milestones.map((m) => `milestone ${m.ref} ${m.title}: ${m.date}${owned(m.owner)}`),
  ]);
  section(`Due in the next ${BRIEFING_DUE_DAYS} days`, [
    ...due.actions.map((a) => `action ${a.ref} ${a.title}: due ${a.date}${owned(a.owner)}`),
    ...due.riskReviews.map((r) => `risk review ${r.ref} ${r.title}: ${r.date}${owned(r.owner)}`),
    ...due.milestones.map((m) => `milestone ${m.ref} ${m.title}: ${m.date}${owned(m.owner)}`),
  ]);
  section('Blocked', [
    ...blocked.tasks.map((t) =>
      t.reason === 'blocked'
        ? `${t.ref} ${t.title}: blocked`
        : `${t.ref} ${t.title}: waiting on ${t.openDeps} open ${t.openDeps === 1 ? 'dependency' : 'dependencies'}`,
    ),
    ...blocked.approvals.map(
      (a) => `run ${a.run} ${a.runId.slice(0, 10)}: step ${a.stepKey} awaits approval (${a.phase})`,
    ),
  ]);
  section(
    'At risk',
    atRisk.risks.map(
      (r) => `${r.ref} ${r.title}: ${r.level} (${r.score}), ${r.status}${owned(r.owner)}`,
    ),
  );
  section(
    'Over budget',
    overBudget.lines.map(
      (b) =>
        `${b.ref} ${b.category}: ${b.actual} of ${b.planned} planned (${b.variancePercent ?? 'n/a'} over; alert at ${b.thresholdPercent}%)`,
    ),
  );
  section(
    'Agents',
    agents.rows.map(
      (a) =>
        `${a.agent}: ${a.steps} steps in ${a.runs} runs (${a.succeeded} succeeded, ${a.failed} failed); ${a.calls} model calls, ${usd(a.costMicroUsd)}`,
    ),
  );
  if (agents.totalCostMicroUsd > 0) lines.push(`  total spent ${usd(agents.totalCostMicroUsd)}`);
  return lines.length === 0
    ? 'Nothing changed, nothing is due, blocked or at risk.'
    : lines.join('\n');
}

function briefingReport(briefing: Briefing, project: string | null): string {
  const scope = project ?? 'the workspace';
  const span = `${briefing.since.slice(0, 16).replace('T', ' ')} to ${briefing.until.slice(0, 16).replace('T', ' ')} UTC`;
  const lines = [`Briefing for ${scope}, ${span} (${briefing.id})`, ''];
  if (briefing.narrative !== null) {
    const by =
      briefing.agent === null
        ? `model ${briefing.model}`
        : `${briefing.agent} (model ${briefing.model})`;
    lines.push(briefing.narrative, '', `Written by ${by} from the digest below.`, '');
  }
  lines.push(digestReport(briefing.digest));
  if (briefing.note !== null) lines.push('', `Note: ${briefing.note}.`);
  if (briefing.archivedAt !== null) lines.push(`Archived ${briefing.archivedAt}.`);
  return lines.join('\n');
}
