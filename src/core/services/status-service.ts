/**
 * The command center at a glance (`status`): projects with their tasks by status, the runs in
 * flight, what waits for a person, spend against budgets and what is next. And the installation's
 * own health (`system.health`): store, workers, agents, budgets. Both are reads; neither scans a
 * run's steps except for the runs it shows.
 */

import type { BudgetStanding } from '../../domain/budget.js';
import { budgetStanding, standingKey } from '../../domain/budget.js';
import type { Approval, Run, StepStatus } from '../../domain/run.js';
import type { Risk, RiskLevel } from '../../domain/risk.js';
import { ACTIVE_RISK_STATUSES, Risk as RiskRules } from '../../domain/risk.js';
import type { Task, TaskStatus } from '../../domain/task.js';
import { TASK_STATUSES } from '../../domain/task.js';
import type { VectorBackend } from '../../domain/memory.js';
import type { WorkerRecord } from '../../ports/store.js';
import type { BudgetAlert } from './project-budget-service.js';
import { listActions } from './action-service.js';
import { listMilestones } from './milestone-service.js';
import { budgetAlerts } from './project-budget-service.js';
import { todayOf } from './project-records.js';
import { resolveProject } from './resolve.js';
import { resolveRun } from './run-service.js';
import type { ServiceContext } from './service-context.js';
import { nowIso } from './service-context.js';

/** Runs the status shows at most (active ones first, newest first). */
const STATUS_RUNS = 20;
/** Ready tasks it shows as next. */
const STATUS_NEXT = 5;
/** Risks it shows as needing attention (the register has the rest). */
const STATUS_RISKS = 10;
const STATUS_OVERDUE = 10;
const ALARMING_LEVELS: readonly RiskLevel[] = ['high', 'critical'];

export interface ProjectStatus {
  readonly key: string;
  readonly name: string;
  readonly status: string;
  readonly total: number;
  readonly tasks: Partial<Record<TaskStatus, number>>;
}

export interface RunStatusLine {
  readonly id: string;
  readonly name: string;
  readonly status: Run['status'];
  readonly project: string | null;
  readonly steps: Partial<Record<StepStatus, number>>;
  readonly stepsTotal: number;
  readonly costUsd: number;
  readonly createdAt: string;
}

export interface WorkspaceStatus {
  readonly at: string;
  readonly projects: ProjectStatus[];
  readonly runs: RunStatusLine[];
  readonly approvals: Pick<Approval, 'id' | 'runId' | 'stepKey' | 'phase' | 'requestedAt'>[];
  readonly spend: {
    readonly todayUsd: number;
    readonly totalUsd: number;
    readonly budgets: BudgetStanding[];
  };
  readonly next: Pick<Task, 'ref' | 'title' | 'priority' | 'role'>[];
  /** Open or mitigating risks that are high or critical, or whose review is overdue; by score. */
  readonly risks: (Pick<Risk, 'ref' | 'title' | 'level' | 'score' | 'status' | 'reviewDate'> & {
    readonly overdue: boolean;
  })[];
  /** Budget lines over their alert threshold (docs/command-center.md "Budget"). */
  readonly budgetAlerts: BudgetAlert[];
  /** Open actions and milestones whose due day has passed, oldest first. */
  readonly overdue: OverdueItem[];
  /** All of the above as a few readable lines. */
  readonly report: string;
}

export interface OverdueItem {
  readonly kind: 'action' | 'milestone';
  readonly ref: string;
  readonly title: string;
  readonly dueDate: string;
  readonly owner: string | null;
}

/** Open actions and milestones past their due day, oldest first, at most STATUS_OVERDUE. */
async function overdueItems(ctx: ServiceContext, project: string | undefined) {
  const line =
    (kind: OverdueItem['kind']) =>
    (item: { ref: string; title: string; dueDate: string | null; owner: string | null }) => ({
      kind,
      ref: item.ref,
      title: item.title,
      dueDate: item.dueDate!,
      owner: item.owner,
    });
  const items: OverdueItem[] = [
    ...(await listActions(ctx, { project, overdue: true })).map(line('action')),
    ...(await listMilestones(ctx, { project, overdue: true })).map(line('milestone')),
  ];
  return items
    .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.ref.localeCompare(b.ref))
    .slice(0, STATUS_OVERDUE);
}

