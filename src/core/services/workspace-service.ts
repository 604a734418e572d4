/**
 * Export and import of a whole workspace as one JSON document. Export is deterministic (fixed
 * row order; the CLI prints keys sorted) so successive exports diff well in git. Import restores
 * into an empty workspace in one transaction, recomputing the derived counters rather than
 * trusting them, and refusing a document whose graph has a cycle or dangling references.
 */

import { z } from 'zod';
import { AuditEntrySchema } from '../../domain/audit.js';
import { downstreamDepths, topologicalOrder } from '../../domain/dependency-graph.js';
import { ProjectSchema } from '../../domain/project.js';
import { SprintSchema } from '../../domain/sprint.js';
import type { Task } from '../../domain/task.js';
import { DependencySchema, NoteSchema, TaskSchema, TodoSchema } from '../../domain/task.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import type { RecordRow } from '../../ports/store.js';
import type { ServiceContext } from './service-context.js';

export const WORKSPACE_FORMAT = 'bosun.workspace';
/** 2 added `records`, the command center's tables; a version-1 document still imports. */
export const WORKSPACE_FORMAT_VERSION = 2;

const RecordRowSchema = z.record(z.string(), z.union([z.string(), z.number(), z.null()]));

const ExportedTaskSchema = TaskSchema.omit({ openDeps: true, downstreamDepth: true }).strict();

export const WorkspaceDocumentSchema = z
  .object({
    format: z.literal(WORKSPACE_FORMAT),
    version: z.union([z.literal(1), z.literal(WORKSPACE_FORMAT_VERSION)], 'must be 1 or 2'),
    projects: z.array(ProjectSchema.strict()),
    sprints: z.array(SprintSchema.strict()),
    tasks: z.array(ExportedTaskSchema),
    dependencies: z.array(DependencySchema.strict()),
    todos: z.array(TodoSchema.strict()),
    notes: z.array(NoteSchema.strict()),
    audit: z.array(AuditEntrySchema.strict()),
    /** Risks, milestones, budgets, documents, tests, rules, briefings…: table → rows as stored. */
    records: z.record(z.string(), z.array(RecordRowSchema)).default({}),
  })
  .strict();
export type WorkspaceDocument = z.infer<typeof WorkspaceDocumentSchema>;

export interface ImportSummary {
  readonly projects: number;
  readonly sprints: number;
  readonly tasks: number;
  readonly dependencies: number;
  readonly todos: number;
  readonly notes: number;
  readonly audit: number;
  /** Rows of the command center's tables, by table (those with any). */
  readonly records: Readonly<Record<string, number>>;
}

export async function exportWorkspace(ctx: ServiceContext): Promise<WorkspaceDocument> {
  const { repos } = ctx;
  const tasks = await repos.tasks.list({ includeDeleted: true });
  tasks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    format: WORKSPACE_FORMAT,
    version: WORKSPACE_FORMAT_VERSION,
    projects: await repos.projects.list({}),
    sprints: await repos.sprints.list({}),
    tasks: tasks.map(({ openDeps: _open, downstreamDepth: _depth, ...rest }) => rest),
    dependencies: await repos.dependencies.list(),
    todos: await repos.todos.list(),
    notes: await repos.notes.list(),
    audit: await repos.audit.list({ order: 'asc' }),
    records: await exportRecords(ctx),
  };
}

async function exportRecords(ctx: ServiceContext): Promise<Record<string, RecordRow[]>> {
  const tables = ctx.repos.recordTables;
  const records: Record<string, RecordRow[]> = {};
  for (const table of tables.names) {
    const rows = await tables.dump(table);
    if (rows.length > 0) records[table] = rows;
  }
  return records;
}

/** Loads the command center's rows, parents first; a row the store refuses names its table. */
async function importRecords(
  ctx: ServiceContext,
  records: Readonly<Record<string, readonly RecordRow[]>>,
): Promise<Record<string, number>> {
  const tables = ctx.repos.recordTables;
  const unknown = Object.keys(records).find((table) => !tables.names.includes(table));
  if (unknown !== undefined) {
    throw invalidInput(
      `records.${unknown}`,
      `is not a table bosun exports; known: ${tables.names.join(', ')}`,
    );
  }
  const counts: Record<string, number> = {};
  for (const table of tables.names) {
    const rows = records[table];
    if (rows === undefined || rows.length === 0) continue;
    try {
      await tables.load(table, rows);
    } catch (error) {
      throw new BosunError(
        'invalid_input',
        `records.${table}: the store refused a row: ${(error as Error).message}`,
        { details: { field: `records.${table}`, rule: 'rows must fit the table' }, cause: error },
      );
    }
    counts[table] = rows.length;
  }
  return counts;
}

