/** Operations on tasks: plan them, move them, link them, and hand them out to agents. */

import { z } from 'zod';
import {
  addDependencies,
  addNote,
  addTodo,
  checkTodo,
  createTask,
  deleteTask,
  heartbeatTask,
  listNotes,
  listTasks,
  listTodos,
  nextTasks,
  releaseTask,
  removeDependencies,
  removeTodo,
  setTaskStatus,
  showTask,
  updateTask,
} from '../core/services/task-service.js';
import { optionalText, requiredText, tagSchema } from '../domain/fields.js';
import {
  NoteSchema,
  TASK_STATUSES,
  TaskSchema,
  TodoSchema,
  scopeGlobSchema,
} from '../domain/task.js';
import {
  actorName,
  duration,
  durationMs,
  limit,
  priority,
  projectKey,
  sprintKey,
  taskKey,
  taskStatus,
} from './common-schemas.js';
import { defineOperation } from './operation.js';

export const TASK_COLUMNS = [
  'ref',
  'status',
  'priority',
  'title',
  'role',
  'assignee',
  'openDeps:WAITS ON',
];

// null clears a field (`--no-parent` on the command line).
export const taskFields = {
  description: optionalText(20_000).optional(),
  details: optionalText(100_000).optional(),
  acceptance: z.array(requiredText(1_000)).optional(),
  priority: priority.optional(),
  role: actorName.nullable().optional(),
  tags: z.array(tagSchema).max(50, 'at most 50 tags').optional(),
  estimate: z.number().nonnegative('must not be negative').nullable().optional(),
  parent: taskKey.nullable().optional(),
  sprint: sprintKey.nullable().optional(),
  assignee: actorName.nullable().optional(),
  scope: z.array(scopeGlobSchema).max(100, 'at most 100 globs').optional(),
};

/** What creating a task takes (task.create, and task.submit besides its run options). */
export const TaskCreateInput = z.strictObject({
  project: projectKey,
  title: requiredText(200),
  dependsOn: z.array(taskKey).optional(),
  ...taskFields,
});

const TaskLinkSchema = z.object({
  id: z.string(),
  ref: z.string(),
  title: z.string(),
  status: z.enum(TASK_STATUSES),
});
const TaskDetailSchema = z.object({
  task: TaskSchema,
  project: z.string(),
  sprint: z.string().nullable(),
  parent: TaskLinkSchema.nullable(),
  subtasks: z.array(TaskLinkSchema),
  dependsOn: z.array(TaskLinkSchema),
  dependents: z.array(TaskLinkSchema),
  todos: z.array(TodoSchema),
  notes: z.array(NoteSchema),
});

const readyFilters = {
  project: projectKey.optional(),
  sprint: sprintKey.optional(),
  role: actorName.optional(),
  tag: tagSchema.optional(),
};

const depInput = z.strictObject({
  task: taskKey,
  on: z.array(taskKey).min(1, 'must name at least one task'),
});

const todoItem = z.strictObject({
  task: taskKey,
  item: z.number().int().positive('must be 1 or more'),
});

