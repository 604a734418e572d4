/**
 * The repository layer over Kysely, shared by both dialects. Bound to one transaction; the store
 * adapters create it per transaction. Queries that need dialect-specific SQL branch on `dialect`.
 */

import type { ExpressionBuilder, Kysely } from 'kysely';
import { recordTablesRepository } from './sql-record-tables.js';
import { sql } from 'kysely';
import type { AuditEntry } from '../../../domain/audit.js';
import type { Dependency, Note, Task, TaskStatus, Todo } from '../../../domain/task.js';
import type {
  AuditQuery,
  AuditRepository,
  DependencyRepository,
  NewAuditEntry,
  NoteRepository,
  ProjectRepository,
  ReadyQuery,
  Repositories,
  SprintRepository,
  StoreDialect,
  TaskFilter,
  TaskRepository,
  TaskTextMatch,
  TaskTextQuery,
  TodoRepository,
} from '../../../ports/store.js';
import {
  toAuditEntry,
  toDependency,
  toDependencyRow,
  toNote,
  toNoteRow,
  toProject,
  toProjectRow,
  toSprint,
  toSprintRow,
  toTask,
  toTaskRow,
  toTodo,
  toTodoRow,
} from './sql-mappers.js';
import type { DefinitionCache } from './sql-execution-repositories.js';
import { createExecutionRepositories } from './sql-execution-repositories.js';
import type { SqlExecutor } from './sql-executor.js';
import { memoryRepository } from './sql-memory-repository.js';
import { patternRepository } from './sql-pattern-repository.js';
import { actionRepository } from './sql-action-repository.js';
import { riskRepository } from './sql-risk-repository.js';
import { stakeholderRepository } from './sql-stakeholder-repository.js';
import { docAnalysisRepository, documentRepository } from './sql-document-repository.js';
import { qualityRepositories } from './sql-quality-repositories.js';
import { budgetLineRepository, budgetTransactionRepository } from './sql-budget-repository.js';
import { milestoneRepository } from './sql-milestone-repository.js';
import { lessonRepository } from './sql-lesson-repository.js';
import { briefingRepository } from './sql-briefing-repository.js';
import type { MemoryVectorIndex } from './memory-vector-index.js';
import type { VectorBackend } from '../../../domain/memory.js';
import type { Database } from './sql-schema.js';

/** Rows per multi-row INSERT: stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const BATCH_PARAMETERS = 30_000;
/** Ids per `IN (…)` list. */
const ID_CHUNK = 500;
/** Arbitrary constant key for pg_advisory_xact_lock guarding the dependency graph. */
const GRAPH_LOCK_KEY = 0x626f73756e;
const SCOPES_LOCK_KEY = GRAPH_LOCK_KEY + 1;
const BUDGETS_LOCK_KEY = GRAPH_LOCK_KEY + 2;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function batchSize(columns: number): number {
  return Math.max(1, Math.floor(BATCH_PARAMETERS / columns));
}

