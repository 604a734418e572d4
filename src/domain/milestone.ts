/**
 * Milestone: a point a project aims at, with a due day, a status and an owner, and the tasks that
 * make it up (linked, not owned: a task may count towards several milestones). Its progress is
 * never stored: it is the share of its linked, not deleted tasks that are done, computed when
 * read, so it cannot drift from the tasks. A milestone is overdue when its due day is before
 * today and it is still planned or in progress; a missed one has been marked as such already.
 */

import { z } from 'zod';
import { dateSchema, optionalText, requiredText } from './fields.js';
import { projectRecordFields } from './project-record.js';
import { TASK_STATUSES } from './task.js';
import type { TaskStatus } from './task.js';

export const MILESTONE_STATUSES = ['planned', 'in_progress', 'done', 'missed'] as const;
export type MilestoneStatus = (typeof MILESTONE_STATUSES)[number];

/** Statuses whose due day still matters: a done or missed milestone is never overdue. */
export const ACTIVE_MILESTONE_STATUSES: readonly MilestoneStatus[] = ['planned', 'in_progress'];

export const MilestoneSchema = z.object({
  ...projectRecordFields('milestone'),
  title: requiredText(200),
  description: optionalText(10_000),
  owner: z.string().nullable(),
  dueDate: dateSchema.nullable(),
  status: z.enum(MILESTONE_STATUSES),
});
export type Milestone = Readonly<z.infer<typeof MilestoneSchema>>;

/** Linked tasks (not deleted) in all and per task status. */
export const MilestoneTaskCountsSchema = z.object({
  total: z.number().int().nonnegative(),
  ...(Object.fromEntries(
    TASK_STATUSES.map((status) => [status, z.number().int().nonnegative()]),
  ) as Record<TaskStatus, z.ZodNumber>),
});
export type MilestoneTaskCounts = Readonly<z.infer<typeof MilestoneTaskCountsSchema>>;

/**
 * A milestone as lists show it: its progress (whole percent of linked tasks done, rounded down;
 * null without linked tasks), its task counts and whether it is overdue today.
 */
export const MilestoneViewSchema = MilestoneSchema.extend({
  progress: z.number().int().min(0).max(100).nullable(),
  taskCounts: MilestoneTaskCountsSchema,
  overdue: z.boolean(),
});
export type MilestoneView = Readonly<z.infer<typeof MilestoneViewSchema>>;

/** One task linked to a milestone, as `milestone show` lists it. */
export const MilestoneTaskSchema = z.object({
  id: z.string(),
  ref: z.string(),
  title: z.string(),
  status: z.enum(TASK_STATUSES),
});
export type MilestoneTask = Readonly<z.infer<typeof MilestoneTaskSchema>>;

/** A milestone with its linked tasks, in task-number order. */
export const MilestoneDetailSchema = MilestoneViewSchema.extend({
  tasks: z.array(MilestoneTaskSchema),
});
export type MilestoneDetail = Readonly<z.infer<typeof MilestoneDetailSchema>>;

export const Milestone = {
  /** `today` is a day (YYYY-MM-DD). */
  isOverdue(
    milestone: Pick<Milestone, 'dueDate' | 'status' | 'archivedAt'>,
    today: string,
  ): boolean {
    return (
      milestone.archivedAt === null &&
      milestone.dueDate !== null &&
      milestone.dueDate < today &&
      ACTIVE_MILESTONE_STATUSES.includes(milestone.status)
    );
  },
  taskCounts(statuses: readonly TaskStatus[]): MilestoneTaskCounts {
    const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<
      TaskStatus,
      number
    >;
    for (const status of statuses) counts[status] += 1;
    return { total: statuses.length, ...counts };
  },
  /** Done tasks as a whole percent of all linked tasks, rounded down; null when none is linked. */
  progress(counts: Pick<MilestoneTaskCounts, 'total' | 'done'>): number | null {
    return counts.total === 0 ? null : Math.floor((counts.done * 100) / counts.total);
  },
};
