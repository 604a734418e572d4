/**
 * Task: one piece of work with a ULID id and a human ref (HOME-12). Its status machine is the
 * contract every entry point shares; `openDeps` (dependencies not yet done) and `downstreamDepth`
 * (longest chain of work waiting on it) are kept by the task service so that "what is ready next"
 * is an index lookup, not a graph walk.
 */

import { z } from 'zod';
import { idSchema, optionalText, requiredText, tagSchema, timestampSchema } from './fields.js';
import type { TransitionTable } from './status-machine.js';
import { assertTransition } from './status-machine.js';

export const TASK_STATUSES = [
  'todo',
  'in_progress',
  'review',
  'done',
  'blocked',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const PRIORITIES = ['p0', 'p1', 'p2', 'p3'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const refSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9]{1,9}-[1-9]\d*$/, 'must be a task ref such as HOME-12');

export const scopeGlobSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(500, 'must be at most 500 characters')
  .refine((glob) => !glob.startsWith('/'), 'must be relative to the repository (no leading /)');

export const TaskSchema = z.object({
  id: idSchema,
  ref: refSchema,
  projectId: idSchema,
  title: requiredText(200),
  description: optionalText(20_000),
  details: optionalText(100_000),
  acceptance: z.array(requiredText(1_000)),
  priority: z.enum(PRIORITIES),
  role: z.string().nullable(),
  tags: z.array(tagSchema),
  estimate: z.number().nonnegative().nullable(),
  parentId: idSchema.nullable(),
  sprintId: idSchema.nullable(),
  assignee: z.string().nullable(),
  status: z.enum(TASK_STATUSES),
  scope: z.array(scopeGlobSchema),
  leaseExpiresAt: timestampSchema.nullable(),
  openDeps: z.number().int().nonnegative(),
  downstreamDepth: z.number().int().nonnegative(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  deletedAt: timestampSchema.nullable(),
});
export type Task = Readonly<z.infer<typeof TaskSchema>>;

const TRANSITIONS: TransitionTable<TaskStatus> = {
  todo: ['in_progress', 'blocked', 'cancelled'],
  in_progress: ['review', 'done', 'todo', 'blocked', 'cancelled'],
  review: ['done', 'in_progress', 'cancelled'],
  blocked: ['todo', 'in_progress', 'cancelled'],
  done: ['todo'],
  cancelled: ['todo'],
};

export const Task = {
  transitions: TRANSITIONS,
  assertTransition(from: TaskStatus, to: TaskStatus): void {
    assertTransition('task', TRANSITIONS, from, to);
  },
  /** Ready: waiting to be started, nothing it depends on is unfinished, and nobody else holds it. */
  isReady(task: Task, agent?: string): boolean {
    return (
      task.status === 'todo' &&
      task.deletedAt === null &&
      task.openDeps === 0 &&
      (task.assignee === null || task.assignee === agent)
    );
  },
  formatRef(projectKey: string, seq: number): string {
    return `${projectKey}-${seq}`;
  },
  isRef(value: string): boolean {
    return refSchema.safeParse(value).success;
  },
  /** Sorts p0 first; the numeric rank is what the store indexes. */
  priorityRank(priority: Priority): number {
    return PRIORITIES.indexOf(priority);
  },
};

export const TodoSchema = z.object({
  id: idSchema,
  taskId: idSchema,
  text: requiredText(1_000),
  done: z.boolean(),
  position: z.number().int().nonnegative(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type Todo = Readonly<z.infer<typeof TodoSchema>>;

export const NoteSchema = z.object({
  id: idSchema,
  taskId: idSchema,
  author: z.string(),
  body: requiredText(50_000),
  createdAt: timestampSchema,
});
export type Note = Readonly<z.infer<typeof NoteSchema>>;

export const DependencySchema = z.object({
  taskId: idSchema,
  dependsOnId: idSchema,
  createdAt: timestampSchema,
});
export type Dependency = Readonly<z.infer<typeof DependencySchema>>;
