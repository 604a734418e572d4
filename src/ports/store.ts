/**
 * The storage port. Every operation runs inside exactly one `transaction`; a thrown error rolls
 * everything back, so bad input never half-writes. Repositories are plain data in, plain data
 * out; dialect differences (locking, upserts) stay behind this interface.
 */

import type { AuditEntry } from '../domain/audit.js';
import type {
  EmbeddingSpace,
  LineageRun,
  MemoryItem,
  MemoryKind,
  MemoryLineage,
  MemoryScope,
  VectorBackend,
} from '../domain/memory.js';
import type { PatternRecord, PatternStats } from '../domain/pattern.js';
import type { Project } from '../domain/project.js';
import type { RecordKind } from '../domain/project-record.js';
import type { Action, ActionSource, ActionStatus } from '../domain/action.js';
import type { Risk, RiskStatus } from '../domain/risk.js';
import type { Stakeholder } from '../domain/stakeholder.js';
import type { AlertState, BudgetLine, BudgetTransaction } from '../domain/project-budget.js';
import type { Milestone, MilestoneStatus, MilestoneTask } from '../domain/milestone.js';
import type { Lesson, LessonApplication, LessonValidation } from '../domain/lesson.js';
import type { Briefing } from '../domain/briefing.js';
import type { QualityRepositories } from './quality-store.js';
import type { DocumentRepositories } from './document-store.js';
import type {
  Approval,
  ApprovalStatus,
  Attempt,
  JournalEvent,
  NewJournalEvent,
  Run,
  RunStatus,
  Step,
  StepStatus,
} from '../domain/run.js';
import type { WorkflowDefinition } from '../domain/workflow.js';
import type { Sprint } from '../domain/sprint.js';
import type { Dependency, Note, Task, TaskStatus, Todo } from '../domain/task.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** `write` takes the write lock up front (SQLite `BEGIN IMMEDIATE`) so writers queue instead of deadlocking. */
export type TransactionMode = 'read' | 'write';

/** `local`: a commit by this process (this store object); `external`: by anyone else. */
export type CommitOrigin = 'local' | 'external';

