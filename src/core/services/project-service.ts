/** Projects and their sprints: create, change, list. */

import type { Project, ProjectStatus } from '../../domain/project.js';
import { Project as ProjectRules } from '../../domain/project.js';
import type { Sprint, SprintStatus } from '../../domain/sprint.js';
import { Sprint as SprintRules } from '../../domain/sprint.js';
import type { TaskStatus } from '../../domain/task.js';
import { TASK_STATUSES, Task as TaskRules } from '../../domain/task.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import type { BudgetSummary } from '../../domain/project-budget.js';
import { assertCurrencyChangeAllowed, budgetSummary } from './project-budget-service.js';
import { resolveProject, resolveSprint } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';

export interface ProjectFields {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly owner?: string | null | undefined;
  readonly startDate?: string | null | undefined;
  readonly dueDate?: string | null | undefined;
  readonly budgetAmount?: number | null | undefined;
  readonly budgetCurrency?: string | null | undefined;
}

function checkDates(start: string | null, end: string | null, endField: string): void {
  if (start !== null && end !== null && end < start) {
    throw invalidInput(endField, `must not be before the start date ${start}`);
  }
}

function checkBudget(project: Project): void {
  if (project.budgetAmount !== null && project.budgetCurrency === null) {
    throw invalidInput('budgetCurrency', 'is required when budgetAmount is set (e.g. USD)');
  }
}

export async function createProject(
  ctx: ServiceContext,
  input: ProjectFields & { key: string; name: string },
): Promise<Project> {
  if (await ctx.repos.projects.findByKey(input.key)) {
    throw new BosunError('conflict', `key: a project with key ${input.key} already exists`, {
      details: { field: 'key', key: input.key },
    });
  }
  const now = nowIso(ctx);
  const project: Project = {
    id: ctx.newId(),
    key: input.key,
    name: input.name,
    description: input.description ?? '',
    status: 'active',
    owner: input.owner ?? ctx.actor,
    startDate: input.startDate ?? null,
    dueDate: input.dueDate ?? null,
    budgetAmount: input.budgetAmount ?? null,
    budgetCurrency: input.budgetCurrency ?? null,
    createdAt: now,
    updatedAt: now,
  };
  checkDates(project.startDate, project.dueDate, 'dueDate');
  checkBudget(project);
  await ctx.repos.projects.insert(project);
  await recordAudit(ctx, projectTarget(project), null, project);
  return project;
}

export async function updateProject(
  ctx: ServiceContext,
  input: ProjectFields & { project: string; status?: ProjectStatus | undefined },
): Promise<Project> {
  const before = await resolveProject(ctx.repos, input.project);
  if (input.status !== undefined && input.status !== before.status) {
    ProjectRules.assertTransition(before.status, input.status);
  }
  const after: Project = {
    ...before,
    name: input.name ?? before.name,
    description: input.description ?? before.description,
    owner: input.owner === undefined ? before.owner : input.owner,
    startDate: input.startDate === undefined ? before.startDate : input.startDate,
    dueDate: input.dueDate === undefined ? before.dueDate : input.dueDate,
    budgetAmount: input.budgetAmount === undefined ? before.budgetAmount : input.budgetAmount,
    budgetCurrency:
      input.budgetCurrency === undefined ? before.budgetCurrency : input.budgetCurrency,
    status: input.status ?? before.status,
    updatedAt: nowIso(ctx),
  };
  checkDates(after.startDate, after.dueDate, 'dueDate');
  checkBudget(after);
  await assertCurrencyChangeAllowed(ctx, before, after);
  await ctx.repos.projects.update(after);
  await recordAudit(ctx, projectTarget(after), before, after);
  return after;
}

export type TaskCounts = Record<TaskStatus, number> & { ready: number; total: number };

export async function showProject(
  ctx: ServiceContext,
  keyOrId: string,
): Promise<{ project: Project; sprints: Sprint[]; tasks: TaskCounts; budget: BudgetSummary }> {
  const project = await resolveProject(ctx.repos, keyOrId);
  const tasks = await ctx.repos.tasks.list({ projectId: project.id });
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as TaskCounts;
  counts.ready = 0;
  counts.total = tasks.length;
  for (const task of tasks) {
    counts[task.status] += 1;
    if (TaskRules.isReady(task)) counts.ready += 1;
  }
  return {
    project,
    sprints: await ctx.repos.sprints.list({ projectId: project.id }),
    tasks: counts,
    budget: await budgetSummary(ctx, project.id),
  };
}

export async function createSprint(
  ctx: ServiceContext,
  input: {
    project: string;
    name: string;
    goal?: string | undefined;
    startDate?: string | undefined;
    endDate?: string | undefined;
  },
): Promise<Sprint> {
  const project = await resolveProject(ctx.repos, input.project);
  if (await ctx.repos.sprints.findByName(project.id, input.name)) {
    throw new BosunError(
      'conflict',
      `name: project ${project.key} already has a sprint '${input.name}'`,
      {
        details: { field: 'name', name: input.name },
      },
    );
  }
  const now = nowIso(ctx);
  const sprint: Sprint = {
    id: ctx.newId(),
    projectId: project.id,
    name: input.name,
    goal: input.goal ?? '',
    status: 'planned',
    startDate: input.startDate ?? null,
    endDate: input.endDate ?? null,
    createdAt: now,
    updatedAt: now,
  };
  checkDates(sprint.startDate, sprint.endDate, 'endDate');
  await ctx.repos.sprints.insert(sprint);
  await recordAudit(ctx, sprintTarget(project, sprint), null, sprint);
  return sprint;
}

export async function updateSprint(
  ctx: ServiceContext,
  input: {
    project: string;
    sprint: string;
    name?: string | undefined;
    goal?: string | undefined;
    startDate?: string | null | undefined;
    endDate?: string | null | undefined;
    status?: SprintStatus | undefined;
  },
): Promise<Sprint> {
  const project = await resolveProject(ctx.repos, input.project);
  const before = await resolveSprint(ctx.repos, project.id, input.sprint);
  if (input.status !== undefined && input.status !== before.status) {
    SprintRules.assertTransition(before.status, input.status);
  }
  if (input.name !== undefined && input.name !== before.name) {
    if (await ctx.repos.sprints.findByName(project.id, input.name)) {
      throw new BosunError(
        'conflict',
        `name: project ${project.key} already has a sprint '${input.name}'`,
        {
          details: { field: 'name', name: input.name },
        },
      );
    }
  }
  const after: Sprint = {
    ...before,
    name: input.name ?? before.name,
    goal: input.goal ?? before.goal,
    startDate: input.startDate === undefined ? before.startDate : input.startDate,
    endDate: input.endDate === undefined ? before.endDate : input.endDate,
    status: input.status ?? before.status,
    updatedAt: nowIso(ctx),
  };
  checkDates(after.startDate, after.endDate, 'endDate');
  await ctx.repos.sprints.update(after);
  await recordAudit(ctx, sprintTarget(project, after), before, after);
  return after;
}

function projectTarget(project: Project) {
  return { kind: 'project', id: project.id, label: project.key };
}

function sprintTarget(project: Project, sprint: Sprint) {
  return { kind: 'sprint', id: sprint.id, label: `${project.key}/${sprint.name}` };
}
