/**
 * Tasks: create, change, move through the status machine, depend on each other, and be handed
 * out. `nextTasks` is the heart: it ranks ready work and, with `claim`, hands each caller a
 * different task under a lease, in one transaction.
 */

import { scopesOverlap } from '../../domain/scope-overlap.js';
import type { Dependency, Note, Priority, Task, TaskStatus, Todo } from '../../domain/task.js';
import { Task as TaskRules } from '../../domain/task.js';
import type { Repositories, TaskFilter } from '../../ports/store.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { resolveProject, resolveSprint, resolveTask } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';
import { captureTaskDone } from './memory-capture.js';
import { addEdge, afterStatusChange, removeEdge } from './task-graph.js';
import type { TransitionCheck } from './workflow-rules.js';
import { checkTransition } from './workflow-rules.js';

export const DEFAULT_LEASE_MS = 15 * 60_000;
/** The actor recorded when bosun itself changes a task (a lease running out). */
export const SYSTEM_ACTOR = 'bosun';

export interface TaskFields {
  readonly description?: string | undefined;
  readonly details?: string | undefined;
  readonly acceptance?: readonly string[] | undefined;
  readonly priority?: Priority | undefined;
  readonly role?: string | null | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly estimate?: number | null | undefined;
  readonly parent?: string | null | undefined;
  readonly sprint?: string | null | undefined;
  readonly assignee?: string | null | undefined;
  readonly scope?: readonly string[] | undefined;
}

const taskTarget = (task: Task) => ({ kind: 'task', id: task.id, label: task.ref });

/** A task's status change as the workflow rules see it (its fields before the change). */
const taskTransition = (task: Task, to: TaskStatus): TransitionCheck => ({
  entity: 'task',
  projectId: task.projectId,
  recordId: task.id,
  recordRef: task.ref,
  from: task.status,
  to,
  record: task,
});

/** The task given back to the ready queue: no holder, no lease. */
const backToReady = (task: Task, now: string): Task => ({
  ...task,
  status: 'todo',
  assignee: null,
  leaseExpiresAt: null,
  updatedAt: now,
});

const leaseUntil = (ctx: ServiceContext, leaseMs: number | undefined): string =>
  new Date(ctx.clock.now().getTime() + (leaseMs ?? DEFAULT_LEASE_MS)).toISOString();

async function resolveParent(
  repos: Repositories,
  projectId: string,
  parent: string | null | undefined,
  self?: Task,
): Promise<string | null | undefined> {
  if (parent === undefined || parent === null) return parent;
  const task = await resolveTask(repos, parent, 'parent');
  if (task.projectId !== projectId)
    throw invalidInput('parent', `${task.ref} belongs to another project`);
  if (self) {
    // A task may not become its own ancestor.
    for (
      let at: Task | undefined = task;
      at;
      at = at.parentId ? await repos.tasks.findById(at.parentId) : undefined
    ) {
      if (at.id === self.id)
        throw invalidInput('parent', `${task.ref} is ${self.ref} or one of its subtasks`);
    }
  }
  return task.id;
}

async function resolveSprintId(
  repos: Repositories,
  projectId: string,
  sprint: string | null | undefined,
): Promise<string | null | undefined> {
  if (sprint === undefined || sprint === null) return sprint;
  return (await resolveSprint(repos, projectId, sprint)).id;
}

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