export async function workspaceStatus(
  ctx: ServiceContext,
  input: { project?: string | undefined; run?: string | undefined },
): Promise<WorkspaceStatus> {
  const { repos } = ctx;
  const at = nowIso(ctx);
  const only = input.project ? await resolveProject(repos, input.project) : undefined;
  const projects = only ? [only] : await repos.projects.list({});
  const keyOf = new Map(projects.map((p) => [p.id, p.key]));

  const counts = new Map<string, Partial<Record<TaskStatus, number>>>();
  for (const row of await repos.tasks.countByStatus()) {
    const byStatus = counts.get(row.projectId) ?? {};
    byStatus[row.status] = row.count;
    counts.set(row.projectId, byStatus);
  }

  const named = input.run ? await resolveRun(repos, input.run) : undefined;
  const active = await repos.runs.list({
    status: ['running', 'paused'],
    projectId: only?.id,
    limit: STATUS_RUNS,
  });
  const runs = named ? [named, ...active.filter((r) => r.id !== named.id)] : active;
  const runLines: RunStatusLine[] = [];
  for (const run of runs.slice(0, STATUS_RUNS)) {
    runLines.push({
      id: run.id,
      name: run.name,
      status: run.status,
      project: run.projectId ? (keyOf.get(run.projectId) ?? null) : null,
      steps: await repos.steps.countByStatus(run.id),
      stepsTotal: run.stepsTotal,
      costUsd: run.costUsd,
      createdAt: run.createdAt,
    });
  }

  const shown = new Set(runLines.map((r) => r.id));
  const approvals = (await repos.approvals.list({ status: 'pending', limit: 50 }))
    .filter((a) => !only || shown.has(a.runId))
    .map(({ id, runId, stepKey, phase, requestedAt }) => ({
      id,
      runId,
      stepKey,
      phase,
      requestedAt,
    }));

  const budgets = await budgetStandings(ctx, at);
  const day = `day:${at.slice(0, 10)}`;
  const spent = await repos.budgets.usage(['workspace', day]);
  const next = await repos.tasks.findReady({ projectId: only?.id, limit: STATUS_NEXT });
  const today = todayOf(ctx);
  const risks = (await repos.risks.list({ projectId: only?.id, status: ACTIVE_RISK_STATUSES }))
    .map((risk) => ({ ...risk, overdue: RiskRules.isOverdue(risk, today) }))
    .filter((risk) => risk.overdue || ALARMING_LEVELS.includes(risk.level))
    .slice(0, STATUS_RISKS)
    .map(({ ref, title, level, score, status, reviewDate, overdue }) => ({
      ref,
      title,
      level,
      score,
      status,
      reviewDate,
      overdue,
    }));
  const overBudget = await budgetAlerts(ctx, only?.id);

  const status: Omit<WorkspaceStatus, 'report'> = {
    at,
    projects: projects.map((p) => {
      const found = counts.get(p.id) ?? {};
      // In the order work moves through, not the database's.
      const tasks = Object.fromEntries(
        TASK_STATUSES.filter((status) => found[status]).map((status) => [status, found[status]!]),
      );
      return {
        key: p.key,
        name: p.name,
        status: p.status,
        total: Object.values(tasks).reduce((sum, n) => sum + n, 0),
        tasks,
      };
    }),
    runs: runLines,
    approvals,
    spend: {
      todayUsd: spent.get(day)?.usd ?? 0,
      totalUsd: spent.get('workspace')?.usd ?? 0,
      budgets,
    },
    next: next.map(({ ref, title, priority, role }) => ({ ref, title, priority, role })),
    risks,
    budgetAlerts: overBudget,
    overdue: await overdueItems(ctx, only?.id),
  };
  return { ...status, report: statusReport(status) };
}

const money = (usd: number) => `$${usd.toFixed(2)}`;

const countsText = (counts: Readonly<Record<string, number | undefined>>) =>
  Object.entries(counts)
    .filter(([, n]) => n)
    .map(([status, n]) => `${n} ${status}`)
    .join(' · ');

function budgetLine(b: BudgetStanding): string {
  const limits = [
    b.limitUsd !== null ? money(b.limitUsd) : null,
    b.limitTokens !== null ? `${b.limitTokens} tokens` : null,
  ].filter(Boolean);
  if (b.state === 'per_run') return `${b.name} ${limits.join(' / ')} per run`;
  const used = [
    b.limitUsd !== null ? `${money(b.usedUsd!)} used, ${money(b.headroomUsd!)} left` : null,
    b.limitTokens !== null ? `${b.usedTokens} tokens used, ${b.headroomTokens} left` : null,
  ].filter(Boolean);
  return `${b.name} ${limits.join(' / ')}: ${used.join('; ')} (${b.state})`;
}

