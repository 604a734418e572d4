/** Row ⇄ entity mapping, the one place that knows column names and JSON-in-text encodings. */

import type { Generated } from 'kysely';
import type { Action } from '../../../domain/action.js';
import type { AuditEntry } from '../../../domain/audit.js';
import type { Project } from '../../../domain/project.js';
import type { Risk } from '../../../domain/risk.js';
import { Risk as RiskRules } from '../../../domain/risk.js';
import type { Sprint } from '../../../domain/sprint.js';
import type { Stakeholder } from '../../../domain/stakeholder.js';
import { Stakeholder as StakeholderRules } from '../../../domain/stakeholder.js';
import type { Dependency, Note, Task, Todo } from '../../../domain/task.js';
import type { Lesson } from '../../../domain/lesson.js';
import type { Milestone } from '../../../domain/milestone.js';
import { Task as TaskRules } from '../../../domain/task.js';
import type {
  ActionsTable,
  AuditTable,
  DependenciesTable,
  NotesTable,
  ProjectsTable,
  RisksTable,
  SprintsTable,
  StakeholdersTable,
  LessonsTable,
  MilestonesTable,
  TasksTable,
  TodosTable,
} from './sql-schema.js';

type Row<T> = { [K in keyof T]: T[K] extends Generated<infer V> ? V : T[K] };

// Stored JSON columns were written by toTaskRow; they are trusted like any other column.
const parseStored = <T>(text: string): T => JSON.parse(text) as T;

/** PostgreSQL returns numeric and bigint columns as strings; SQLite returns numbers. */
const num = (value: number | string): number => Number(value);
const numOrNull = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

