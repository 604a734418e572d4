/**
 * Milestones: add, change, list, show and archive them, and link tasks to them. Progress, task
 * counts and overdue are computed here from the linked tasks every time a milestone is read, so
 * they follow the tasks without being written anywhere. `listMilestones` is the helper other
 * services (briefings, budgets, quality) call: its filter and view are kept stable.
 */

import type {
  Milestone,
  MilestoneDetail,
  MilestoneStatus,
  MilestoneTask,
  MilestoneView,
} from '../../domain/milestone.js';
import {
  ACTIVE_MILESTONE_STATUSES,
  MILESTONE_STATUSES,
  Milestone as MilestoneRules,
} from '../../domain/milestone.js';
import type { TaskStatus } from '../../domain/task.js';
import type { MilestoneTaskLink } from '../../ports/store.js';
import { invalidInput } from '../../shared/errors.js';
import {
  newRecordFields,
  resolveRecord,
  saveRecord,
  setArchived,
  todayOf,
} from './project-records.js';
import { resolveProject, resolveTask } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';

export interface MilestoneFields {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  /** null clears it. */
  readonly owner?: string | null | undefined;
  /** The due day (YYYY-MM-DD); null clears it. */
  readonly due?: string | null | undefined;
  readonly status?: MilestoneStatus | undefined;
}

export interface MilestoneListFilter {
  /** A project key or id; absent: every project. */
  readonly project?: string | undefined;
  readonly status?: readonly MilestoneStatus[] | undefined;
  /** Only overdue milestones (planned or in progress, due before today). */
  readonly overdue?: boolean | undefined;
  /** Archived milestones too. */
  readonly archived?: boolean | undefined;
}

/** A task ref's number (HOME-12 → 12), for listing linked tasks in task order. */
const taskNumber = (ref: string): number => Number(ref.slice(ref.lastIndexOf('-') + 1));

function byTaskNumber(a: MilestoneTask, b: MilestoneTask): number {
  return taskNumber(a.ref) - taskNumber(b.ref) || a.ref.localeCompare(b.ref);
}

function viewOf(
  ctx: ServiceContext,
  milestone: Milestone,
  statuses: readonly TaskStatus[],
): MilestoneView {
  const taskCounts = MilestoneRules.taskCounts(statuses);
  return {
    ...milestone,
    progress: MilestoneRules.progress(taskCounts),
    taskCounts,
    overdue: MilestoneRules.isOverdue(milestone, todayOf(ctx)),
  };
}

async function viewsOf(
  ctx: ServiceContext,
  milestones: readonly Milestone[],
): Promise<MilestoneView[]> {
  const links = await ctx.repos.milestones.linkedTasks(milestones.map((m) => m.id));
  const statuses = new Map<string, TaskStatus[]>();
  for (const link of links) {
    const list = statuses.get(link.milestoneId) ?? [];
    list.push(link.status);
    statuses.set(link.milestoneId, list);
  }
  return milestones.map((milestone) => viewOf(ctx, milestone, statuses.get(milestone.id) ?? []));
}

function tasksOf(links: readonly MilestoneTaskLink[]): MilestoneTask[] {
  return links.map(({ id, ref, title, status }) => ({ id, ref, title, status })).sort(byTaskNumber);
}

async function detailOf(ctx: ServiceContext, milestone: Milestone): Promise<MilestoneDetail> {
  const tasks = tasksOf(await ctx.repos.milestones.linkedTasks([milestone.id]));
  return {
    ...viewOf(
      ctx,
      milestone,
      tasks.map((task) => task.status),
    ),
    tasks,
  };
}

export async function createMilestone(
  ctx: ServiceContext,
  input: MilestoneFields & { project: string; title: string },
): Promise<MilestoneDetail> {
  const project = await resolveProject(ctx.repos, input.project);
  const milestone: Milestone = {
    ...(await newRecordFields(ctx, project, 'milestone')),
    title: input.title,
    description: input.description ?? '',
    owner: input.owner ?? null,
    dueDate: input.due ?? null,
    status: input.status ?? 'planned',
  };
  return detailOf(ctx, await saveRecord(ctx, 'milestone', null, milestone));
}