function statusReport(status: Omit<WorkspaceStatus, 'report'>): string {
  const lines: string[] = [];
  lines.push(status.projects.length === 0 ? 'No projects yet.' : 'Projects');
  for (const p of status.projects) {
    lines.push(
      `  ${p.key}  ${p.name}: ${p.total} tasks${p.total ? ` (${countsText(p.tasks)})` : ''}`,
    );
  }
  if (status.runs.length > 0) {
    lines.push('Runs');
    for (const r of status.runs) {
      lines.push(
        `  ${r.id}  ${r.name}  ${r.status}: ${countsText(r.steps)} of ${r.stepsTotal} steps · ${money(r.costUsd)}`,
      );
    }
  }
  if (status.approvals.length > 0) {
    lines.push('Approvals waiting');
    for (const a of status.approvals) {
      lines.push(`  ${a.id}  run ${a.runId} step ${a.stepKey} (${a.phase}) since ${a.requestedAt}`);
    }
  }
  lines.push(
    `Spend  today ${money(status.spend.todayUsd)} · all time ${money(status.spend.totalUsd)}`,
  );
  for (const b of status.spend.budgets) lines.push(`  ${budgetLine(b)}`);
  if (status.next.length > 0) {
    lines.push('Next');
    for (const t of status.next) {
      lines.push(`  ${t.ref}  ${t.priority}  ${t.title}${t.role ? ` (${t.role})` : ''}`);
    }
  }
  if (status.risks.length > 0) {
    lines.push('Risks needing attention');
    for (const r of status.risks) {
      const review = r.overdue ? ` · review overdue since ${r.reviewDate}` : '';
      lines.push(`  ${r.ref}  ${r.level} ${r.score}  ${r.title} (${r.status})${review}`);
    }
  }
  if (status.budgetAlerts.length > 0) {
    lines.push('Budget lines over their threshold');
    for (const b of status.budgetAlerts) {
      const percent = b.variancePercent === null ? '' : ` (+${b.variancePercent}%)`;
      lines.push(
        `  ${b.ref}  ${b.category}: ${b.actual} of ${b.planned} ${b.currency}${percent}, threshold ${b.thresholdPercent}%`,
      );
    }
  }
  if (status.overdue.length > 0) {
    lines.push('Overdue');
    for (const item of status.overdue) {
      const owner = item.owner === null ? '' : `, ${item.owner}`;
      lines.push(`  ${item.ref}  ${item.title} (${item.kind}, due ${item.dueDate}${owner})`);
    }
  }
  return lines.join('\n');
}

/** Every budget of bosun.yaml as it stands at `at` (none without a workspace folder). */
export async function budgetStandings(ctx: ServiceContext, at: string): Promise<BudgetStanding[]> {
  const budgets = ctx.engine?.agents?.budgets() ?? [];
  if (budgets.length === 0) return [];
  const projectIds = new Map<string, string | null>();
  for (const budget of budgets) {
    if (budget.project !== undefined && !projectIds.has(budget.project)) {
      const project = await ctx.repos.projects.findByKey(budget.project);
      projectIds.set(budget.project, project?.id ?? null);
    }
  }
  const keys = budgets.map((b) => standingKey(b, at, (key) => projectIds.get(key) ?? null));
  const used = await ctx.repos.budgets.usage(keys.filter((k): k is string => k !== null));
  return budgets.map((budget, i) =>
    budgetStanding(budget, keys[i]!, keys[i] ? used.get(keys[i]) : undefined),
  );
}

// ── system health

/** A worker whose heartbeat is older than this is reported as stale. */
export const WORKER_STALE_MS = 60_000;

export interface SystemHealth {
  /** False when something below needs a person: a stale worker, an exceeded budget. */
  readonly ok: boolean;
  readonly at: string;
  readonly version: string | null;
  readonly store: {
    readonly dialect: 'sqlite' | 'postgres' | null;
    readonly location: string | null;
    /** How long a trivial read took, in milliseconds. */
    readonly latencyMs: number;
    readonly tasks: number;
    readonly runsActive: number;
  };
  readonly workers: (WorkerRecord & { readonly stale: boolean })[];
  readonly agents: {
    readonly name: string;
    readonly runner: string;
    readonly model: string | null;
    readonly role: string | null;
  }[];
  readonly budgets: BudgetStanding[];
  /** Memory items and their vectors; `backend: off` when no embedder is configured. */
  readonly memory: {
    readonly items: number;
    readonly embedded: number;
    readonly pending: number;
    readonly backend: VectorBackend;
    /** The configured embedding model (`provider:model`), or null. */
    readonly model: string | null;
  };
  /** What needs attention, one line each; empty when `ok`. */
  readonly problems: string[];
  /** All of the above as a few readable lines. */
  readonly report: string;
}