export function toProject(row: ProjectsTable): Project {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    status: row.status as Project['status'],
    owner: row.owner,
    startDate: row.start_date,
    dueDate: row.due_date,
    budgetAmount: numOrNull(row.budget_amount),
    budgetCurrency: row.budget_currency,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toProjectRow(project: Project): Omit<ProjectsTable, 'task_seq'> {
  return {
    id: project.id,
    key: project.key,
    name: project.name,
    description: project.description,
    status: project.status,
    owner: project.owner,
    start_date: project.startDate,
    due_date: project.dueDate,
    budget_amount: project.budgetAmount,
    budget_currency: project.budgetCurrency,
    created_at: project.createdAt,
    updated_at: project.updatedAt,
  };
}

export function toSprint(row: SprintsTable): Sprint {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    goal: row.goal,
    status: row.status as Sprint['status'],
    startDate: row.start_date,
    endDate: row.end_date,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toSprintRow(sprint: Sprint): SprintsTable {
  return {
    id: sprint.id,
    project_id: sprint.projectId,
    name: sprint.name,
    goal: sprint.goal,
    status: sprint.status,
    start_date: sprint.startDate,
    end_date: sprint.endDate,
    created_at: sprint.createdAt,
    updated_at: sprint.updatedAt,
  };
}

export function toTask(row: TasksTable): Task {
  return {
    id: row.id,
    ref: row.ref,
    projectId: row.project_id,
    title: row.title,
    description: row.description,
    details: row.details,
    acceptance: parseStored<string[]>(row.acceptance),
    priority: row.priority as Task['priority'],
    role: row.role,
    tags: parseStored<string[]>(row.tags),
    estimate: numOrNull(row.estimate),
    parentId: row.parent_id,
    sprintId: row.sprint_id,
    assignee: row.assignee,
    status: row.status as Task['status'],
    scope: parseStored<string[]>(row.scope),
    leaseExpiresAt: row.lease_expires_at,
    openDeps: num(row.open_deps),
    downstreamDepth: num(row.downstream_depth),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

export function toTaskRow(task: Task): TasksTable {
  return {
    id: task.id,
    ref: task.ref,
    project_id: task.projectId,
    title: task.title,
    description: task.description,
    details: task.details,
    acceptance: JSON.stringify(task.acceptance),
    priority: task.priority,
    priority_rank: TaskRules.priorityRank(task.priority),
    role: task.role,
    tags: JSON.stringify(task.tags),
    estimate: task.estimate,
    parent_id: task.parentId,
    sprint_id: task.sprintId,
    assignee: task.assignee,
    status: task.status,
    scope: JSON.stringify(task.scope),
    lease_expires_at: task.leaseExpiresAt,
    open_deps: task.openDeps,
    downstream_depth: task.downstreamDepth,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    deleted_at: task.deletedAt,
  };
}

export function toDependency(row: DependenciesTable): Dependency {
  return { taskId: row.task_id, dependsOnId: row.depends_on_id, createdAt: row.created_at };
}

export function toDependencyRow(dependency: Dependency): DependenciesTable {
  return {
    task_id: dependency.taskId,
    depends_on_id: dependency.dependsOnId,
    created_at: dependency.createdAt,
  };
}

export function toTodo(row: TodosTable): Todo {
  return {
    id: row.id,
    taskId: row.task_id,
    text: row.text,
    done: num(row.done) === 1,
    position: num(row.position),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toTodoRow(todo: Todo): TodosTable {
  return {
    id: todo.id,
    task_id: todo.taskId,
    text: todo.text,
    done: todo.done ? 1 : 0,
    position: todo.position,
    created_at: todo.createdAt,
    updated_at: todo.updatedAt,
  };
}

export function toNote(row: NotesTable): Note {
  return {
    id: row.id,
    taskId: row.task_id,
    author: row.author,
    body: row.body,
    createdAt: row.created_at,
  };
}

export function toNoteRow(note: Note): NotesTable {
  return {
    id: note.id,
    task_id: note.taskId,
    author: note.author,
    body: note.body,
    created_at: note.createdAt,
  };
}

export function toAuditEntry(row: Row<AuditTable>): AuditEntry {
  return {
    seq: num(row.seq),
    at: row.at,
    actor: row.actor,
    operation: row.operation,
    targetKind: row.target_kind,
    targetId: row.target_id,
    targetLabel: row.target_label,
    changes: parseStored<AuditEntry['changes']>(row.changes),
  };
}

export function toRisk(row: RisksTable): Risk {
  const score = num(row.score);
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    title: row.title,
    description: row.description,
    likelihood: num(row.likelihood),
    impact: num(row.impact),
    score,
    level: RiskRules.level(score),
    mitigation: row.mitigation,
    owner: row.owner,
    status: row.status as Risk['status'],
    reviewDate: row.review_date,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export function toRiskRow(risk: Risk): RisksTable {
  return {
    id: risk.id,
    project_id: risk.projectId,
    ref: risk.ref,
    title: risk.title,
    description: risk.description,
    likelihood: risk.likelihood,
    impact: risk.impact,
    score: risk.score,
    mitigation: risk.mitigation,
    owner: risk.owner,
    status: risk.status,
    review_date: risk.reviewDate,
    created_at: risk.createdAt,
    updated_at: risk.updatedAt,
    archived_at: risk.archivedAt,
  };
}

export function toAction(row: ActionsTable): Action {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    title: row.title,
    description: row.description,
    owner: row.owner,
    dueDate: row.due_date,
    status: row.status as Action['status'],
    source: row.source as Action['source'],
    sourceRef: row.source_ref,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export function toActionRow(action: Action): ActionsTable {
  return {
    id: action.id,
    project_id: action.projectId,
    ref: action.ref,
    title: action.title,
    description: action.description,
    owner: action.owner,
    due_date: action.dueDate,
    status: action.status,
    source: action.source,
    source_ref: action.sourceRef,
    created_at: action.createdAt,
    updated_at: action.updatedAt,
    archived_at: action.archivedAt,
  };
}

export function toStakeholder(row: StakeholdersTable): Stakeholder {
  const influence = num(row.influence);
  const interest = num(row.interest);
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    name: row.name,
    role: row.role,
    organisation: row.organisation,
    influence,
    interest,
    quadrant: StakeholderRules.quadrant(influence, interest),
    contact: row.contact,
    notes: row.notes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export function toStakeholderRow(stakeholder: Stakeholder): StakeholdersTable {
  return {
    id: stakeholder.id,
    project_id: stakeholder.projectId,
    ref: stakeholder.ref,
    name: stakeholder.name,
    role: stakeholder.role,
    organisation: stakeholder.organisation,
    influence: stakeholder.influence,
    interest: stakeholder.interest,
    contact: stakeholder.contact,
    notes: stakeholder.notes,
    created_at: stakeholder.createdAt,
    updated_at: stakeholder.updatedAt,
    archived_at: stakeholder.archivedAt,
  };
}

export function toMilestone(row: MilestonesTable): Milestone {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    title: row.title,
    description: row.description,
    owner: row.owner,
    dueDate: row.due_date,
    status: row.status as Milestone['status'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export function toMilestoneRow(milestone: Milestone): MilestonesTable {
  return {
    id: milestone.id,
    project_id: milestone.projectId,
    ref: milestone.ref,
    title: milestone.title,
    description: milestone.description,
    owner: milestone.owner,
    due_date: milestone.dueDate,
    status: milestone.status,
    created_at: milestone.createdAt,
    updated_at: milestone.updatedAt,
    archived_at: milestone.archivedAt,
  };
}

export function toLesson(row: LessonsTable): Lesson {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    title: row.title,
    context: row.context,
    insight: row.insight,
    tags: parseStored<string[]>(row.tags),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export function toLessonRow(lesson: Lesson): LessonsTable {
  return {
    id: lesson.id,
    project_id: lesson.projectId,
    ref: lesson.ref,
    title: lesson.title,
    context: lesson.context,
    insight: lesson.insight,
    tags: JSON.stringify(lesson.tags),
    created_at: lesson.createdAt,
    updated_at: lesson.updatedAt,
    archived_at: lesson.archivedAt,
  };
}