export async function createTask(
  ctx: ServiceContext,
  input: TaskFields & { project: string; title: string; dependsOn?: readonly string[] | undefined },
): Promise<Task> {
  const { repos } = ctx;
  const project = await resolveProject(repos, input.project);
  const parentId = (await resolveParent(repos, project.id, input.parent)) ?? null;
  const sprintId = (await resolveSprintId(repos, project.id, input.sprint)) ?? null;
  const dependsOnRefs = unique(input.dependsOn ?? []);
  // Lock before reading the dependencies' statuses, so none can turn done unseen meanwhile.
  if (dependsOnRefs.length > 0) await repos.lockGraph();
  const dependencies: Task[] = [];
  for (const ref of dependsOnRefs) dependencies.push(await resolveTask(repos, ref, 'dependsOn'));
  const seq = await repos.projects.nextTaskSeq(project.id);
  const now = nowIso(ctx);
  const task: Task = {
    id: ctx.newId(),
    ref: TaskRules.formatRef(project.key, seq),
    projectId: project.id,
    title: input.title,
    description: input.description ?? '',
    details: input.details ?? '',
    acceptance: [...(input.acceptance ?? [])],
    priority: input.priority ?? 'p2',
    role: input.role ?? null,
    tags: unique(input.tags ?? []).sort(),
    estimate: input.estimate ?? null,
    parentId,
    sprintId,
    assignee: input.assignee ?? null,
    status: 'todo',
    scope: [...(input.scope ?? [])],
    leaseExpiresAt: null,
    openDeps: 0,
    downstreamDepth: 0,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  await repos.tasks.insert(task);
  for (const dependsOn of dependencies) await addEdge(repos, task, dependsOn, now, 'dependsOn');
  const created = (await repos.tasks.findById(task.id))!;
  await recordAudit(ctx, taskTarget(created), null, {
    ...created,
    dependsOn: dependencies.map((d) => d.ref),
  });
  return created;
}

export async function updateTask(
  ctx: ServiceContext,
  input: TaskFields & { task: string; title?: string | undefined },
): Promise<Task> {
  const { repos } = ctx;
  const before = await resolveTask(repos, input.task, 'task', { lock: true });
  const parentId = await resolveParent(repos, before.projectId, input.parent, before);
  const sprintId = await resolveSprintId(repos, before.projectId, input.sprint);
  const after: Task = {
    ...before,
    title: input.title ?? before.title,
    description: input.description ?? before.description,
    details: input.details ?? before.details,
    acceptance: input.acceptance ? [...input.acceptance] : before.acceptance,
    priority: input.priority ?? before.priority,
    role: input.role === undefined ? before.role : input.role,
    tags: input.tags ? unique(input.tags).sort() : before.tags,
    estimate: input.estimate === undefined ? before.estimate : input.estimate,
    parentId: parentId === undefined ? before.parentId : parentId,
    sprintId: sprintId === undefined ? before.sprintId : sprintId,
    assignee: input.assignee === undefined ? before.assignee : input.assignee,
    scope: input.scope ? [...input.scope] : before.scope,
    updatedAt: nowIso(ctx),
  };
  await repos.tasks.update(after, before);
  await recordAudit(ctx, taskTarget(after), before, after);
  return after;
}

/** Moves a task through its status machine; leaving in_progress drops the lease. */
export async function setTaskStatus(
  ctx: ServiceContext,
  input: { task: string; status: TaskStatus; note?: string | undefined },
): Promise<Task> {
  const { repos } = ctx;
  // Graph lock first, then the row: the same order as dependency changes, so writers queue
  // instead of deadlocking, and a concurrent identical move sees the first one's result.
  await repos.lockGraph();
  const before = await resolveTask(repos, input.task, 'task', { lock: true });
  if (before.status === input.status) return before;
  TaskRules.assertTransition(before.status, input.status);
  if (input.status === 'in_progress' && before.openDeps > 0) {
    const waiting = await openDependencies(repos, before);
    throw new BosunError(
      'invalid_transition',
      `status: ${before.ref} cannot start; it waits for ${waiting.map((t) => `${t.ref} (${t.status})`).join(', ')}`,
      {
        details: {
          field: 'status',
          from: before.status,
          to: input.status,
          waitingFor: waiting.map((t) => t.ref),
        },
      },
    );
  }
  await checkTransition(ctx, taskTransition(before, input.status));
  const after: Task = {
    ...before,
    status: input.status,
    // Giving an in-progress task back to the queue also gives up its holder.
    assignee: before.status === 'in_progress' && input.status === 'todo' ? null : before.assignee,
    leaseExpiresAt: input.status === 'in_progress' ? before.leaseExpiresAt : null,
    updatedAt: nowIso(ctx),
  };
  await repos.tasks.update(after, before);
  await afterStatusChange(repos, after, before.status, after.status);
  await recordAudit(ctx, taskTarget(after), before, after);
  if (input.note) await appendNote(ctx, after, input.note);
  // Done: its summary (extractive, from the note just added too) and its project's roll-up.
  if (after.status === 'done') {
    await captureTaskDone({ repos, now: nowIso(ctx), newId: ctx.newId }, after);
  }
  return after;
}

async function openDependencies(repos: Repositories, task: Task): Promise<Task[]> {
  const edges = await repos.dependencies.dependenciesOf([task.id]);
  const deps = await repos.tasks.findByIds(edges.map((e) => e.dependsOnId));
  return deps.filter((t) => t.status !== 'done').sort((a, b) => a.ref.localeCompare(b.ref));
}

/** Marks a task deleted (it stays in the audit log and the export) and detaches it from the graph. */
export async function deleteTask(ctx: ServiceContext, input: { task: string }): Promise<Task> {
  const { repos } = ctx;
  await repos.lockGraph();
  const before = await resolveTask(repos, input.task, 'task', { lock: true });
  const children = await repos.tasks.list({ parentId: before.id });
  if (children.length > 0) {
    throw new BosunError(
      'conflict',
      `task: ${before.ref} has subtasks ${children.map((c) => c.ref).join(', ')}; delete or re-parent them first`,
      { details: { field: 'task', subtasks: children.map((c) => c.ref) } },
    );
  }
  const upstream = await repos.dependencies.dependenciesOf([before.id]);
  const downstream = await repos.dependencies.dependentsOf([before.id]);
  const related = new Map(
    (
      await repos.tasks.findByIds([
        ...upstream.map((e) => e.dependsOnId),
        ...downstream.map((e) => e.taskId),
      ])
    ).map((t) => [t.id, t]),
  );
  const after: Task = {
    ...before,
    deletedAt: nowIso(ctx),
    leaseExpiresAt: null,
    updatedAt: nowIso(ctx),
  };
  await repos.tasks.update(after, before);
  for (const edge of upstream) await removeEdge(repos, after, related.get(edge.dependsOnId)!);
  for (const edge of downstream) await removeEdge(repos, related.get(edge.taskId)!, before);
  await recordAudit(
    ctx,
    taskTarget(after),
    {
      ...before,
      dependsOn: upstream.map((e) => related.get(e.dependsOnId)!.ref),
      dependents: downstream.map((e) => related.get(e.taskId)!.ref),
    },
    { ...after, dependsOn: [], dependents: [] },
  );
  return after;
}

export interface TaskLink {
  readonly id: string;
  readonly ref: string;
  readonly title: string;
  readonly status: TaskStatus;
}

export interface TaskDetail {
  readonly task: Task;
  readonly project: string;
  readonly sprint: string | null;
  readonly parent: TaskLink | null;
  readonly subtasks: TaskLink[];
  readonly dependsOn: TaskLink[];
  readonly dependents: TaskLink[];
  readonly todos: Todo[];
  readonly notes: Note[];
}

const link = (task: Task): TaskLink => ({
  id: task.id,
  ref: task.ref,
  title: task.title,
  status: task.status,
});
const byRef = (a: TaskLink, b: TaskLink) => a.ref.localeCompare(b.ref, 'en', { numeric: true });

export async function showTask(ctx: ServiceContext, input: { task: string }): Promise<TaskDetail> {
  const { repos } = ctx;
  const task = await resolveTask(repos, input.task, 'task', { includeDeleted: true });
  const project = (await repos.projects.findById(task.projectId))!;
  const sprint = task.sprintId ? await repos.sprints.findById(task.sprintId) : undefined;
  const parent = task.parentId ? await repos.tasks.findById(task.parentId) : undefined;
  const linked = async (edges: Dependency[], pick: (e: Dependency) => string) =>
    (await repos.tasks.findByIds(edges.map(pick))).map(link).sort(byRef);
  return {
    task,
    project: project.key,
    sprint: sprint?.name ?? null,
    parent: parent ? link(parent) : null,
    subtasks: (await repos.tasks.list({ parentId: task.id })).map(link).sort(byRef),
    dependsOn: await linked(
      await repos.dependencies.dependenciesOf([task.id]),
      (e) => e.dependsOnId,
    ),
    dependents: await linked(await repos.dependencies.dependentsOf([task.id]), (e) => e.taskId),
    todos: await repos.todos.listForTask(task.id),
    notes: await repos.notes.listForTask(task.id),
  };
}

export async function listTasks(
  ctx: ServiceContext,
  input: {
    project?: string | undefined;
    sprint?: string | undefined;
    status?: readonly TaskStatus[] | undefined;
    role?: string | undefined;
    tag?: string | undefined;
    assignee?: string | undefined;
    parent?: string | undefined;
    includeDeleted?: boolean | undefined;
    limit?: number | undefined;
  },
): Promise<Task[]> {
  const filter = await readyFilter(ctx.repos, input);
  const parentId = input.parent
    ? (await resolveTask(ctx.repos, input.parent, 'parent')).id
    : undefined;
  const query: TaskFilter = {
    ...filter,
    status: input.status,
    assignee: input.assignee,
    parentId,
    includeDeleted: input.includeDeleted,
    limit: input.limit,
  };
  return ctx.repos.tasks.list(query);
}

async function readyFilter(
  repos: Repositories,
  input: {
    project?: string | undefined;
    sprint?: string | undefined;
    role?: string | undefined;
    tag?: string | undefined;
  },
) {
  const project = input.project ? await resolveProject(repos, input.project) : undefined;
  if (input.sprint && !project)
    throw invalidInput('sprint', 'needs --project to say whose sprint it is');
  const sprintId =
    input.sprint && project ? (await resolveSprint(repos, project.id, input.sprint)).id : undefined;
  return { projectId: project?.id, sprintId, role: input.role, tag: input.tag };
}

export async function addDependencies(
  ctx: ServiceContext,
  input: { task: string; on: readonly string[] },
): Promise<TaskDetail> {
  const { repos } = ctx;
  const task = await resolveTask(repos, input.task);
  await repos.lockGraph();
  for (const ref of unique(input.on)) {
    const dependsOn = await resolveTask(repos, ref, 'on');
    if (dependsOn.id === task.id)
      throw new BosunError('cycle', `on: ${task.ref} cannot depend on itself`, {
        details: { field: 'on', cycle: [task.ref, task.ref] },
      });
    if (await repos.dependencies.exists(task.id, dependsOn.id)) continue;
    await addEdge(repos, task, dependsOn, nowIso(ctx), 'on');
    await recordAudit(
      ctx,
      taskTarget(task),
      { dependsOn: null },
      { dependsOn: dependsOn.ref },
      { operation: ctx.operation },
    );
  }
  return showTask(ctx, { task: task.id });
}

export async function removeDependencies(
  ctx: ServiceContext,
  input: { task: string; on: readonly string[] },
): Promise<TaskDetail> {
  const { repos } = ctx;
  const task = await resolveTask(repos, input.task);
  await repos.lockGraph();
  for (const ref of unique(input.on)) {
    const dependsOn = await resolveTask(repos, ref, 'on', { includeDeleted: true });
    const current = (await repos.tasks.findById(task.id))!;
    if (!(await removeEdge(repos, current, dependsOn))) {
      throw new BosunError('not_found', `on: ${task.ref} does not depend on ${dependsOn.ref}`, {
        details: { field: 'on', task: task.ref, on: dependsOn.ref },
      });
    }
    await recordAudit(ctx, taskTarget(task), { dependsOn: dependsOn.ref }, { dependsOn: null });
  }
  return showTask(ctx, { task: task.id });
}

export interface NextInput {
  readonly project?: string | undefined;
  readonly sprint?: string | undefined;
  readonly role?: string | undefined;
  readonly tag?: string | undefined;
  readonly agent?: string | undefined;
  readonly claim?: boolean | undefined;
  readonly leaseMs?: number | undefined;
  readonly parallel?: number | undefined;
}

export interface NextResult {
  readonly claimed: boolean;
  readonly tasks: Task[];
  /** Refs whose lease ran out and went back to ready during this call. */
  readonly expired: string[];
}

/** How many ranked candidates to look at per query while skipping scope conflicts. */
const PARALLEL_PAGE = 64;

export async function nextTasks(ctx: ServiceContext, input: NextInput): Promise<NextResult> {
  const { repos } = ctx;
  const expired = input.claim ? await expireLeases(ctx) : [];
  const filter = await readyFilter(repos, input);
  const agent = input.agent ?? (input.claim ? ctx.actor : undefined);
  const want = input.parallel ?? 1;
  let picked: Task[];
  if (input.parallel === undefined) {
    picked = await repos.tasks.findReady({ ...filter, agent, limit: 1, lock: input.claim });
  } else {
    // Claimers must not both see a scope as free: take turns from reading scopes to commit.
    if (input.claim) await repos.lockScopes();
    picked = await pickDisjoint(repos, { ...filter, agent, lock: input.claim }, want);
  }
  if (!input.claim) return { claimed: false, tasks: picked, expired };
  const leaseExpiresAt = leaseUntil(ctx, input.leaseMs);
  const claimed: Task[] = [];
  for (const before of picked) {
    await checkTransition(ctx, taskTransition(before, 'in_progress'));
    const after: Task = {
      ...before,
      status: 'in_progress',
      assignee: agent!,
      leaseExpiresAt,
      updatedAt: nowIso(ctx),
    };
    await repos.tasks.update(after, before);
    await recordAudit(ctx, taskTarget(after), before, after, { operation: 'task.claim' });
    claimed.push(after);
  }
  return { claimed: true, tasks: claimed, expired };
}

async function pickDisjoint(
  repos: Repositories,
  query: Omit<Parameters<Repositories['tasks']['findReady']>[0], 'limit'>,
  want: number,
): Promise<Task[]> {
  const taken: (readonly string[])[] = (await repos.tasks.findActiveScoped()).map((t) => t.scope);
  const picked: Task[] = [];
  for (let offset = 0; picked.length < want; offset += PARALLEL_PAGE) {
    // With row locks (PostgreSQL) skipped rows shift pages; re-reading an already picked row is harmless.
    const page = await repos.tasks.findReady({ ...query, limit: PARALLEL_PAGE, offset });
    for (const task of page) {
      if (picked.length >= want) break;
      if (picked.some((p) => p.id === task.id)) continue;
      if (task.scope.length > 0 && taken.some((scope) => scopesOverlap(scope, task.scope)))
        continue;
      picked.push(task);
      if (task.scope.length > 0) taken.push(task.scope);
    }
    if (page.length < PARALLEL_PAGE) break;
  }
  return picked;
}

/** Returns every task whose lease ran out to ready, recording bosun as the actor. */
export async function expireLeases(ctx: ServiceContext): Promise<string[]> {
  const expired = await ctx.repos.tasks.findExpiredLeases(nowIso(ctx));
  for (const before of expired) {
    const after = backToReady(before, nowIso(ctx));
    await ctx.repos.tasks.update(after, before);
    await recordAudit(ctx, taskTarget(after), before, after, {
      actor: SYSTEM_ACTOR,
      operation: 'task.lease-expire',
    });
  }
  return expired.map((t) => t.ref);
}

async function heldTask(ctx: ServiceContext, ref: string, agent: string): Promise<Task> {
  const task = await resolveTask(ctx.repos, ref, 'task', { lock: true });
  if (task.status !== 'in_progress' || task.assignee !== agent) {
    const holder =
      task.status === 'in_progress'
        ? `held by ${task.assignee ?? 'nobody'}`
        : `status ${task.status}`;
    throw new BosunError('conflict', `task: ${task.ref} is not held by ${agent} (${holder})`, {
      details: { field: 'task', task: task.ref, agent, holder: task.assignee, status: task.status },
    });
  }
  return task;
}

export async function heartbeatTask(
  ctx: ServiceContext,
  input: { task: string; agent?: string | undefined; leaseMs?: number | undefined },
): Promise<Task> {
  const before = await heldTask(ctx, input.task, input.agent ?? ctx.actor);
  // A heartbeat only ever extends: a default-length beat never cuts a longer claim short.
  const requested = leaseUntil(ctx, input.leaseMs);
  const current = before.leaseExpiresAt ?? requested;
  const after: Task = {
    ...before,
    leaseExpiresAt: current > requested ? current : requested,
    updatedAt: nowIso(ctx),
  };
  await ctx.repos.tasks.update(after, before);
  await recordAudit(ctx, taskTarget(after), before, after);
  return after;
}

export async function releaseTask(
  ctx: ServiceContext,
  input: { task: string; agent?: string | undefined; note?: string | undefined },
): Promise<Task> {
  const before = await heldTask(ctx, input.task, input.agent ?? ctx.actor);
  const after = backToReady(before, nowIso(ctx));
  await ctx.repos.tasks.update(after, before);
  await recordAudit(ctx, taskTarget(after), before, after);
  if (input.note) await appendNote(ctx, after, input.note);
  return after;
}

async function appendNote(ctx: ServiceContext, task: Task, body: string): Promise<Note> {
  const note: Note = {
    id: ctx.newId(),
    taskId: task.id,
    author: ctx.actor,
    body,
    createdAt: nowIso(ctx),
  };
  await ctx.repos.notes.insert(note);
  await recordAudit(ctx, { kind: 'note', id: note.id, label: task.ref }, null, note, {
    operation: 'note.add',
  });
  return note;
}

export async function addNote(
  ctx: ServiceContext,
  input: { task: string; body: string },
): Promise<Note> {
  return appendNote(ctx, await resolveTask(ctx.repos, input.task), input.body);
}

export async function listNotes(ctx: ServiceContext, input: { task: string }): Promise<Note[]> {
  const task = await resolveTask(ctx.repos, input.task, 'task', { includeDeleted: true });
  return ctx.repos.notes.listForTask(task.id);
}

export async function addTodo(
  ctx: ServiceContext,
  input: { task: string; text: string },
): Promise<Todo> {
  const task = await resolveTask(ctx.repos, input.task);
  const existing = await ctx.repos.todos.listForTask(task.id);
  const now = nowIso(ctx);
  const todo: Todo = {
    id: ctx.newId(),
    taskId: task.id,
    text: input.text,
    done: false,
    position: (existing.at(-1)?.position ?? 0) + 1,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.repos.todos.insert(todo);
  await recordAudit(
    ctx,
    { kind: 'todo', id: todo.id, label: `${task.ref}#${existing.length + 1}` },
    null,
    todo,
  );
  return todo;
}

async function todoAt(
  ctx: ServiceContext,
  ref: string,
  item: number,
): Promise<{ task: Task; todo: Todo }> {
  const task = await resolveTask(ctx.repos, ref);
  const todos = await ctx.repos.todos.listForTask(task.id);
  const todo = todos[item - 1];
  if (!todo) {
    throw new BosunError(
      'not_found',
      `item: ${task.ref} has ${todos.length} checklist item(s), not #${item}`,
      {
        details: { field: 'item', task: task.ref, item, count: todos.length },
      },
    );
  }
  return { task, todo };
}

export async function checkTodo(
  ctx: ServiceContext,
  input: { task: string; item: number; done: boolean },
): Promise<Todo> {
  const { task, todo } = await todoAt(ctx, input.task, input.item);
  const after: Todo = { ...todo, done: input.done, updatedAt: nowIso(ctx) };
  await ctx.repos.todos.update(after);
  await recordAudit(
    ctx,
    { kind: 'todo', id: todo.id, label: `${task.ref}#${input.item}` },
    todo,
    after,
  );
  return after;
}

export async function removeTodo(
  ctx: ServiceContext,
  input: { task: string; item: number },
): Promise<Todo> {
  const { task, todo } = await todoAt(ctx, input.task, input.item);
  await ctx.repos.todos.delete(todo.id);
  await recordAudit(
    ctx,
    { kind: 'todo', id: todo.id, label: `${task.ref}#${input.item}` },
    todo,
    null,
  );
  return todo;
}

export async function listTodos(ctx: ServiceContext, input: { task: string }): Promise<Todo[]> {
  const task = await resolveTask(ctx.repos, input.task, 'task', { includeDeleted: true });
  return ctx.repos.todos.listForTask(task.id);
}
