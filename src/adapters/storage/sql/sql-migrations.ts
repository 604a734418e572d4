/**
 * One list of versioned migrations for both dialects, written with Kysely's schema builder. A
 * migration may branch on the dialect only where SQL differs (auto-increment keys).
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { StoreDialect } from '../../../ports/store.js';
import type { Database } from './sql-schema.js';
import { byteCodes, signBytes } from '../../../domain/memory.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<Database>, dialect: StoreDialect): Promise<void>;
}

// The schema builder is untyped by design: migrations describe tables that the Database type
// only knows after they ran.
type AnyDb = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'planning model',
    async up(typed, dialect) {
      const db = typed as AnyDb;
      await db.schema
        .createTable('projects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('start_date', 'text')
        .addColumn('due_date', 'text')
        .addColumn('budget_amount', 'double precision')
        .addColumn('budget_currency', 'text')
        .addColumn('task_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sprints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('goal', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('start_date', 'text')
        .addColumn('end_date', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('sprints_project_name', ['project_id', 'name'])
        .execute();

      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('ref', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('acceptance', 'text', (c) => c.notNull())
        .addColumn('priority', 'text', (c) => c.notNull())
        .addColumn('priority_rank', 'integer', (c) => c.notNull())
        .addColumn('role', 'text')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('estimate', 'double precision')
        .addColumn('parent_id', 'text', (c) => c.references('tasks.id'))
        .addColumn('sprint_id', 'text', (c) => c.references('sprints.id'))
        .addColumn('assignee', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('lease_expires_at', 'text')
        .addColumn('open_deps', 'integer', (c) => c.notNull())
        .addColumn('downstream_depth', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .execute();
      // The ready queue: an index walk in rank order over exactly the ready tasks.
      await db.schema
        .createIndex('tasks_ready')
        .on('tasks')
        .columns(['priority_rank', 'downstream_depth desc', 'created_at', 'id'])
        .where(sql.ref('status'), '=', 'todo')
        .where(sql.ref('open_deps'), '=', 0)
        .where(sql.ref('deleted_at'), 'is', null)
        .execute();
      await db.schema
        .createIndex('tasks_lease')
        .on('tasks')
        .column('lease_expires_at')
        .where(sql.ref('lease_expires_at'), 'is not', null)
        .execute();
      await db.schema
        .createIndex('tasks_project')
        .on('tasks')
        .columns(['project_id', 'created_at'])
        .execute();
      await db.schema.createIndex('tasks_parent').on('tasks').column('parent_id').execute();
      await db.schema.createIndex('tasks_sprint').on('tasks').column('sprint_id').execute();

      await db.schema
        .createTable('task_tags')
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('tag', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('task_tags_pk', ['task_id', 'tag'])
        .execute();
      await db.schema
        .createIndex('task_tags_tag')
        .on('task_tags')
        .columns(['tag', 'task_id'])
        .execute();

      await db.schema
        .createTable('dependencies')
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('depends_on_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('dependencies_pk', ['task_id', 'depends_on_id'])
        .execute();
      await db.schema
        .createIndex('dependencies_depends_on')
        .on('dependencies')
        .columns(['depends_on_id', 'task_id'])
        .execute();

      await db.schema
        .createTable('todos')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('done', 'integer', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('todos_task')
        .on('todos')
        .columns(['task_id', 'position'])
        .execute();

      await db.schema
        .createTable('notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('notes_task')
        .on('notes')
        .columns(['task_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('audit')
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('target_label', 'text')
        .addColumn('changes', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('audit_target')
        .on('audit')
        .columns(['target_id', 'seq'])
        .execute();
      await db.schema.createIndex('audit_actor').on('audit').columns(['actor', 'seq']).execute();
      await db.schema.createIndex('audit_at').on('audit').column('at').execute();
    },
  },
  {
    version: 2,
    name: 'execution journal',
    async up(db, dialect) {
      // Plain SQL: the engine's repositories are written in SQL too (sql-execution-repositories.ts).
      // SQLite: the rowid alias numbers events max + 1. Events are never deleted, so numbers
      // only grow; AUTOINCREMENT would add a write to sqlite_sequence on every commit.
      const serial = dialect === 'postgres' ? 'bigserial primary key' : 'integer primary key';
      const statements = [
        `create table runs (
          id text primary key,
          name text not null,
          source text not null,
          status text not null,
          project_id text references projects(id),
          parent_run_id text references runs(id),
          fork_step text,
          file text,
          input text not null,
          steps_total integer not null,
          steps_open integer not null,
          cost_usd double precision not null default 0,
          input_tokens bigint not null default 0,
          output_tokens bigint not null default 0,
          error text,
          created_by text not null,
          created_at text not null,
          updated_at text not null,
          ended_at text
        )`,
        `create index runs_created on runs (created_at)`,
        // Apart from runs: the run row is updated on every step, the definition never.
        `create table run_definitions (
          run_id text primary key references runs(id),
          definition text not null
        )`,
        `create index runs_open on runs (status) where status in ('running', 'paused')`,
        `create table steps (
          id text primary key,
          run_id text not null references runs(id),
          key text not null,
          position integer not null,
          status text not null,
          runner text not null,
          group_name text,
          spec text not null,
          dependents text not null,
          open_deps integer not null,
          tries integer not null,
          attempts integer not null,
          available_at text not null,
          lease_owner text,
          lease_expires_at text,
          attempt_id text,
          approved integer not null,
          output text,
          error text,
          reused_from text,
          task_id text references tasks(id),
          started_at text,
          ended_at text,
          updated_at text not null,
          unique (run_id, key)
        )`,
        `create index steps_run on steps (run_id, position)`,
        // The queue: exactly the ready steps, oldest availability first. One index serves both the
        // workers and run-scoped schedulers: every index a step's status touches is another page
        // written on every commit (decision 0005).
        `create index steps_ready on steps (available_at, id) where status = 'ready'`,
        `create index steps_leases on steps (lease_expires_at) where status = 'running'`,
        `create index steps_groups on steps (group_name) where status = 'running' and group_name is not null`,
        `create table attempts (
          id text primary key,
          run_id text not null,
          step_id text not null references steps(id),
          number integer not null,
          try integer not null,
          idempotency_key text not null,
          status text not null,
          owner text not null,
          input text,
          output text,
          error text,
          usage text,
          started_at text not null,
          ended_at text
        )${dialect === 'sqlite' ? ' without rowid' : ''}`,
        `create index attempts_step on attempts (step_id, number)`,
        `create table approvals (
          id text primary key,
          run_id text not null references runs(id),
          step_id text not null references steps(id),
          step_key text not null,
          phase text not null,
          status text not null,
          comment text,
          requested_at text not null,
          decided_by text,
          decided_at text
        )`,
        `create index approvals_status on approvals (status, requested_at)`,
        `create index approvals_step on approvals (step_id)`,
        `create table events (
          seq ${serial},
          at text not null,
          run_id text,
          step_id text,
          kind text not null,
          data text not null
        )`,
        `create index events_run on events (run_id, seq)`,
        `create table workers (
          id text primary key,
          host text not null,
          pid integer not null,
          concurrency integer not null,
          started_at text not null,
          heartbeat_at text not null
        )`,
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 3,
    name: 'fewer journal indexes per step',
    async up(db, dialect) {
      // Every index a step's transition touches is one more page written on every commit
      // (decision 0008). Events keep no index per run: a run's events are found between its
      // run-start and run-end, indexed alone. The ready queue and the running steps share one index: sweeps for
      // expired leases read the running steps (at most the workers' total concurrency) instead
      // of keeping an index on lease_expires_at that every heartbeat rewrote. A step's
      // definition is read from its run's, not copied into its row. Attempts are
      // keyed by (step, number), the only way they are looked up, instead of by id plus an index.
      const statements = [
        'alter table steps drop column spec',
        // Runs count their open sinks instead of all their open steps (decision 0009).
        'alter table runs add column sinks_open integer not null default 0',
        `update runs set sinks_open = (select count(*) from steps s where s.run_id = runs.id and s.dependents = '[]' and s.status in ('waiting', 'ready', 'running', 'approval'))`,
        'alter table runs drop column steps_open',
        'drop index events_run',
        `create index events_run_bounds on events (run_id, seq) where kind = 'run-start' or kind = 'run-end'`,
        'drop index steps_ready',
        'drop index steps_leases',
        // Held steps (budget_exceeded) too: rare, and found by run without a scan.
        `create index steps_queue on steps (status, available_at, id) where status = 'ready' or status = 'running' or status = 'held'`,
        `create table attempts_by_step (
          step_id text not null references steps(id),
          number integer not null,
          id text not null,
          run_id text not null,
          try integer not null,
          idempotency_key text not null,
          status text not null,
          owner text not null,
          input text,
          output text,
          error text,
          usage text,
          started_at text not null,
          ended_at text,
          primary key (step_id, number)
        )${dialect === 'sqlite' ? ' without rowid' : ''}`,
        `insert into attempts_by_step (step_id, number, id, run_id, try, idempotency_key, status, owner, input, output, error, usage, started_at, ended_at)
          select step_id, number, id, run_id, try, idempotency_key, status, owner, input, output, error, usage, started_at, ended_at from attempts`,
        'drop table attempts',
        'alter table attempts_by_step rename to attempts',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 4,
    name: 'cost ledger and budgets',
    async up(db, dialect) {
      const serial = dialect === 'postgres' ? 'bigserial primary key' : 'integer primary key';
      const statements = [
        // One row per model call (an llm request, a CLI agent's result, a planner's answer),
        // never updated. Calls outside a run (the planner) have no run, step or attempt.
        `create table usage_ledger (
          id ${serial},
          at text not null,
          run_id text,
          step_id text,
          attempt integer,
          project_id text,
          agent text,
          model text not null,
          input_tokens bigint not null,
          output_tokens bigint not null,
          cached_input_tokens bigint not null,
          cost_usd double precision not null,
          latency_ms integer not null
        )`,
        'create index usage_ledger_at on usage_ledger (at)',
        'create index usage_ledger_run on usage_ledger (run_id)',
        // Settled spend per budget key (workspace, run:…, project:…, agent:…, day:…).
        `create table spend_totals (
          key text primary key,
          usd double precision not null,
          tokens bigint not null
        )`,
        // What running attempts may still spend, per key, until they settle.
        `create table budget_reservations (
          step_id text not null,
          attempt integer not null,
          key text not null,
          usd double precision not null,
          tokens bigint not null,
          at text not null,
          primary key (step_id, attempt, key)
        )`,
        'create index budget_reservations_key on budget_reservations (key)',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 5,
    name: 'memory items and full-text search',
    async up(db, dialect) {
      // Small columns first and the text last: a row's later columns are read without walking
      // the overflow pages of a long text. Items are never deleted; forgetting marks them.
      const serial = dialect === 'postgres' ? 'bigserial primary key' : 'integer primary key';
      // PostgreSQL indexes the text (weight A) and the tags as words (weight B) in a generated
      // column; SQLite indexes the same two columns in FTS5.
      const search =
        dialect === 'postgres'
          ? `,
          search tsvector generated always as (
            setweight(to_tsvector('english'::regconfig, text), 'A') ||
            setweight(to_tsvector('english'::regconfig, regexp_replace(tags, '[^[:alnum:]]+', ' ', 'g')), 'B')
          ) stored`
          : '';
      const statements = [
        // seq: on SQLite the rowid alias and the FTS5 index's key (a VACUUM keeps it, unlike an
        // implicit rowid), numbered from the creation time so that the index alone knows each
        // item's age (sql-memory-repository.ts); on PostgreSQL a plain sequence. SQLite's facets
        // are the scope, kind and tags as index tokens, so filters are part of the MATCH.
        `create table memory_items (
          seq ${serial},
          id text not null unique,
          scope text not null,
          scope_id text,
          scope_ref text,
          kind text not null,
          author text not null,
          run_id text references runs(id),
          created_at text not null,
          forgotten_at text,
          forgotten_by text,
          forget_reason text,${dialect === 'sqlite' ? '\n          facets text not null,' : ''}
          tags text not null,
          metadata text not null,
          text text not null${search}
        )`,
        'create index memory_items_scope on memory_items (scope, scope_id, created_at)',
        'create index memory_items_run on memory_items (run_id) where run_id is not null',
        `create table memory_tags (
          item_id text not null references memory_items(id),
          tag text not null,
          primary key (item_id, tag)
        )${dialect === 'sqlite' ? ' without rowid' : ''}`,
        ...(dialect === 'postgres'
          ? [
              // Only live items are indexed: a forgotten one leaves search with its row kept.
              'create index memory_items_search on memory_items using gin (search) where forgotten_at is null',
              // A query's terms, each parsed by phraseto_tsquery (which never fails on any text),
              // joined into one tsquery with | or &.
              'create aggregate memory_any_terms(tsquery) (sfunc = tsquery_or, stype = tsquery)',
              'create aggregate memory_all_terms(tsquery) (sfunc = tsquery_and, stype = tsquery)',
            ]
          : [
              // An external-content index over memory_items (no second copy of the text), kept in
              // step by triggers in the writing transaction. It holds the live items only, so
              // forgetting is a 'delete' of the old values, and search needs no filter for it.
              `create virtual table memory_fts using fts5(
                text, tags, facets,
                content = 'memory_items', content_rowid = 'seq',
                tokenize = 'porter unicode61 remove_diacritics 2'
              )`,
              `create trigger memory_items_fts_insert after insert on memory_items
                when new.forgotten_at is null begin
                  insert into memory_fts (rowid, text, tags, facets)
                    values (new.seq, new.text, new.tags, new.facets);
                end`,
              `create trigger memory_items_fts_update
                after update of text, tags, facets, forgotten_at on memory_items begin
                  insert into memory_fts (memory_fts, rowid, text, tags, facets)
                    select 'delete', old.seq, old.text, old.tags, old.facets
                    where old.forgotten_at is null;
                  insert into memory_fts (rowid, text, tags, facets)
                    select new.seq, new.text, new.tags, new.facets where new.forgotten_at is null;
                end`,
              `create trigger memory_items_fts_delete after delete on memory_items
                when old.forgotten_at is null begin
                  insert into memory_fts (memory_fts, rowid, text, tags, facets)
                    values ('delete', old.seq, old.text, old.tags, old.facets);
                end`,
            ]),
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 6,
    name: 'memory vectors',
    async up(db, dialect) {
      // Which items have a vector in the workspace's embedding space: 0 pending, 1 embedded. A
      // new embedding space (another model or length) sets every item back to pending.
      const statements = [
        'alter table memory_items add column embedded integer not null default 0',
        'create index memory_items_pending on memory_items (seq) where embedded = 0 and forgotten_at is null',
        // One row: the model and length of every stored vector (docs/memory.md "Embeddings").
        `create table memory_vector_space (
          id integer primary key check (id = 1),
          model text not null,
          dimensions integer not null,
          since text not null
        )`,
        // The vectors, keyed by the item's seq. SQLite: float32 blobs here, and a sqlite-vec
        // vec0 index of their signs (memory_vec, bit[N]) created once the length is known (the
        // first embedding pass). PostgreSQL without pgvector: real[], searched by an exact scan.
        dialect === 'postgres'
          ? `create table memory_vectors (
              seq bigint primary key references memory_items(seq),
              embedding real[] not null
            )`
          : `create table memory_vectors (
              seq integer primary key references memory_items(seq),
              embedding blob not null
            )`,
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 7,
    name: 'memory vector signs and run forks',
    async up(db, dialect) {
      // Each vector's signs, one bit per dimension in little-endian 32-bit words, and its values
      // in one byte each (domain/memory.ts byteCodes), searched in the process
      // (adapters/storage/sql/memory-vector-index.ts, decision 0017); `gen` numbers the changes
      // so that every process's index loads only what it has not seen.
      const big = dialect === 'postgres' ? 'bigint' : 'integer';
      const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
      const statements = [
        `alter table memory_vector_space add column generation ${big} not null default 0`,
        `alter table memory_vectors add column gen ${big} not null default 0`,
        `alter table memory_vectors add column bits ${bytes}`,
        `alter table memory_vectors add column codes ${bytes}`,
        'create index memory_vectors_gen on memory_vectors (gen)',
        // A run's fork family is found by walking down from its root (memory's lineage).
        'create index runs_parent on runs (parent_run_id) where parent_run_id is not null',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
      const rows = await sql<{ seq: number | string; embedding: Uint8Array | number[] }>`
        select seq, embedding from memory_vectors`.execute(db);
      for (const row of rows.rows) {
        const vector = Array.isArray(row.embedding)
          ? row.embedding.map(Number)
          : Array.from(
              new Float32Array(
                row.embedding.buffer.slice(
                  row.embedding.byteOffset,
                  row.embedding.byteOffset + row.embedding.byteLength,
                ),
              ),
            );
        await sql`update memory_vectors set bits = ${Buffer.from(signBytes(vector))}, codes = ${Buffer.from(byteCodes(vector))}, gen = 1 where seq = ${row.seq}`.execute(
          db,
        );
      }
      await sql.raw('update memory_vector_space set generation = 1').execute(db);
      // The sqlite-vec index of migration 6 is no longer read (it needs the extension to drop).
      if (dialect === 'sqlite') {
        try {
          await sql.raw('drop table if exists memory_vec').execute(db);
        } catch {
          // sqlite-vec not loaded: the table stays, unused.
        }
      }
    },
  },
  {
    version: 8,
    name: 'reasoning bank and summaries to rewrite',
    async up(db, dialect) {
      const big = dialect === 'postgres' ? 'bigint' : 'integer';
      const statements = [
        // One row per attempt outcome of an agent's step (docs/memory.md "Reasoning bank"):
        // the situation (role, tags as a sorted JSON array, size), the strategy (agent, model,
        // runner) and how it went. Never updated; grouped when read.
        `create table patterns (
          id text primary key,
          at text not null,
          run_id text not null references runs(id),
          step_id text not null,
          step_key text not null,
          attempt integer not null,
          project_id text,
          task_id text,
          role text,
          tags text not null,
          size text not null,
          agent text not null,
          model text,
          runner text not null,
          outcome text not null,
          failure_kind text,
          cost_usd double precision not null,
          input_tokens ${big} not null,
          output_tokens ${big} not null,
          duration_ms ${big}
        )`,
        'create index patterns_role on patterns (role, agent)',
        'create index patterns_agent on patterns (agent)',
        // The summaries bosun assembled itself and a summarizer model has yet to rewrite: a
        // handful of rows however large the memory, so the background pass costs one index read.
        `create index memory_items_extractive on memory_items (seq)
          where forgotten_at is null and kind in ('task_summary', 'project_summary')
            and metadata like '{"method":"extractive"%'`,
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 9,
    name: 'risk register',
    async up(db) {
      const statements = [
        // One counter per project and kind of record (risks, actions, stakeholders, milestones), so each kind numbers its refs on its own (HOME-R1, HOME-M1).
        `create table project_counters (
          project_id text not null references projects(id),
          kind text not null,
          seq integer not null,
          primary key (project_id, kind)
        )`,
        // The score (likelihood × impact) is stored for the register's order; the level is
        // derived from it when read (domain/risk.ts).
        `create table risks (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          title text not null,
          description text not null,
          likelihood integer not null,
          impact integer not null,
          score integer not null,
          mitigation text not null,
          owner text,
          status text not null,
          review_date text,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        'create index risks_register on risks (project_id, score desc) where archived_at is null',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 10,
    name: 'actions and stakeholders',
    async up(db) {
      const statements = [
        // Overdue is derived when read (domain/action.ts); the source ref of an action that came
        // from a risk is that risk's ref, checked when written.
        `create table actions (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          title text not null,
          description text not null,
          owner text,
          due_date text,
          status text not null,
          source text not null,
          source_ref text,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        'create index actions_due on actions (project_id, due_date) where archived_at is null',
        // The quadrant is derived from influence and interest when read (domain/stakeholder.ts).
        `create table stakeholders (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          name text not null,
          role text not null,
          organisation text not null,
          influence integer not null,
          interest integer not null,
          contact text not null,
          notes text not null,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        `create index stakeholders_grid on stakeholders (project_id, influence desc, interest desc)
          where archived_at is null`,
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 11,
    name: 'milestones and lessons',
    async up(db) {
      const statements: string[] = [
        // Progress and overdue are derived when read (domain/milestone.ts), from the linked
        // tasks: a join table, so a task may count towards several milestones.
        `create table milestones (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          title text not null,
          description text not null,
          owner text,
          due_date text,
          status text not null,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        'create index milestones_due on milestones (project_id, due_date) where archived_at is null',
        `create table milestone_tasks (
          milestone_id text not null references milestones(id),
          task_id text not null references tasks(id),
          created_at text not null,
          primary key (milestone_id, task_id)
        )`,
        'create index milestone_tasks_task on milestone_tasks (task_id)',
        // Tags are a JSON array; suggestions rank lessons in TypeScript (domain/lesson.ts), so
        // no text index. The helpful score is derived from validations and applications.
        `create table lessons (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          title text not null,
          context text not null,
          insight text not null,
          tags text not null,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        'create index lessons_project on lessons (project_id) where archived_at is null',
        `create table lesson_validations (
          id text primary key,
          lesson_id text not null references lessons(id),
          helped integer not null,
          note text not null,
          task_id text references tasks(id),
          actor text not null,
          created_at text not null
        )`,
        'create index lesson_validations_lesson on lesson_validations (lesson_id, created_at)',
        `create table lesson_applications (
          id text primary key,
          lesson_id text not null references lessons(id),
          task_id text not null references tasks(id),
          note text not null,
          actor text not null,
          created_at text not null,
          outcome text,
          outcome_note text not null,
          outcome_by text,
          outcome_at text
        )`,
        'create index lesson_applications_lesson on lesson_applications (lesson_id, created_at)',
        'create index lesson_applications_task on lesson_applications (task_id)',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 12,
    name: 'budget lines and transactions',
    async up(db) {
      const statements: string[] = [
        // Amounts are integer minor units of the project's currency (projects.budget_currency,
        // USD when unset), bigint on both dialects; actuals and variance are derived when read
        // (domain/project-budget.ts). alert_state remembers whether the line's alert has fired,
        // so that it fires once when the line crosses its threshold and not on every write.
        `create table budget_lines (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          category text not null,
          description text not null,
          planned_minor bigint not null,
          alert_percent integer,
          owner text,
          alert_state text not null,
          alerted_at text,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        'create index budget_lines_project on budget_lines (project_id) where archived_at is null',
        `create table budget_transactions (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          line_id text not null references budget_lines(id),
          date text not null,
          amount_minor bigint not null,
          vendor text not null,
          note text not null,
          source text not null,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        'create index budget_transactions_line on budget_transactions (line_id) where archived_at is null',
        'create index budget_transactions_project on budget_transactions (project_id, date)',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 13,
    name: 'documents',
    async up(db) {
      const statements: string[] = [
        // A document's metadata; its text is in document_texts, so lists and updates never
        // read it. The SHA-256 of its bytes finds the same content added twice to a project.
        `create table documents (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          title text not null,
          description text not null,
          tags text not null,
          file_name text not null,
          media_type text not null,
          bytes integer not null,
          sha256 text not null,
          pages integer,
          characters integer not null,
          words integer not null,
          truncated integer not null,
          added_by text not null,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        'create index documents_content on documents (project_id, sha256)',
        'create index documents_recent on documents (project_id, created_at)',
        `create table document_texts (
          doc_id text primary key references documents(id),
          body text not null
        )`,
        // Analyses are numbered per document (1, 2, …); the result is the validated JSON and
        // applied lists which proposals became which risk or action.
        `create table doc_analyses (
          id text primary key,
          doc_id text not null references documents(id),
          seq integer not null,
          method text not null,
          agent text,
          model text,
          result text not null,
          note text,
          applied text not null,
          created_by text not null,
          created_at text not null,
          unique (doc_id, seq)
        )`,
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 14,
    name: 'quality and workflow rules',
    async up(db) {
      const statements: string[] = [
        // Workflow rules kept as project records (HOME-W2); statuses and conditions are JSON.
        `create table workflow_rules (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          name text not null,
          entity text not null,
          from_statuses text,
          to_statuses text,
          conditions text not null,
          outcome text not null,
          reason text not null,
          approver text,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        // Every status change a rule (or the quality gate) decided, refusals included.
        `create table rule_decisions (
          id text primary key,
          at text not null,
          actor text not null,
          operation text not null,
          rule text not null,
          rule_ref text,
          source text not null,
          entity text not null,
          record_id text not null,
          record_ref text not null,
          from_status text not null,
          to_status text not null,
          input text not null,
          outcome text not null,
          reason text
        )`,
        'create index rule_decisions_record on rule_decisions (record_id, at)',
        // What a `require` rule asked for; the first identical move after approval consumes it.
        `create table transition_approvals (
          id text primary key,
          rule text not null,
          rule_ref text,
          entity text not null,
          record_id text not null,
          record_ref text not null,
          from_status text not null,
          to_status text not null,
          approver text,
          requested_by text not null,
          requested_at text not null,
          approved_by text,
          approved_at text,
          comment text,
          consumed_at text
        )`,
        'create index transition_approvals_record on transition_approvals (record_id)',
        `create table test_plans (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          title text not null,
          description text not null,
          template text not null,
          status text not null,
          requires_approval integer not null,
          sprint_id text references sprints(id),
          milestone_ref text,
          task_ids text not null,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        `create table test_cases (
          id text primary key,
          project_id text not null references projects(id),
          ref text not null unique,
          plan_id text not null references test_plans(id),
          title text not null,
          steps text not null,
          expected text not null,
          task_id text references tasks(id),
          criterion integer,
          created_at text not null,
          updated_at text not null,
          archived_at text
        )`,
        'create index test_cases_plan on test_cases (plan_id)',
        'create index test_cases_task on test_cases (task_id) where task_id is not null',
        // Results are append-only (approval fields aside); a case's latest counts.
        `create table test_results (
          id text primary key,
          case_id text not null references test_cases(id),
          outcome text not null,
          evidence text not null,
          links text not null,
          recorded_by text not null,
          recorded_at text not null,
          approved_by text,
          approved_at text,
          approval_comment text
        )`,
        'create index test_results_case on test_results (case_id, recorded_at)',
        // Small files (at most 1 MB), base64 on both dialects.
        `create table test_attachments (
          id text primary key,
          result_id text not null references test_results(id),
          name text not null,
          bytes integer not null,
          sha256 text not null,
          content text not null
        )`,
        'create index test_attachments_result on test_attachments (result_id)',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 15,
    name: 'briefings',
    async up(db) {
      const statements: string[] = [
        // One row per briefing (docs/command-center.md "Briefings"): a null project is the
        // whole workspace. The digest is JSON; only archived_at changes after the insert.
        `create table briefings (
          id text primary key,
          project_id text references projects(id),
          since text not null,
          until text not null,
          method text not null,
          agent text,
          model text,
          digest text not null,
          narrative text,
          note text,
          created_at text not null,
          created_by text not null,
          archived_at text
        )`,
        // "The last briefing of this scope" and the history, newest first.
        'create index briefings_history on briefings (project_id, created_at desc)',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;
