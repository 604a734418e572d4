/**
 * One list of versioned migrations for both dialects, written with Kysely's schema builder. A
 * migration may branch on the dialect only where SQL differs (auto-increment keys).
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { StoreDialect } from '../../../ports/store.js';
import type { Database } from './sql-schema.js';

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
];

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;