export async function updateMilestone(
  ctx: ServiceContext,
  input: MilestoneFields & { milestone: string },
): Promise<MilestoneDetail> {
  const before = await resolveRecord<Milestone>(ctx.repos, 'milestone', input.milestone, {
    lock: true,
  });
  const after: Milestone = {
    ...before,
    title: input.title ?? before.title,
    description: input.description ?? before.description,
    owner: input.owner === undefined ? before.owner : input.owner,
    dueDate: input.due === undefined ? before.dueDate : input.due,
    status: input.status ?? before.status,
    updatedAt: nowIso(ctx),
  };
  return detailOf(ctx, await saveRecord(ctx, 'milestone', before, after));
}

export async function showMilestone(
  ctx: ServiceContext,
  input: { milestone: string },
): Promise<MilestoneDetail> {
  const milestone = await resolveRecord<Milestone>(ctx.repos, 'milestone', input.milestone, {
    includeArchived: true,
  });
  return detailOf(ctx, milestone);
}

export async function archiveMilestone(
  ctx: ServiceContext,
  input: { milestone: string },
): Promise<MilestoneDetail> {
  return detailOf(ctx, await setArchived<Milestone>(ctx, 'milestone', input.milestone, true));
}

export async function restoreMilestone(
  ctx: ServiceContext,
  input: { milestone: string },
): Promise<MilestoneDetail> {
  return detailOf(ctx, await setArchived<Milestone>(ctx, 'milestone', input.milestone, false));
}

/**
 * Milestones with their progress, earliest due first (undated last), then the oldest. Other
 * services call this too: keep its filter and its view's shape stable.
 */
export async function listMilestones(
  ctx: ServiceContext,
  filter: MilestoneListFilter = {},
): Promise<MilestoneView[]> {
  const project =
    filter.project === undefined ? undefined : await resolveProject(ctx.repos, filter.project);
  const statuses = filter.overdue
    ? (filter.status ?? MILESTONE_STATUSES).filter((status) =>
        ACTIVE_MILESTONE_STATUSES.includes(status),
      )
    : filter.status;
  const milestones = await ctx.repos.milestones.list({
    projectId: project?.id,
    status: statuses,
    dueBefore: filter.overdue ? todayOf(ctx) : undefined,
    // An archived milestone is never overdue.
    includeArchived: filter.archived === true && filter.overdue !== true,
  });
  return viewsOf(ctx, milestones);
}

/**
 * Links tasks to a milestone, or unlinks them. Linking a linked task, or unlinking one that is
 * not linked, changes nothing and is no error; a task must be of the milestone's project. The
 * change of the linked refs is audited on the milestone.
 */
async function changeLinks(
  ctx: ServiceContext,
  input: { milestone: string; tasks: readonly string[] },
  link: boolean,
): Promise<MilestoneDetail> {
  const milestone = await resolveRecord<Milestone>(ctx.repos, 'milestone', input.milestone, {
    lock: true,
  });
  const before = tasksOf(await ctx.repos.milestones.linkedTasks([milestone.id]));
  const now = nowIso(ctx);
  for (const key of input.tasks) {
    // Unlinking a deleted task is allowed: it leaves nothing behind.
    const task = await resolveTask(ctx.repos, key, 'tasks', { includeDeleted: !link });
    if (task.projectId !== milestone.projectId)
      throw invalidInput(
        'tasks',
        `task ${task.ref} belongs to another project than ${milestone.ref}`,
      );
    if (link) await ctx.repos.milestones.linkTask(milestone.id, task.id, now);
    else await ctx.repos.milestones.unlinkTask(milestone.id, task.id);
  }
  const after = tasksOf(await ctx.repos.milestones.linkedTasks([milestone.id]));
  await recordAudit(
    ctx,
    { kind: 'milestone', id: milestone.id, label: milestone.ref },
    { tasks: before.map((task) => task.ref) },
    { tasks: after.map((task) => task.ref) },
  );
  return {
    ...viewOf(
      ctx,
      milestone,
      after.map((task) => task.status),
    ),
    tasks: after,
  };
}

export function linkMilestoneTasks(
  ctx: ServiceContext,
  input: { milestone: string; tasks: readonly string[] },
): Promise<MilestoneDetail> {
  return changeLinks(ctx, input, true);
}

export function unlinkMilestoneTasks(
  ctx: ServiceContext,
  input: { milestone: string; tasks: readonly string[] },
): Promise<MilestoneDetail> {
  return changeLinks(ctx, input, false);
}