export function createSqlRepositories(
  db: Kysely<Database>,
  dialect: StoreDialect,
  executor: SqlExecutor,
  definitions: DefinitionCache,
  vectors: VectorBackend = 'off',
  vectorIndex?: MemoryVectorIndex,
): Repositories {
  const advisoryLock = async (key: number): Promise<void> => {
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${key})`.execute(db);
  };
  return {
    projects: projectRepository(db),
    sprints: sprintRepository(db),
    tasks: taskRepository(db, dialect),
    dependencies: dependencyRepository(db),
    todos: todoRepository(db),
    notes: noteRepository(db),
    audit: auditRepository(db, dialect),
    ...createExecutionRepositories(executor, dialect, definitions),
    memory: memoryRepository(executor, dialect, vectors, vectorIndex),
    patterns: patternRepository(executor, dialect),
    risks: riskRepository(db, dialect),
    actions: actionRepository(db, dialect),
    stakeholders: stakeholderRepository(db, dialect),
    documents: documentRepository(db, dialect),
    docAnalyses: docAnalysisRepository(db),
    ...qualityRepositories(db, dialect),
    budgetLines: budgetLineRepository(db, dialect),
    budgetTransactions: budgetTransactionRepository(db, dialect),
    milestones: milestoneRepository(db, dialect),
    lessons: lessonRepository(db, dialect),
    briefings: briefingRepository(db, dialect),
    recordTables: recordTablesRepository(db),
    lockGraph: () => advisoryLock(GRAPH_LOCK_KEY),
    lockScopes: () => advisoryLock(SCOPES_LOCK_KEY),
    lockBudgets: () => advisoryLock(BUDGETS_LOCK_KEY),
  };
}

function projectRepository(db: Kysely<Database>): ProjectRepository {
  return {
    async insert(project) {
      await db
        .insertInto('projects')
        .values({ ...toProjectRow(project), task_seq: 0 })
        .execute();
    },
    async update(project) {
      await db
        .updateTable('projects')
        .set(toProjectRow(project))
        .where('id', '=', project.id)
        .execute();
    },
    async findById(id) {
      const row = await db
        .selectFrom('projects')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toProject(row);
    },
    async findByKey(key) {
      const row = await db
        .selectFrom('projects')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirst();
      return row && toProject(row);
    },
    async list(filter) {
      let query = db.selectFrom('projects').selectAll().orderBy('key');
      if (filter.status) query = query.where('status', '=', filter.status);
      return (await query.execute()).map(toProject);
    },
    async nextTaskSeq(projectId) {
      const row = await db
        .updateTable('projects')
        .set({ task_seq: sql`task_seq + 1` })
        .where('id', '=', projectId)
        .returning('task_seq')
        .executeTakeFirstOrThrow();
      return Number(row.task_seq);
    },
    async nextRecordSeq(projectId, kind) {
      // One statement that creates the counter or counts on: the row lock of the upsert keeps
      // concurrent callers apart on PostgreSQL; SQLite runs writers one at a time.
      const row = await db
        .insertInto('project_counters')
        .values({ project_id: projectId, kind, seq: 1 })
        .onConflict((conflict) =>
          conflict
            .columns(['project_id', 'kind'])
            .doUpdateSet({ seq: sql`project_counters.seq + 1` }),
        )
        .returning('seq')
        .executeTakeFirstOrThrow();
      return Number(row.seq);
    },
    async setTaskSeq(projectId, seq) {
      await db.updateTable('projects').set({ task_seq: seq }).where('id', '=', projectId).execute();
    },
    async count() {
      const row = await db
        .selectFrom('projects')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

function sprintRepository(db: Kysely<Database>): SprintRepository {
  return {
    async insert(sprint) {
      await db.insertInto('sprints').values(toSprintRow(sprint)).execute();
    },
    async update(sprint) {
      await db
        .updateTable('sprints')
        .set(toSprintRow(sprint))
        .where('id', '=', sprint.id)
        .execute();
    },
    async findById(id) {
      const row = await db
        .selectFrom('sprints')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toSprint(row);
    },
    async findByName(projectId, name) {
      const row = await db
        .selectFrom('sprints')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row && toSprint(row);
    },
    async list(filter) {
      let query = db.selectFrom('sprints').selectAll().orderBy('created_at').orderBy('id');
      if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
      return (await query.execute()).map(toSprint);
    },
  };
}

/** Tasks carrying `tag`, through the indexed task_tags table. */
const hasTag = (tag: string) => (eb: ExpressionBuilder<Database, 'tasks'>) =>
  eb.exists(
    eb
      .selectFrom('task_tags')
      .select('task_tags.task_id')
      .whereRef('task_tags.task_id', '=', 'tasks.id')
      .where('task_tags.tag', '=', tag),
  );

/** A LIKE pattern that finds `text` anywhere, its own `%`, `_` and `\` taken literally. */
const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * The task text search (TaskRepository.search), without an index: one LIKE per word on the
 * title and one on the rest (description, acceptance and tags joined), each pattern bound as a
 * parameter. The texts are made once per row, in a subquery that OFFSET keeps from being merged
 * into the outer query. SQLite's LIKE ignores the case of ASCII letters by itself; PostgreSQL's
 * texts and patterns are lowered under the C collation, which folds ASCII letters only, as
 * SQLite does, and was the fastest way measured (10,000 tasks: p50 28 ms, against 38 ms under
 * C.UTF-8 and 100 ms for ILIKE on each field and word). The words' results add up to one number
 * per task, words held × (n + 1) + words in the title, so each pattern is tested once per row
 * and one ORDER BY ranks on both; tasks scoring 0 sort last and are dropped here rather than by
 * a WHERE that would test the patterns again. docs/memory.md "Asking", Performance.
 */
async function searchTaskText(
  db: Kysely<Database>,
  dialect: StoreDialect,
  query: TaskTextQuery,
): Promise<TaskTextMatch[]> {
  const seen = new Set<string>();
  const words: string[] = [];
  for (const word of query.words) {
    // Repeats as the store compares words: ASCII letters alone fold.
    const key = word.trim().replace(/[A-Z]/g, (letter) => letter.toLowerCase());
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    words.push(word.trim());
  }
  if (words.length === 0 || query.limit <= 0) return [];
  const base = words.length + 1;
  const postgres = dialect === 'postgres';
  const rest = sql`description || ' ' || acceptance || ' ' || tags`;
  const texts = postgres
    ? sql`lower(title collate "C") as title_text, lower((${rest}) collate "C") as rest_text`
    : sql`title as title_text, ${rest} as rest_text`;
  const scores = words.map((word) => {
    const pattern = postgres
      ? sql`lower(${containsPattern(word)} collate "C")`
      : sql`${containsPattern(word)}`;
    return sql`case when title_text like ${pattern} escape '\\' then ${sql.lit(base + 1)}
      when rest_text like ${pattern} escape '\\' then ${sql.lit(base)} else 0 end`;
  });
  const inProject =
    query.projectId === undefined ? sql`` : sql`and project_id = ${query.projectId}`;
  const { rows } = await sql<{ id: string; status: TaskStatus; updated_at: string; score: number }>`
    select id, status, updated_at, ${sql.join(scores, sql` + `)} as score
    from (
      select id, status, updated_at, ${texts}
      from tasks
      where deleted_at is null ${inProject}
      ${postgres ? sql`offset 0` : sql`limit -1 offset 0`}
    ) as task_texts
    order by score desc, case when status in ('done', 'cancelled') then 1 else 0 end,
      updated_at desc, id desc
    limit ${query.limit}`.execute(db);
  return rows
    .filter((row) => Number(row.score) > 0)
    .map((row) => {
      const score = Number(row.score);
      return {
        id: row.id,
        words: Math.floor(score / base),
        titleWords: score % base,
        status: row.status,
        updatedAt: row.updated_at,
      };
    });
}

function taskRepository(db: Kysely<Database>, dialect: StoreDialect): TaskRepository {
  const insertTags = async (tasks: readonly Task[]): Promise<void> => {
    const rows = tasks.flatMap((task) => task.tags.map((tag) => ({ task_id: task.id, tag })));
    for (const part of chunk(rows, batchSize(2)))
      await db.insertInto('task_tags').values(part).execute();
  };
  const findOne = async (column: 'id' | 'ref', value: string, lock: boolean | undefined) => {
    let query = db.selectFrom('tasks').selectAll().where(column, '=', value);
    if (lock && dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toTask(row);
  };
  const repository: TaskRepository = {
    async insert(task) {
      await db.insertInto('tasks').values(toTaskRow(task)).execute();
      await insertTags([task]);
    },
    async insertMany(tasks) {
      for (const part of chunk(tasks, batchSize(24))) {
        await db.insertInto('tasks').values(part.map(toTaskRow)).execute();
      }
      await insertTags(tasks);
    },
    async update(task, previous) {
      const { id, open_deps: _open, downstream_depth: _depth, ...row } = toTaskRow(task);
      await db.updateTable('tasks').set(row).where('id', '=', id).execute();
      if (row.tags !== JSON.stringify(previous.tags)) {
        await db.deleteFrom('task_tags').where('task_id', '=', id).execute();
        await insertTags([task]);
      }
    },
    async findById(id, options) {
      return findOne('id', id, options?.lock);
    },
    async findByRef(ref, options) {
      return findOne('ref', ref, options?.lock);
    },
    async findByIds(ids) {
      const out: Task[] = [];
      for (const part of chunk(ids, ID_CHUNK)) {
        const rows = await db.selectFrom('tasks').selectAll().where('id', 'in', part).execute();
        out.push(...rows.map(toTask));
      }
      return out;
    },
    async list(filter: TaskFilter) {
      let query = db.selectFrom('tasks').selectAll();
      if (!filter.includeDeleted) query = query.where('deleted_at', 'is', null);
      if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
      if (filter.sprintId) query = query.where('sprint_id', '=', filter.sprintId);
      if (filter.role) query = query.where('role', '=', filter.role);
      if (filter.assignee) query = query.where('assignee', '=', filter.assignee);
      if (filter.parentId) query = query.where('parent_id', '=', filter.parentId);
      if (filter.status && filter.status.length > 0)
        query = query.where('status', 'in', filter.status);
      if (filter.tag) query = query.where(hasTag(filter.tag));
      query = query.orderBy('project_id').orderBy('created_at').orderBy('id');
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      return (await query.execute()).map(toTask);
    },
    search(query) {
      return searchTaskText(db, dialect, query);
    },
    async findReady(ready: ReadyQuery) {
      // The fixed predicate is written literally so both planners match the partial index.
      let query = db
        .selectFrom('tasks')
        .selectAll()
        .where(sql<boolean>`status = 'todo' and open_deps = 0 and deleted_at is null`);
      if (ready.projectId) query = query.where('project_id', '=', ready.projectId);
      if (ready.sprintId) query = query.where('sprint_id', '=', ready.sprintId);
      if (ready.role) query = query.where('role', '=', ready.role);
      if (ready.tag) query = query.where(hasTag(ready.tag));
      const agent = ready.agent;
      query = query.where((eb) =>
        agent === undefined
          ? eb('assignee', 'is', null)
          : eb.or([eb('assignee', 'is', null), eb('assignee', '=', agent)]),
      );
      query = query
        .orderBy('priority_rank')
        .orderBy('downstream_depth', 'desc')
        .orderBy('created_at')
        .orderBy('id')
        .limit(ready.limit);
      if (ready.offset) query = query.offset(ready.offset);
      if (ready.lock && dialect === 'postgres') query = query.forUpdate().skipLocked();
      return (await query.execute()).map(toTask);
    },
    async findActiveScoped() {
      const rows = await db
        .selectFrom('tasks')
        .selectAll()
        .where('status', 'in', ['in_progress', 'review'])
        .where('deleted_at', 'is', null)
        .where('scope', '!=', '[]')
        .execute();
      return rows.map(toTask);
    },
    async findExpiredLeases(now) {
      let query = db
        .selectFrom('tasks')
        .selectAll()
        .where('lease_expires_at', 'is not', null)
        .where('lease_expires_at', '<', now);
      if (dialect === 'postgres') query = query.forUpdate().skipLocked();
      return (await query.execute()).map(toTask);
    },
    async adjustOpenDeps(ids, delta) {
      for (const part of chunk(ids, ID_CHUNK)) {
        await db
          .updateTable('tasks')
          .set({ open_deps: sql`open_deps + ${delta}` })
          .where('id', 'in', part)
          .execute();
      }
    },
    async setDownstreamDepth(id, depth) {
      await db.updateTable('tasks').set({ downstream_depth: depth }).where('id', '=', id).execute();
    },
    async count(filter) {
      let query = db.selectFrom('tasks').select((eb) => eb.fn.countAll().as('n'));
      if (!filter.includeDeleted) query = query.where('deleted_at', 'is', null);
      if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
      const row = await query.executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async countByStatus() {
      const rows = await db
        .selectFrom('tasks')
        .select(['project_id', 'status', (eb) => eb.fn.countAll().as('n')])
        .where('deleted_at', 'is', null)
        .groupBy(['project_id', 'status'])
        .execute();
      return rows.map((row) => ({
        projectId: row.project_id,
        status: row.status as TaskStatus,
        count: Number(row.n),
      }));
    },
  };
  return repository;
}

function dependencyRepository(db: Kysely<Database>): DependencyRepository {
  const edges = async (column: 'task_id' | 'depends_on_id', ids: readonly string[]) => {
    const out: Dependency[] = [];
    for (const part of chunk(ids, ID_CHUNK)) {
      const rows = await db
        .selectFrom('dependencies')
        .selectAll()
        .where(column, 'in', part)
        .execute();
      out.push(...rows.map(toDependency));
    }
    return out;
  };
  return {
    async insert(dependency) {
      await db.insertInto('dependencies').values(toDependencyRow(dependency)).execute();
    },
    async insertMany(dependencies) {
      for (const part of chunk(dependencies, batchSize(3))) {
        await db.insertInto('dependencies').values(part.map(toDependencyRow)).execute();
      }
    },
    async delete(taskId, dependsOnId) {
      const result = await db
        .deleteFrom('dependencies')
        .where('task_id', '=', taskId)
        .where('depends_on_id', '=', dependsOnId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async exists(taskId, dependsOnId) {
      const row = await db
        .selectFrom('dependencies')
        .select('task_id')
        .where('task_id', '=', taskId)
        .where('depends_on_id', '=', dependsOnId)
        .executeTakeFirst();
      return row !== undefined;
    },
    dependenciesOf: (ids) => edges('task_id', ids),
    dependentsOf: (ids) => edges('depends_on_id', ids),
    async maxDependentDepth(taskId) {
      const row = await db
        .selectFrom('dependencies')
        .innerJoin('tasks', 'tasks.id', 'dependencies.task_id')
        .select((eb) => eb.fn.max('tasks.downstream_depth').as('depth'))
        .where('dependencies.depends_on_id', '=', taskId)
        .where('tasks.deleted_at', 'is', null)
        .where('tasks.status', '!=', 'cancelled')
        .executeTakeFirst();
      return row?.depth === null || row?.depth === undefined ? -1 : Number(row.depth);
    },
    async list() {
      const rows = await db
        .selectFrom('dependencies')
        .selectAll()
        .orderBy('task_id')
        .orderBy('depends_on_id')
        .execute();
      return rows.map(toDependency);
    },
  };
}

function todoRepository(db: Kysely<Database>): TodoRepository {
  return {
    async insert(todo: Todo) {
      await db.insertInto('todos').values(toTodoRow(todo)).execute();
    },
    async insertMany(todos) {
      for (const part of chunk(todos, batchSize(7))) {
        await db.insertInto('todos').values(part.map(toTodoRow)).execute();
      }
    },
    async update(todo) {
      await db.updateTable('todos').set(toTodoRow(todo)).where('id', '=', todo.id).execute();
    },
    async delete(id) {
      await db.deleteFrom('todos').where('id', '=', id).execute();
    },
    async findById(id) {
      const row = await db.selectFrom('todos').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toTodo(row);
    },
    async listForTask(taskId) {
      const rows = await db
        .selectFrom('todos')
        .selectAll()
        .where('task_id', '=', taskId)
        .orderBy('position')
        .orderBy('id')
        .execute();
      return rows.map(toTodo);
    },
    async list() {
      const rows = await db.selectFrom('todos').selectAll().orderBy('id').execute();
      return rows.map(toTodo);
    },
  };
}

function noteRepository(db: Kysely<Database>): NoteRepository {
  return {
    async insert(note: Note) {
      await db.insertInto('notes').values(toNoteRow(note)).execute();
    },
    async insertMany(notes) {
      for (const part of chunk(notes, batchSize(5))) {
        await db.insertInto('notes').values(part.map(toNoteRow)).execute();
      }
    },
    async listForTask(taskId) {
      const rows = await db
        .selectFrom('notes')
        .selectAll()
        .where('task_id', '=', taskId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toNote);
    },
    async list() {
      const rows = await db.selectFrom('notes').selectAll().orderBy('id').execute();
      return rows.map(toNote);
    },
  };
}

function auditRepository(db: Kysely<Database>, dialect: StoreDialect): AuditRepository {
  const toRow = (entry: NewAuditEntry) => ({
    at: entry.at,
    actor: entry.actor,
    operation: entry.operation,
    target_kind: entry.targetKind,
    target_id: entry.targetId,
    target_label: entry.targetLabel,
    changes: JSON.stringify(entry.changes),
  });
  return {
    async append(entry) {
      await db.insertInto('audit').values(toRow(entry)).execute();
    },
    async restore(entries: readonly AuditEntry[]) {
      for (const part of chunk(entries, batchSize(8))) {
        await db
          .insertInto('audit')
          .values(part.map((entry) => ({ seq: entry.seq, ...toRow(entry) })))
          .execute();
      }
      if (dialect === 'postgres' && entries.length > 0) {
        // Explicit keys do not advance the sequence; move it past the restored history.
        await sql`select setval(pg_get_serial_sequence('audit', 'seq'), (select max(seq) from audit))`.execute(
          db,
        );
      }
    },
    async list(query: AuditQuery) {
      let q = db.selectFrom('audit').selectAll();
      if (query.targetId) q = q.where('target_id', '=', query.targetId);
      if (query.targetKind) q = q.where('target_kind', '=', query.targetKind);
      if (query.actor) q = q.where('actor', '=', query.actor);
      if (query.operation) q = q.where('operation', '=', query.operation);
      if (query.since) q = q.where('at', '>=', query.since);
      if (query.until) q = q.where('at', '<', query.until);
      q = q.orderBy('seq', query.order ?? 'asc');
      if (query.limit !== undefined) q = q.limit(query.limit);
      return (await q.execute()).map(toAuditEntry);
    },
    async count() {
      const row = await db
        .selectFrom('audit')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