export interface Store {
  readonly dialect: StoreDialect;
  transaction<T>(mode: TransactionMode, work: (repos: Repositories) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` soon after any write transaction commits — in this process at once, in
   * other processes through the database (SQLite: a data_version check every few ms while
   * someone watches; PostgreSQL: LISTEN/NOTIFY). Schedulers wake on it instead of polling.
   */
  watch(listener: (origin: CommitOrigin) => void): () => void;
  /**
   * Says this process will keep the store open and write steadily (a scheduler): housekeeping
   * moves off the commit path. SQLite: WAL checkpoints in a worker thread once the process has
   * committed a few hundred transactions; PostgreSQL: nothing to move.
   */
  housekeepInBackground(): void;
  /**
   * Read-only SQL for agents (`db.query`, `db.schema`), on a connection of its own that the
   * database itself keeps from writing. Absent on stores that offer none (test doubles).
   */
  readonly readOnlySql?: ReadOnlySql | undefined;
  close(): Promise<void>;
}

/**
 * One query at a time, each on a fresh read-only connection (docs/decisions/0012): SQLite in a
 * child process that is killed at the timeout, PostgreSQL in a `READ ONLY` transaction with a
 * statement timeout, through a cursor.
 */
export interface ReadOnlySql {
  /**
   * Runs one query and returns at most `maxRows` rows. Rejects with `invalid_input` (details
   * `field: 'sql'`, `reason: 'refused'`) when the database refuses it — it would write, it is not
   * a query, it holds more than one statement, it does not parse — or `reason: 'too_large'` when
   * the rows hold more than 32 MB of JSON; and with `unavailable` (details `reason: 'timeout'`,
   * not retryable) when it runs past `timeoutMs` and is stopped.
   */
  query(sql: string, limits: ReadOnlyQueryLimits): Promise<ReadOnlyQueryResult>;
  /** The tables of bosun's schema with their columns, keys and indexes, sorted by name. */
  describeSchema(): Promise<SchemaDescription>;
}

export interface ReadOnlyQueryLimits {
  readonly maxRows: number;
  readonly timeoutMs: number;
}

export interface ReadOnlyQueryResult {
  /** As the database names them, duplicates included. */
  readonly columns: readonly string[];
  /** One array per row, in column order; values are JSON (a blob is `\x` and its hex digits). */
  readonly rows: readonly (readonly unknown[])[];
  /** More rows followed the `maxRows` returned. */
  readonly truncated: boolean;
  /** From sending the query to its last row, in ms. */
  readonly ms: number;
}

export interface SchemaDescription {
  /** Which SQL the queries are written in. */
  readonly dialect: StoreDialect;
  readonly tables: SchemaTable[];
}

export interface SchemaTable {
  readonly name: string;
  readonly columns: SchemaColumn[];
  readonly primaryKey: string[];
  readonly foreignKeys: SchemaForeignKey[];
  readonly indexes: SchemaIndex[];
}

export interface SchemaColumn {
  readonly name: string;
  /** The declared type, lower case (`text`, `integer`, `double precision`). */
  readonly type: string;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
}

export interface SchemaForeignKey {
  readonly columns: string[];
  readonly references: { readonly table: string; readonly columns: string[] };
}

export interface SchemaIndex {
  readonly name: string;
  /** `(expression)` stands for an indexed expression. */
  readonly columns: string[];
  readonly unique: boolean;
  /** Has a `where` clause: it holds only some rows. */
  readonly partial: boolean;
}

/** Quality and workflow rules' repositories are listed in ports/quality-store.ts. */
export interface Repositories extends QualityRepositories, DocumentRepositories {
  readonly projects: ProjectRepository;
  readonly sprints: SprintRepository;
  readonly tasks: TaskRepository;
  readonly dependencies: DependencyRepository;
  readonly todos: TodoRepository;
  readonly notes: NoteRepository;
  readonly audit: AuditRepository;
  readonly runs: RunRepository;
  readonly steps: StepRepository;
  readonly attempts: AttemptRepository;
  readonly approvals: ApprovalRepository;
  readonly events: EventRepository;
  readonly workers: WorkerRepository;
  readonly ledger: LedgerRepository;
  readonly budgets: BudgetRepository;
  readonly memory: MemoryRepository;
  /** The reasoning bank's outcomes (docs/memory.md "Reasoning bank"). */
  readonly patterns: PatternRepository;
  /** The risk register of every project (docs/command-center.md). */
  readonly risks: RiskRepository;
  /** The action items of every project (docs/command-center.md). */
  readonly actions: ActionRepository;
  /** The stakeholders of every project (docs/command-center.md). */
  readonly stakeholders: StakeholderRepository;
  /** The budget lines of every project (docs/command-center.md "Budget"). */
  readonly budgetLines: BudgetLineRepository;
  /** The transactions booked against budget lines (docs/command-center.md "Budget"). */
  readonly budgetTransactions: BudgetTransactionRepository;
  /** The milestones of every project and the tasks linked to them (docs/command-center.md). */
  readonly milestones: MilestoneRepository;
  /** Lessons learned, their validations and applications (docs/command-center.md). */
  readonly lessons: LessonRepository;
  /** Stored briefings, per project or workspace-wide (docs/command-center.md "Briefings"). */
  readonly briefings: BriefingRepository;
  /** The command center's tables as plain rows, for export and import (decision 0020). */
  readonly recordTables: RecordTablesRepository;
  /**
   * Serializes budget checks and reservations across concurrent workers, so that two never both
   * see the same room. SQLite write transactions are serial already.
   */
  lockBudgets(): Promise<void>;
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

/** A row of a command-center table as stored: column name → text, integer or null. */
export type RecordRow = Record<string, string | number | null>;

export interface RecordTablesRepository {
  /** The tables, parents before children: loading in this order satisfies every reference. */
  readonly names: readonly string[];
  /** Every row of a table, in a fixed order. */
  dump(table: string): Promise<RecordRow[]>;
  /** Inserts rows as they were dumped (an empty workspace's import). */
  load(table: string, rows: readonly RecordRow[]): Promise<void>;
}

export interface ProjectRepository {
  insert(project: Project): Promise<void>;
  update(project: Project): Promise<void>;
  findById(id: string): Promise<Project | undefined>;
  findByKey(key: string): Promise<Project | undefined>;
  list(filter: { status?: Project['status'] | undefined }): Promise<Project[]>;
  /** Reserves the next task number of a project; concurrent callers get distinct numbers. */
  nextTaskSeq(projectId: string): Promise<number>;
  /**
   * Reserves the next number of one kind of record in a project (the 3 of HOME-R3); each kind
   * counts on its own, and concurrent callers get distinct numbers.
   */
  nextRecordSeq(projectId: string, kind: RecordKind): Promise<number>;
  /** Sets the task counter (import only). */
  setTaskSeq(projectId: string, seq: number): Promise<void>;
  count(): Promise<number>;
}

export interface RiskFilter {
  readonly projectId?: string | undefined;
  readonly status?: readonly RiskStatus[] | undefined;
  /** Only risks whose score is one of these (a level is a set of scores: Risk.scoresOf). */
  readonly scores?: readonly number[] | undefined;
  /** Only risks with a review date before this day (YYYY-MM-DD). */
  readonly reviewBefore?: string | undefined;
  readonly includeArchived?: boolean | undefined;
}

export interface RiskRepository {
  insert(risk: Risk): Promise<void>;
  update(risk: Risk): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<Risk | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<Risk | undefined>;
  /** Highest score first, then the earliest review date (none last), then the oldest. */
  list(filter: RiskFilter): Promise<Risk[]>;
}

export interface ActionFilter {
  readonly projectId?: string | undefined;
  readonly status?: readonly ActionStatus[] | undefined;
  readonly owner?: string | undefined;
  readonly source?: readonly ActionSource[] | undefined;
  /** Only actions due before this day (YYYY-MM-DD). */
  readonly dueBefore?: string | undefined;
  readonly includeArchived?: boolean | undefined;
}

export interface ActionRepository {
  insert(action: Action): Promise<void>;
  update(action: Action): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<Action | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<Action | undefined>;
  /** The earliest due date first (none last), then the oldest. */
  list(filter: ActionFilter): Promise<Action[]>;
}

export interface StakeholderFilter {
  readonly projectId?: string | undefined;
  readonly includeArchived?: boolean | undefined;
}

export interface BudgetLineFilter {
  readonly projectId?: string | undefined;
  readonly alertState?: AlertState | undefined;
  readonly includeArchived?: boolean | undefined;
}

export interface BudgetLineRepository {
  insert(line: BudgetLine): Promise<void>;
  update(line: BudgetLine): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<BudgetLine | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<BudgetLine | undefined>;
  /** In the order they were added. */
  list(filter: BudgetLineFilter): Promise<BudgetLine[]>;
}

export interface BudgetTransactionFilter {
  readonly projectId?: string | undefined;
  readonly lineId?: string | undefined;
  /** Only transactions dated on or after this day (YYYY-MM-DD). */
  readonly from?: string | undefined;
  /** Only transactions dated on or before this day (YYYY-MM-DD). */
  readonly to?: string | undefined;
  readonly includeArchived?: boolean | undefined;
}

export interface BudgetTransactionRepository {
  insert(transaction: BudgetTransaction): Promise<void>;
  update(transaction: BudgetTransaction): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<BudgetTransaction | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<BudgetTransaction | undefined>;
  /** By day, then in the order they were added. */
  list(filter: BudgetTransactionFilter): Promise<BudgetTransaction[]>;
}

export interface StakeholderRepository {
  insert(stakeholder: Stakeholder): Promise<void>;
  update(stakeholder: Stakeholder): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<Stakeholder | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<Stakeholder | undefined>;
  /** Highest influence first, then highest interest, then the oldest. */
  list(filter: StakeholderFilter): Promise<Stakeholder[]>;
}

export interface BriefingFilter {
  /** A project's id; null: workspace-wide briefings only; absent: every briefing. */
  readonly projectId?: string | null | undefined;
  readonly includeArchived?: boolean | undefined;
  readonly limit?: number | undefined;
}

export interface BriefingRepository {
  insert(briefing: Briefing): Promise<void>;
  /** Writes `archived_at` (the only field that changes after a briefing is made). */
  setArchived(id: string, archivedAt: string | null): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<Briefing | undefined>;
  /** Briefings whose id starts with `prefix` (ids may be abbreviated like git hashes). */
  findByIdPrefix(prefix: string, limit: number): Promise<Briefing[]>;
  /** Newest first (by creation time, then id). */
  list(filter: BriefingFilter): Promise<Briefing[]>;
}

export interface MilestoneFilter {
  readonly projectId?: string | undefined;
  readonly status?: readonly MilestoneStatus[] | undefined;
  /** Only milestones due before this day (YYYY-MM-DD). */
  readonly dueBefore?: string | undefined;
  readonly includeArchived?: boolean | undefined;
}

/** A task linked to a milestone (deleted tasks are never returned). */
export interface MilestoneTaskLink extends MilestoneTask {
  readonly milestoneId: string;
}

export interface MilestoneRepository {
  insert(milestone: Milestone): Promise<void>;
  update(milestone: Milestone): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<Milestone | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<Milestone | undefined>;
  /** The earliest due date first (none last), then the oldest. */
  list(filter: MilestoneFilter): Promise<Milestone[]>;
  /** Links a task; resolves false when it was linked already (nothing changes). */
  linkTask(milestoneId: string, taskId: string, at: string): Promise<boolean>;
  /** Unlinks a task; resolves false when it was not linked. */
  unlinkTask(milestoneId: string, taskId: string): Promise<boolean>;
  /** The live (not deleted) tasks linked to these milestones, in no particular order. */
  linkedTasks(milestoneIds: readonly string[]): Promise<MilestoneTaskLink[]>;
}

export interface LessonFilter {
  /** Absent: every project's lessons. */
  readonly projectId?: string | undefined;
  readonly includeArchived?: boolean | undefined;
}

export interface LessonRepository {
  insert(lesson: Lesson): Promise<void>;
  update(lesson: Lesson): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOptions): Promise<Lesson | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<Lesson | undefined>;
  /** In no particular order: the service sorts by helpful score, which the store does not keep. */
  list(filter: LessonFilter): Promise<Lesson[]>;
  insertValidation(validation: LessonValidation): Promise<void>;
  insertApplication(application: LessonApplication): Promise<void>;
  /** Writes an application's outcome, its note, who recorded it and when. */
  updateApplication(application: LessonApplication): Promise<void>;
  findApplication(id: string, options?: LockOptions): Promise<LessonApplication | undefined>;
  /** The validations of these lessons, oldest first. */
  validationsOf(lessonIds: readonly string[]): Promise<LessonValidation[]>;
  /** The applications of these lessons, oldest first. */
  applicationsOf(lessonIds: readonly string[]): Promise<LessonApplication[]>;
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

/**
 * A search of tasks' words (`bosun ask`, docs/memory.md "Asking"): the live tasks whose title,
 * description, acceptance or tags hold any of the words.
 */
export interface TaskTextQuery {
  /**
   * Each is looked for as written, anywhere in the text (inside a word too), ignoring the case
   * of ASCII letters (only theirs, on both stores); `%`, `_` and `\` are plain characters. Blank
   * words and repeats are ignored. Each word costs a pass over the rows: keep to a few (ask: 8).
   * Acceptance and tags are matched as stored (JSON text): a word holding JSON's punctuation
   * (`"`, `\`, `[`, `,`) may miss them, or match that punctuation.
   */
  readonly words: readonly string[];
  readonly projectId?: string | undefined;
  readonly limit: number;
}

/** A task a text search found, and what ranked it. */
export interface TaskTextMatch {
  readonly id: string;
  /** How many of the distinct words it holds, in any of the fields searched. */
  readonly words: number;
  /** How many of them its title holds. */
  readonly titleWords: number;
  readonly status: TaskStatus;
  readonly updatedAt: string;
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
  /**
   * Tasks (not deleted) holding the query's words, at most `limit`, best first: those holding
   * more of the words, then more of them in the title, then open ones before done and cancelled
   * ones, then the most recently updated.
   */
  search(query: TaskTextQuery): Promise<TaskTextMatch[]>;
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
  /** Tasks (not deleted) per project and status; pairs without tasks are absent. */
  countByStatus(): Promise<{ projectId: string; status: TaskStatus; count: number }[]>;
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

// ── Execution (the engine's journal). Hot paths: StepRepository.claimable/update/release and
// EventRepository.append run once or twice per step, so their SQL is prepared once and reused.

export interface RunFilter {
  readonly status?: readonly RunStatus[] | undefined;
  readonly projectId?: string | undefined;
  readonly limit?: number | undefined;
}

export type RunPatch = Partial<Pick<Run, 'status' | 'error' | 'updatedAt' | 'endedAt'>>;

/**
 * Changes to a run's counters. A run counts its open *sinks* (steps nothing depends on), not all
 * its open steps: every step is upstream of some sink, so the run has succeeded exactly when its
 * last sink has, and the steps in between never write the run row (decision 0009).
 */
export interface RunCounterDelta {
  readonly sinksOpen?: number;
  readonly costUsd?: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

export interface RunRepository {
  insert(run: Run, definition: WorkflowDefinition, sinksOpen: number): Promise<void>;
  findById(id: string, options?: LockOptions): Promise<Run | undefined>;
  /** Runs whose id starts with `prefix` (ids may be abbreviated like git hashes). */
  findByIdPrefix(prefix: string, limit: number): Promise<Run[]>;
  /** The run's fork family: its root run and every run forked from it, transitively. */
  family(id: string): Promise<LineageRun[]>;
  definition(id: string): Promise<WorkflowDefinition>;
  list(filter: RunFilter): Promise<Run[]>;
  /** How many runs the filter keeps (its limit aside). */
  count(filter: Omit<RunFilter, 'limit'>): Promise<number>;
  update(id: string, patch: RunPatch): Promise<void>;
  /** Adds to the counters and returns the run's status and open sinks as they now are. */
  addCounters(
    id: string,
    delta: RunCounterDelta,
    updatedAt: string,
  ): Promise<{ readonly status: RunStatus; readonly sinksOpen: number }>;
}

export type StepPatch = Partial<
  Pick<
    Step,
    | 'status'
    | 'tries'
    | 'attempts'
    | 'availableAt'
    | 'leaseOwner'
    | 'leaseExpiresAt'
    | 'attemptId'
    | 'approved'
    | 'output'
    | 'error'
    | 'startedAt'
    | 'endedAt'
    | 'updatedAt'
  >
>;

/** The lease a completion must still hold for its outcome to move the step. */
export interface StepGuard {
  readonly attemptId: string;
  readonly owner: string;
}

export interface ClaimQuery {
  readonly now: string;
  readonly limit: number;
  /** Only this run's steps (the in-process scheduler of `run start`). */
  readonly runId?: string | undefined;
}

export interface ReleasedStep {
  readonly step: Step;
  readonly runStatus: RunStatus;
}

export interface StepRepository {
  insertMany(steps: readonly Step[]): Promise<void>;
  findById(id: string, options?: LockOptions): Promise<Step | undefined>;
  findByKey(runId: string, key: string): Promise<Step | undefined>;
  listForRun(runId: string): Promise<Step[]>;
  /** Outputs of the named steps of a run (for template rendering). */
  outputs(runId: string, keys: readonly string[]): Promise<Map<string, Step['output']>>;
  /**
   * Ready steps of running runs whose `availableAt` has come, oldest first; on PostgreSQL the
   * rows are locked for this transaction and rows other claimers hold are skipped.
   */
  claimable(query: ClaimQuery): Promise<Step[]>;
  /** The earliest `availableAt` of a ready step still in the future (a retry's backoff). */
  nextAvailableAt(now: string, runId?: string): Promise<string | null>;
  /**
   * Applies the patch; with a `guard`, only while the step still runs under that attempt and
   * owner. Resolves whether a row changed.
   */
  update(id: string, patch: StepPatch, guard?: StepGuard): Promise<boolean>;
  /**
   * One dependency of each of these steps succeeded: decrement their open counts and make the
   * ones that reach zero ready. Returns the steps that became ready, with their run's status.
   */
  release(ids: readonly string[], updatedAt: string): Promise<ReleasedStep[]>;
  countByStatus(runId: string): Promise<Partial<Record<StepStatus, number>>>;
  /** Every run's steps by status (`/metrics`): one grouped count over the whole table. */
  countAllByStatus(): Promise<Partial<Record<StepStatus, number>>>;
  /** A run's steps held by a budget. */
  listHeld(runId: string): Promise<Step[]>;
  countRunningInGroup(group: string): Promise<number>;
  /** Running steps whose lease ended before `now`. */
  findExpiredLeases(now: string, limit: number): Promise<Step[]>;
  /** Running steps whose lease holder's name starts with `ownerPrefix` (this host's workers). */
  findRunningByOwnerPrefix(ownerPrefix: string): Promise<Step[]>;
  /** The subset of these steps that still run under this owner and attempt. */
  stillHeld(
    held: readonly { stepId: string; attemptId: string }[],
    owner: string,
  ): Promise<Set<string>>;
  /** Extends the leases of the steps this owner still holds. */
  extendLeases(stepIds: readonly string[], owner: string, until: string): Promise<void>;
  /** Serializes claims of a concurrency group across workers (PostgreSQL advisory lock). */
  lockGroup(group: string): Promise<void>;
}

/** Attempts are identified by their step and number (1, 2, … per step). */
export interface AttemptRepository {
  insert(attempt: Attempt): Promise<void>;
  update(
    stepId: string,
    number: number,
    patch: Partial<Pick<Attempt, 'status' | 'output' | 'error' | 'usage' | 'endedAt'>>,
  ): Promise<void>;
  listForStep(stepId: string): Promise<Attempt[]>;
  /**
   * How long finished attempts took, as a histogram (`/metrics`): `buckets[i]` counts those that
   * took at most `boundsSeconds[i]` (cumulative, as Prometheus wants), with their count and sum.
   */
  durationHistogram(boundsSeconds: readonly number[]): Promise<DurationHistogram>;
}

export interface DurationHistogram {
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sumSeconds: number;
}

export interface ApprovalFilter {
  readonly status?: ApprovalStatus | undefined;
  readonly runId?: string | undefined;
  readonly limit?: number | undefined;
}

export interface ApprovalRepository {
  insert(approval: Approval): Promise<void>;
  findById(id: string, options?: LockOptions): Promise<Approval | undefined>;
  findPendingForStep(stepId: string): Promise<Approval | undefined>;
  list(filter: ApprovalFilter): Promise<Approval[]>;
  update(
    id: string,
    patch: Pick<Approval, 'status' | 'comment' | 'decidedBy' | 'decidedAt'>,
  ): Promise<void>;
}

export interface EventQuery {
  readonly after: number;
  readonly runId?: string | undefined;
  readonly kinds?: readonly string[] | undefined;
  readonly limit: number;
  /** Read no event above this number (a follower's settled high-water mark). */
  readonly upTo?: number | undefined;
  /** The newest `limit` events, newest first (a feed of recent activity), instead of the oldest. */
  readonly newestFirst?: boolean | undefined;
}

export interface EventRepository {
  /** Appends in order; the events get increasing numbers when the transaction commits. */
  append(events: readonly NewJournalEvent[]): Promise<void>;
  list(query: EventQuery): Promise<JournalEvent[]>;
  /** The numbers after `after`, in order (index only), to find gaps left by open transactions. */
  seqsAfter(after: number, limit: number): Promise<number[]>;
  maxSeq(): Promise<number>;
  /**
   * PostgreSQL only: the snapshot bounds `[xmin, xmax)` of this transaction. A gap in the numbers
   * seen under snapshot S is final once the oldest open transaction is newer than S's xmax.
   */
  horizon(): Promise<{ xmin: string; xmax: string } | null>;
}

/** One model call, as the cost ledger keeps it (calls outside a run have no run, step, attempt). */
export interface LedgerEntry {
  readonly at: string;
  readonly runId: string | null;
  readonly stepId: string | null;
  readonly attempt: number | null;
  readonly projectId: string | null;
  readonly agent: string | null;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly costUsd: number;
  readonly latencyMs: number;
}

export const COST_GROUPINGS = ['project', 'run', 'agent', 'model', 'day'] as const;
export type CostGrouping = (typeof COST_GROUPINGS)[number];

export interface CostFilter {
  readonly by: CostGrouping;
  /** ISO 8601: calls at or after. */
  readonly since?: string | undefined;
  readonly projectId?: string | undefined;
  readonly runId?: string | undefined;
}

export interface CostReportRow {
  /** The project id, run id, agent, model or UTC day (`(none)` for calls without one). */
  readonly key: string;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly costUsd: number;
}

export interface LedgerRepository {
  append(entries: readonly LedgerEntry[]): Promise<void>;
  /** Spend grouped by `filter.by`, most expensive first. */
  report(filter: CostFilter): Promise<CostReportRow[]>;
}

export interface SpendAmount {
  readonly usd: number;
  readonly tokens: number;
}

export interface BudgetRepository {
  /** Settled spend plus open reservations, per key asked for (keys without any are absent). */
  usage(keys: readonly string[]): Promise<Map<string, SpendAmount>>;
  /** Reserves an attempt's worst case under each key. */
  reserve(
    stepId: string,
    attempt: number,
    keys: readonly string[],
    amount: SpendAmount,
    at: string,
  ): Promise<void>;
  /** Drops an attempt's reservations (it settled, was lost or cancelled). */
  release(stepId: string, attempt: number): Promise<void>;
  /** Adds settled spend under each key. */
  settle(keys: readonly string[], amount: SpendAmount): Promise<void>;
}

export interface WorkerRecord {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly concurrency: number;
  readonly startedAt: string;
  readonly heartbeatAt: string;
}

export interface WorkerRepository {
  upsert(worker: WorkerRecord): Promise<void>;
  remove(id: string): Promise<void>;
  list(): Promise<WorkerRecord[]>;
}

// ── Memory (docs/memory.md)

export type MemoryMatchMode = 'any' | 'all';

export interface MemorySearchQuery {
  /**
   * Terms as parsed from a person's query (domain/memory.ts parseMemoryQuery), at least one. Each
   * is matched as a phrase through the store's own tokenizer and is never read as query syntax.
   */
  readonly terms: readonly string[];
  /** `any`: items holding at least one term; `all`: items holding every term. */
  readonly match: MemoryMatchMode;
  readonly scope?: MemoryScope | undefined;
  /** With `scope`: only items about this project, task, run or agent. */
  readonly scopeId?: string | undefined;
  readonly kinds?: readonly MemoryKind[] | undefined;
  /** Items carrying every one of these tags. */
  readonly tags?: readonly string[] | undefined;
  /** ISO 8601: created at or after. */
  readonly since?: string | undefined;
  /** ISO 8601: created before. */
  readonly until?: string | undefined;
  readonly limit: number;
  /** The moment ages are counted from, for the recency boost. */
  readonly now: Date;
  /** A forked run's view: items of other branches of its fork family are left out. */
  readonly lineage?: MemoryLineage | undefined;
}

/** A search result as the store ranks it: the item's id and its score. */
export interface MemoryMatch {
  readonly id: string;
  readonly score: number;
}

export interface MemoryForgetMark {
  readonly at: string;
  readonly by: string;
  readonly reason: string | null;
}

/**
 * Memory items and their full-text index (SQLite: FTS5, PostgreSQL: tsvector + GIN), kept in step
 * in the same transaction. Forgotten items stay in the table and leave the index.
 */
export interface MemoryRepository {
  insert(item: MemoryItem): Promise<void>;
  insertMany(items: readonly MemoryItem[]): Promise<void>;
  /** `lock` holds the row until the transaction ends (a forget racing another). */
  findById(id: string, options?: LockOptions): Promise<MemoryItem | undefined>;
  /** In no particular order; unknown ids are left out. */
  findByIds(ids: readonly string[]): Promise<MemoryItem[]>;
  /** Items whose id starts with `prefix` (ids may be abbreviated like git hashes). */
  findByIdPrefix(prefix: string, limit: number): Promise<MemoryItem[]>;
  /** Marks the item forgotten unless it already is; resolves whether it changed. */
  forget(id: string, mark: MemoryForgetMark): Promise<boolean>;
  /**
   * The best `limit` items that match the query and its filters, not forgotten, best first: by
   * score (text relevance raised for recency, domain/memory.ts memoryScore; SQLite: −BM25,
   * PostgreSQL: ts_rank_cd), then newer first.
   */
  search(query: MemorySearchQuery): Promise<MemoryMatch[]>;
  count(): Promise<number>;

