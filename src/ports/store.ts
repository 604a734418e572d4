/**
 * The storage port. Every operation runs inside exactly one `transaction`; a thrown error rolls
 * everything back, so bad input never half-writes. Repositories are plain data in, plain data
 * out; dialect differences (locking, upserts) stay behind this interface.
 */

import type { AuditEntry } from '../domain/audit.js';
import type { Project } from '../domain/project.js';
import type { Sprint } from '../domain/sprint.js';
import type { Dependency, Note, Task, TaskStatus, Todo } from '../domain/task.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** `write` takes the write lock up front (SQLite `BEGIN IMMEDIATE`) so writers queue instead of deadlocking. */
export type TransactionMode = 'read' | 'write';

export interface Store {
  readonly dialect: StoreDialect;
  transaction<T>(mode: TransactionMode, work: (repos: Repositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface Repositories {
  readonly projects: ProjectRepository;
  readonly sprints: SprintRepository;
  readonly tasks: TaskRepository;
  readonly dependencies: DependencyRepository;
  readonly todos: TodoRepository;
  readonly notes: NoteRepository;
  readonly audit: AuditRepository;
  /**
   * Serializes changes to the dependency graph and its counters (edges, and status moves into or
   * out of done) across concurrent writers. SQLite write transactions are serial already.
   */
  lockGraph(): Promise<void>;
  /**
   * Serializes scope-aware claims (`task next --parallel --claim`), so that two claimers never
   * both see a scope as free. SQLite write transactions are serial already.
   */
  lockScopes(): Promise<void>;
}

export interface ProjectRepository {
  insert(project: Project): Promise<void>;
  update(project: Project): Promise<void>;
  findById(id: string): Promise<Project | undefined>;
  findByKey(key: string): Promise<Project | undefined>;
  list(filter: { status?: Project['status'] | undefined }): Promise<Project[]>;
  /** Reserves the next task number of a project; concurrent callers get distinct numbers. */
  nextTaskSeq(projectId: string): Promise<number>;
  /** Sets the task counter (import only). */
  setTaskSeq(projectId: string, seq: number): Promise<void>;
  count(): Promise<number>;
}

export interface SprintRepository {
  insert(sprint: Sprint): Promise<void>;
  update(sprint: Sprint): Promise<void>;
  findById(id: string): Promise<Sprint | undefined>;
  findByName(projectId: string, name: string): Promise<Sprint | undefined>;
  list(filter: { projectId?: string | undefined }): Promise<Sprint[]>;
}

export interface TaskFilter {
  readonly projectId?: string | undefined;
  readonly sprintId?: string | undefined;
  readonly role?: string | undefined;
  readonly tag?: string | undefined;
  readonly status?: readonly TaskStatus[] | undefined;
  readonly assignee?: string | undefined;
  readonly parentId?: string | undefined;
  readonly includeDeleted?: boolean | undefined;
  readonly limit?: number | undefined;
}

export interface ReadyQuery {
  readonly projectId?: string | undefined;
  readonly sprintId?: string | undefined;
  readonly role?: string | undefined;
  readonly tag?: string | undefined;
  /** Tasks assigned to this agent stay eligible for it; tasks assigned to others never are. */
  readonly agent?: string | undefined;
  readonly limit: number;
  readonly offset?: number | undefined;
  /** Lock the returned rows for this transaction, skipping rows other claimers hold. */
  readonly lock?: boolean | undefined;
}

export interface LockOptions {
  readonly lock?: boolean | undefined;
}

export interface TaskRepository {
  insert(task: Task): Promise<void>;
  insertMany(tasks: readonly Task[]): Promise<void>;
  /**
   * Writes the task's own fields; the derived counters change only through their methods.
   * `previous` is the row as the caller read it, so unchanged tags cost no extra writes.
   */
  update(task: Task, previous: Task): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<Task | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<Task | undefined>;
  findByIds(ids: readonly string[]): Promise<Task[]>;
  list(filter: TaskFilter): Promise<Task[]>;
  /** Ready tasks ranked by priority, downstream depth (desc), age, id. */
  findReady(query: ReadyQuery): Promise<Task[]>;
  /** In-progress or in-review tasks that declare a scope. */
  findActiveScoped(): Promise<Task[]>;
  /** Tasks whose lease ran out before `now`. */
  findExpiredLeases(now: string): Promise<Task[]>;
  adjustOpenDeps(ids: readonly string[], delta: number): Promise<void>;
  setDownstreamDepth(id: string, depth: number): Promise<void>;
  count(filter: {
    projectId?: string | undefined;
    includeDeleted?: boolean | undefined;
  }): Promise<number>;
}

export interface DependencyRepository {
  insert(dependency: Dependency): Promise<void>;
  insertMany(dependencies: readonly Dependency[]): Promise<void>;
  delete(taskId: string, dependsOnId: string): Promise<boolean>;
  exists(taskId: string, dependsOnId: string): Promise<boolean>;
  /** Edges leaving these tasks (what they wait for). */
  dependenciesOf(taskIds: readonly string[]): Promise<Dependency[]>;
  /** Edges entering these tasks (who waits for them). */
  dependentsOf(taskIds: readonly string[]): Promise<Dependency[]>;
  /** Largest downstream depth among live (not cancelled, not deleted) dependents, or -1. */
  maxDependentDepth(taskId: string): Promise<number>;
  list(): Promise<Dependency[]>;
}

export interface TodoRepository {
  insert(todo: Todo): Promise<void>;
  insertMany(todos: readonly Todo[]): Promise<void>;
  update(todo: Todo): Promise<void>;
  delete(id: string): Promise<void>;
  findById(id: string): Promise<Todo | undefined>;
  listForTask(taskId: string): Promise<Todo[]>;
  list(): Promise<Todo[]>;
}

export interface NoteRepository {
  insert(note: Note): Promise<void>;
  insertMany(notes: readonly Note[]): Promise<void>;
  listForTask(taskId: string): Promise<Note[]>;
  list(): Promise<Note[]>;
}

export interface AuditQuery {
  readonly targetId?: string | undefined;
  readonly targetKind?: string | undefined;
  readonly actor?: string | undefined;
  readonly operation?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly limit?: number | undefined;
  readonly order?: 'asc' | 'desc' | undefined;
}

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

export interface AuditRepository {
  append(entry: NewAuditEntry): Promise<void>;
  /** Restores entries with their original sequence numbers (import only). */
  restore(entries: readonly AuditEntry[]): Promise<void>;
  list(query: AuditQuery): Promise<AuditEntry[]>;
  count(): Promise<number>;
}