export async function importWorkspace(
  ctx: ServiceContext,
  document: WorkspaceDocument,
): Promise<ImportSummary> {
  const { repos } = ctx;
  if ((await repos.projects.count()) > 0 || (await repos.audit.count()) > 0) {
    throw new BosunError(
      'conflict',
      'document: import needs an empty workspace; run it after `bosun init` in a new directory',
      {
        details: { field: 'document' },
      },
    );
  }
  const tasks = prepareTasks(document);
  for (const project of document.projects) await repos.projects.insert(project);
  for (const project of document.projects) {
    const prefix = `${project.key}-`;
    const seq = tasks.reduce(
      (max, t) =>
        t.ref.startsWith(prefix) ? Math.max(max, Number(t.ref.slice(prefix.length))) : max,
      0,
    );
    await repos.projects.setTaskSeq(project.id, seq);
  }
  for (const sprint of document.sprints) await repos.sprints.insert(sprint);
  // Parents before children, so the self-reference is satisfied row by row.
  await repos.tasks.insertMany(orderParentsFirst(tasks));
  await repos.dependencies.insertMany(document.dependencies);
  await repos.todos.insertMany(document.todos);
  await repos.notes.insertMany(document.notes);
  await repos.audit.restore(document.audit);
  const records = await importRecords(ctx, document.records);
  return {
    projects: document.projects.length,
    sprints: document.sprints.length,
    tasks: tasks.length,
    dependencies: document.dependencies.length,
    todos: document.todos.length,
    notes: document.notes.length,
    audit: document.audit.length,
    records,
  };
}

/** Checks references and the DAG, and derives openDeps and downstreamDepth for every task. */
function prepareTasks(document: WorkspaceDocument): Task[] {
  const projects = new Map(document.projects.map((p) => [p.id, p]));
  const sprints = new Map(document.sprints.map((s) => [s.id, s]));
  if (projects.size !== document.projects.length)
    throw invalidInput('projects', 'holds a duplicate id');
  if (new Set(document.projects.map((p) => p.key)).size !== projects.size)
    throw invalidInput('projects', 'holds a duplicate key');
  for (const sprint of document.sprints) {
    if (!projects.has(sprint.projectId))
      throw invalidInput('sprints', `sprint ${sprint.id} names an unknown project`);
  }
  const byId = new Map(document.tasks.map((t) => [t.id, t]));
  if (byId.size !== document.tasks.length) throw invalidInput('tasks', 'holds a duplicate id');
  if (new Set(document.tasks.map((t) => t.ref)).size !== byId.size)
    throw invalidInput('tasks', 'holds a duplicate ref');
  for (const task of document.tasks) {
    const project = projects.get(task.projectId);
    if (!project) throw invalidInput('tasks', `${task.ref} names an unknown project`);
    if (!task.ref.startsWith(`${project.key}-`))
      throw invalidInput('tasks', `${task.ref} does not carry its project key ${project.key}`);
    if (task.sprintId && sprints.get(task.sprintId)?.projectId !== task.projectId)
      throw invalidInput('tasks', `${task.ref} names an unknown sprint`);
    if (task.parentId && !byId.has(task.parentId))
      throw invalidInput('tasks', `${task.ref} names an unknown parent`);
  }
  const dependsOn = new Map<string, string[]>();
  for (const edge of document.dependencies) {
    if (!byId.has(edge.taskId) || !byId.has(edge.dependsOnId))
      throw invalidInput(
        'dependencies',
        `edge ${edge.taskId} → ${edge.dependsOnId} names an unknown task`,
      );
    const list = dependsOn.get(edge.taskId);
    if (list) list.push(edge.dependsOnId);
    else dependsOn.set(edge.taskId, [edge.dependsOnId]);
  }
  for (const item of [...document.todos, ...document.notes]) {
    if (!byId.has(item.taskId))
      throw invalidInput('todos/notes', `${item.id} names an unknown task`);
  }
  let order: string[];
  try {
    order = topologicalOrder(
      document.tasks.map((t) => t.id),
      dependsOn,
    );
  } catch (error) {
    if (error instanceof BosunError && error.code === 'cycle') {
      const refs = (error.details.cycle as string[]).map((id) => byId.get(id)?.ref ?? id);
      throw new BosunError(
        'cycle',
        `dependencies: the document's graph has a cycle ${refs.join(' → ')}`,
        {
          details: { field: 'dependencies', cycle: refs },
        },
      );
    }
    throw error;
  }
  const depths = downstreamDepths(order, dependsOn, (id) => {
    const task = byId.get(id)!;
    return task.deletedAt === null && task.status !== 'cancelled';
  });
  return document.tasks.map((task) => ({
    ...task,
    openDeps: (dependsOn.get(task.id) ?? []).filter((id) => byId.get(id)!.status !== 'done').length,
    downstreamDepth: depths.get(task.id) ?? 0,
  }));
}

function orderParentsFirst(tasks: readonly Task[]): Task[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const placed = new Set<string>();
  const out: Task[] = [];
  const place = (task: Task, trail: Set<string>): void => {
    if (placed.has(task.id)) return;
    if (trail.has(task.id)) throw invalidInput('tasks', `${task.ref} is its own ancestor`);
    trail.add(task.id);
    if (task.parentId) place(byId.get(task.parentId)!, trail);
    placed.add(task.id);
    out.push(task);
  };
  for (const task of tasks) place(task, new Set());
  return out;
}