  // ── vectors (docs/memory.md "Embeddings"): one embedding space per workspace

  /** How nearest vectors are found here: `sqlite-vec`, `pgvector`, `exact-scan`, or `off`. */
  readonly vectorBackend: VectorBackend;
  /** The model and length of the stored vectors; null before the first embedding pass. */
  vectorSpace(): Promise<EmbeddingSpace | null>;
  /**
   * Makes `space` the workspace's. When it differs from the stored one, every stored vector is
   * dropped and every live item is pending again (a changed model is re-embedded, never mixed);
   * resolves whether it changed.
   */
  useVectorSpace(space: EmbeddingSpace): Promise<boolean>;
  /** Live items without a vector yet, oldest first. */
  pendingEmbeddings(limit: number): Promise<{ readonly id: string; readonly text: string }[]>;
  /**
   * Stores each item's vector (of the current space, normalized) and marks it embedded; items
   * forgotten or embedded meanwhile are skipped. Resolves how many were stored.
   */
  storeEmbeddings(
    vectors: readonly { readonly id: string; readonly vector: readonly number[] }[],
  ): Promise<number>;
  /**
   * The live embedded items nearest to `embedding` that pass the query's filters, best first by
   * cosine similarity raised for recency (the same factor as the full-text score).
   */
  searchVectors(query: MemoryVectorQuery): Promise<MemoryMatch[]>;
  /** Live items, and how many of them have a vector or wait for one. */
  vectorCounts(): Promise<{ items: number; embedded: number; pending: number }>;