export async function systemHealth(ctx: ServiceContext): Promise<SystemHealth> {
  const { repos } = ctx;
  const at = nowIso(ctx);
  const started = performance.now();
  const tasks = await repos.tasks.count({});
  const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
  const runsActive = await repos.runs.count({ status: ['running', 'paused'] });
  const now = ctx.clock.now().getTime();
  const workers = (await repos.workers.list()).map((worker) => ({
    ...worker,
    stale: now - Date.parse(worker.heartbeatAt) > WORKER_STALE_MS,
  }));
  // A bosun.yaml that does not validate is a problem to report, not a reason to fail the check.
  const configProblems: string[] = [];
  let agents: SystemHealth['agents'] = [];
  let budgets: BudgetStanding[] = [];
  try {
    agents = (ctx.engine?.agents?.list() ?? []).map(({ name, config }) => ({
      name,
      runner: config.runner,
      model: config.model ?? null,
      role: config.role ?? null,
    }));
    budgets = await budgetStandings(ctx, at);
  } catch (error) {
    configProblems.push(`bosun.yaml: ${(error as Error).message}`);
  }
  const vectorCounts = await repos.memory.vectorCounts();
  const memory: SystemHealth['memory'] = {
    ...vectorCounts,
    backend: ctx.memoryVectors ? repos.memory.vectorBackend : 'off',
    model: ctx.memoryVectors?.space.model ?? null,
  };
  const problems = [
    ...configProblems,
    ...(ctx.memoryVectors && memory.backend === 'off'
      ? [
          'memory: embeddings are configured but this store keeps no vectors (sqlite-vec did not load); search is full-text only',
        ]
      : []),
    ...workers
      .filter((w) => w.stale)
      .map((w) => `worker ${w.id} on ${w.host} has not sent a heartbeat since ${w.heartbeatAt}`),
    ...budgets
      .filter((b) => b.state === 'exceeded')
      .map((b) => `${b.name} is exhausted: steps that need it are held`),
    ...(runsActive > 0 && workers.length === 0
      ? [
          `${runsActive} run${runsActive === 1 ? '' : 's'} in flight and no worker registered: start 'bosun worker' or 'bosun serve', or drive a run with 'bosun run resume RUN'`,
        ]
      : []),
  ];
  const health: Omit<SystemHealth, 'report'> = {
    ok: problems.length === 0,
    at,
    version: ctx.system?.version ?? null,
    store: {
      dialect: ctx.system?.store.dialect ?? null,
      location: ctx.system?.store.location ?? null,
      latencyMs,
      tasks,
      runsActive,
    },
    workers,
    agents,
    budgets,
    memory,
    problems,
  };
  return { ...health, report: healthReport(health) };
}

function healthReport(health: Omit<SystemHealth, 'report'>): string {
  const { store } = health;
  const lines = [
    `${health.ok ? 'ok' : 'NEEDS ATTENTION'} · bosun ${health.version ?? '?'}`,
    `store    ${store.dialect ?? '?'} ${store.location ?? ''} · ${store.tasks} tasks · ${store.runsActive} runs in flight · read in ${store.latencyMs} ms`,
    `workers  ${
      health.workers.length === 0
        ? 'none registered'
        : health.workers
            .map((w) => `${w.host}/${w.pid} ×${w.concurrency}${w.stale ? ' (stale)' : ''}`)
            .join(', ')
    }`,
    `agents   ${
      health.agents.length === 0
        ? 'none configured'
        : health.agents
            .map((a) => `${a.name} (${a.runner}${a.model ? ` ${a.model}` : ''})`)
            .join(', ')
    }`,
    ...(health.budgets.length === 0
      ? ['budgets  none configured']
      : health.budgets.map((b, i) => `${i === 0 ? 'budgets ' : '        '} ${budgetLine(b)}`)),
    `memory   ${health.memory.items} items · ${
      health.memory.backend === 'off'
        ? 'full-text search only'
        : `${health.memory.embedded} embedded, ${health.memory.pending} pending · ${health.memory.model} on ${health.memory.backend}`
    }`,
    ...health.problems.map((p) => `problem  ${p}`),
  ];
  return lines.join('\n');
}