export const taskOperations = [
  defineOperation({
    name: 'task.create',
    summary: 'Create a task in a project (ref PROJECT-N); may depend on other tasks at once',
    effects: 'write',
    input: TaskCreateInput,
    output: TaskSchema,
    cli: {
      positional: ['project', 'title'],
      aliases: ['add', 'new'],
      short: { p: 'priority', d: 'description', t: 'tags' },
      columns: TASK_COLUMNS,
      examples: [
        'bosun task add HOME "Back up the NAS" -p p1 --role ops --tags backup --scope "infra/backup/**"',
        'bosun task add HOME "Verify restore" --depends-on HOME-1 --acceptance "restore of one file works"',
      ],
    },
    handler: (ctx, input) => createTask(ctx, input),
  }),
  defineOperation({
    name: 'task.update',
    summary: 'Change the fields of a task (not its status: see task status)',
    effects: 'write',
    input: z.strictObject({ task: taskKey, title: requiredText(200).optional(), ...taskFields }),
    output: TaskSchema,
    cli: {
      positional: ['task'],
      aliases: ['edit', 'set'],
      short: { p: 'priority', d: 'description', t: 'tags' },
      columns: TASK_COLUMNS,
    },
    handler: (ctx, input) => updateTask(ctx, input),
  }),
  defineOperation({
    name: 'task.status',
    summary: 'Move a task: todo → in_progress → review → done, or blocked / cancelled',
    effects: 'write',
    input: z.strictObject({
      task: taskKey,
      status: taskStatus,
      note: requiredText(50_000).optional(),
    }),
    output: TaskSchema,
    cli: {
      positional: ['task', 'status'],
      aliases: ['move', 'mv'],
      columns: TASK_COLUMNS,
      examples: ['bosun task status HOME-3 done --note "restore verified"'],
    },
    handler: (ctx, input) => setTaskStatus(ctx, input),
  }),
  defineOperation({
    name: 'task.delete',
    summary:
      'Delete a task: it leaves the plan and the graph but stays in the audit log and exports',
    effects: 'write',
    input: z.strictObject({ task: taskKey }),
    output: TaskSchema,
    cli: { positional: ['task'], aliases: ['rm', 'remove'], columns: TASK_COLUMNS },
    handler: (ctx, input) => deleteTask(ctx, input),
  }),
  defineOperation({
    name: 'task.show',
    summary: 'Show a task with its dependencies, dependents, subtasks, checklist and notes',
    effects: 'read',
    input: z.strictObject({ task: taskKey }),
    output: TaskDetailSchema,
    cli: { positional: ['task'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showTask(ctx, input),
  }),
  defineOperation({
    name: 'task.list',
    summary: 'List tasks, filtered by project, sprint, status, role, tag, assignee or parent',
    effects: 'read',
    input: z.strictObject({
      ...readyFilters,
      status: z.array(taskStatus).optional(),
      assignee: actorName.optional(),
      parent: taskKey.optional(),
      includeDeleted: z.boolean().optional(),
      limit: limit.optional(),
    }),
    output: z.array(TaskSchema),
    cli: { positional: ['project'], aliases: ['ls'], columns: TASK_COLUMNS },
    handler: (ctx, input) => listTasks(ctx, input),
  }),
  defineOperation({
    name: 'task.next',
    summary:
      'The next ready task(s), ranked by priority, work unblocked, then age; --claim takes it under a lease',
    effects: 'write',
    input: z.strictObject({
      ...readyFilters,
      agent: actorName.optional(),
      claim: z.boolean().optional(),
      lease: duration.optional(),
      parallel: z
        .number()
        .int()
        .min(1, 'must be at least 1')
        .max(100, 'must be at most 100')
        .optional(),
    }),
    output: z.object({
      claimed: z.boolean(),
      tasks: z.array(TaskSchema),
      expired: z.array(z.string()),
    }),
    cli: {
      positional: ['project'],
      rows: 'tasks',
      empty: 'no ready task matches (see bosun task list for what waits)',
      columns: [
        'ref',
        'priority',
        'downstreamDepth:UNBLOCKS',
        'title',
        'role',
        'assignee',
        'leaseExpiresAt:LEASE UNTIL',
      ],
      examples: [
        'bosun task next HOME',
        'bosun task next --claim --agent coder-1 --lease 30m',
        'bosun task next HOME --parallel 3 --role coder',
      ],
    },
    handler: (ctx, input) =>
      nextTasks(ctx, { ...input, leaseMs: durationMs(input.lease, 'lease') }),
  }),
  defineOperation({
    name: 'task.heartbeat',
    summary: 'Extend the lease on a task you hold',
    effects: 'write',
    input: z.strictObject({
      task: taskKey,
      agent: actorName.optional(),
      lease: duration.optional(),
    }),
    output: TaskSchema,
    cli: {
      positional: ['task'],
      columns: ['ref', 'status', 'assignee', 'leaseExpiresAt:LEASE UNTIL'],
    },
    handler: (ctx, input) =>
      heartbeatTask(ctx, { ...input, leaseMs: durationMs(input.lease, 'lease') }),
  }),
  defineOperation({
    name: 'task.release',
    summary: 'Give a task you hold back to the ready queue',
    effects: 'write',
    input: z.strictObject({
      task: taskKey,
      agent: actorName.optional(),
      note: requiredText(50_000).optional(),
    }),
    output: TaskSchema,
    cli: { positional: ['task'], columns: TASK_COLUMNS },
    handler: (ctx, input) => releaseTask(ctx, input),
  }),
  defineOperation({
    name: 'dep.add',
    summary: 'Make a task wait for other tasks; a dependency that would close a cycle is refused',
    effects: 'write',
    input: depInput,
    output: TaskDetailSchema,
    cli: { positional: ['task', 'on'], examples: ['bosun dep add HOME-3 --on HOME-1 --on HOME-2'] },
    handler: (ctx, input) => addDependencies(ctx, input),
  }),
  defineOperation({
    name: 'dep.remove',
    summary: 'Stop a task waiting for other tasks',
    effects: 'write',
    input: depInput,
    output: TaskDetailSchema,
    cli: { positional: ['task', 'on'], aliases: ['rm'] },
    handler: (ctx, input) => removeDependencies(ctx, input),
  }),
  defineOperation({
    name: 'todo.add',
    summary: "Add an item to a task's checklist",
    effects: 'write',
    input: z.strictObject({ task: taskKey, text: requiredText(1_000) }),
    output: TodoSchema,
    cli: { positional: ['task', 'text'], columns: ['position', 'done', 'text'] },
    handler: (ctx, input) => addTodo(ctx, input),
  }),
  defineOperation({
    name: 'todo.check',
    summary: 'Tick checklist item N (1-based) of a task',
    effects: 'write',
    input: todoItem,
    output: TodoSchema,
    cli: { positional: ['task', 'item'], aliases: ['done'], columns: ['position', 'done', 'text'] },
    handler: (ctx, input) => checkTodo(ctx, { ...input, done: true }),
  }),
  defineOperation({
    name: 'todo.uncheck',
    summary: 'Untick checklist item N of a task',
    effects: 'write',
    input: todoItem,
    output: TodoSchema,
    cli: { positional: ['task', 'item'], columns: ['position', 'done', 'text'] },
    handler: (ctx, input) => checkTodo(ctx, { ...input, done: false }),
  }),
  defineOperation({
    name: 'todo.remove',
    summary: 'Remove checklist item N of a task (the audit log keeps it)',
    effects: 'write',
    input: todoItem,
    output: TodoSchema,
    cli: { positional: ['task', 'item'], aliases: ['rm'], columns: ['position', 'done', 'text'] },
    handler: (ctx, input) => removeTodo(ctx, input),
  }),
  defineOperation({
    name: 'todo.list',
    summary: "A task's checklist",
    effects: 'read',
    input: z.strictObject({ task: taskKey }),
    output: z.array(TodoSchema),
    cli: { positional: ['task'], aliases: ['ls'], columns: ['position', 'done', 'text'] },
    handler: (ctx, input) => listTodos(ctx, input),
  }),
  defineOperation({
    name: 'note.add',
    summary: 'Append a note to a task (notes are never edited or removed)',
    effects: 'write',
    input: z.strictObject({ task: taskKey, body: requiredText(50_000) }),
    output: NoteSchema,
    cli: { positional: ['task', 'body'], columns: ['createdAt', 'author', 'body'] },
    handler: (ctx, input) => addNote(ctx, input),
  }),
  defineOperation({
    name: 'note.list',
    summary: "A task's notes, oldest first",
    effects: 'read',
    input: z.strictObject({ task: taskKey }),
    output: z.array(NoteSchema),
    cli: { positional: ['task'], aliases: ['ls'], columns: ['createdAt', 'author', 'body'] },
    handler: (ctx, input) => listNotes(ctx, input),
  }),
];