  // ── automatic capture (docs/memory.md "Automatic capture")

  /**
   * The newest live items of `kind` about one scoped thing, newest first (the scope index); with
   * `metadata`, only the items whose metadata is exactly that (a lesson's item: `{lesson: ref}`).
   */
  latestLive(query: {
    readonly kind: MemoryKind;
    readonly scope: MemoryScope;
    readonly scopeId: string;
    readonly metadata?: Readonly<Record<string, string>> | undefined;
    readonly limit: number;
  }): Promise<MemoryItem[]>;
  /**
   * Live task and project summaries that bosun assembled itself (`metadata.method`
   * `extractive`), oldest first, task summaries before project summaries: what a summarizer
   * model has yet to rewrite. Answered from a partial index, however large the memory.
   */
  extractiveSummaries(limit: number): Promise<MemoryItem[]>;
}

export interface MemoryVectorQuery extends Omit<MemorySearchQuery, 'terms' | 'match'> {
  /** The query's vector, normalized, of the workspace's embedding space. */
  readonly embedding: readonly number[];
}

// ── Reasoning bank (docs/memory.md "Reasoning bank")

export interface PatternFilter {
  readonly role?: string | undefined;
  /** Outcomes whose task carried this tag. */
  readonly tag?: string | undefined;
  readonly agent?: string | undefined;
  readonly model?: string | undefined;
  /** Only patterns with at least this many successes. */
  readonly minSuccesses?: number | undefined;
  /** Patterns at most, the most recently seen first. */
  readonly limit: number;
}

/** One row per attempt outcome of an agent's step, written in the step's transaction. */
export interface PatternRepository {
  insert(record: PatternRecord): Promise<void>;
  /**
   * Outcomes grouped by situation (role, tags, size) and strategy (agent, model, runner), with
   * their counts, mean cost and duration; the most recently seen first.
   */
  stats(filter: PatternFilter): Promise<PatternStats[]>;
  count(): Promise<number>;
}
