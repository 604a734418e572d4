/**
 * What the repositories of project records (risks, actions, milestones, budget lines, …) share:
 * their rows are inserted, updated and found by id or ref alike, locked for a read-modify-write on
 * PostgreSQL; their lists hide archived rows unless asked and keep to one project (`inScope`), and
 * filter on lists of values where an empty list matches nothing (`anyOf`). Each repository's list
 * adds its own filters and order.
 */

import type { Kysely, SelectQueryBuilder } from 'kysely';
import { sql } from 'kysely';
import type { StoreDialect } from '../../../ports/store.js';
import type { Database } from './sql-schema.js';

type RecordTable =
  | 'risks'
  | 'actions'
  | 'stakeholders'
  | 'documents'
  | 'milestones'
  | 'lessons'
  | 'budget_lines'
  | 'budget_transactions'
  | 'workflow_rules'
  | 'test_plans'
  | 'test_cases';

export interface RecordRows<R> {
  insert(record: R): Promise<void>;
  update(record: R): Promise<void>;
  findById(id: string, options?: { readonly lock?: boolean }): Promise<R | undefined>;
  findByRef(ref: string, options?: { readonly lock?: boolean }): Promise<R | undefined>;
}

export function recordRows<T extends RecordTable, R>(
  db: Kysely<Database>,
  dialect: StoreDialect,
  table: T,
  toRecord: (row: Database[T]) => R,
  toRow: (record: R) => Database[T],
): RecordRows<R> {
  // Kysely cannot follow a table name given as a type parameter: the table is typed here as one
  // with the columns every record table has, and its rows go through the record's own mappers.
  const rows = db as unknown as Kysely<{ record: { id: string; ref: string } }>;
  const name = table as unknown as 'record';
  const findOne = async (column: 'id' | 'ref', value: string, lock: boolean | undefined) => {
    let query = rows.selectFrom(name).selectAll().where(column, '=', value);
    if (lock && dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toRecord(row as unknown as Database[T]);
  };
  return {
    async insert(record) {
      await rows
        .insertInto(name)
        .values(toRow(record) as { id: string; ref: string })
        .execute();
    },
    async update(record) {
      const { id, ...row } = toRow(record) as { id: string; ref: string };
      await rows.updateTable(name).set(row).where('id', '=', id).execute();
    },
    findById: (id, options) => findOne('id', id, options?.lock),
    findByRef: (ref, options) => findOne('ref', ref, options?.lock),
  };
}

/** The filters every record list takes. */
export interface RecordScope {
  readonly includeArchived?: boolean | undefined;
  readonly projectId?: string | undefined;
}

/** Archived rows hidden unless `includeArchived`; only `projectId`'s rows when given. */
export function inScope<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  scope: RecordScope,
): SelectQueryBuilder<DB, TB, O> {
  let scoped = query;
  if (!scope.includeArchived) scoped = scoped.where(sql<boolean>`archived_at is null`);
  if (scope.projectId) scoped = scoped.where(sql<boolean>`project_id = ${scope.projectId}`);
  return scoped;
}

/** Rows whose `column` is one of `values` (none for an empty list); no filter when undefined. */
export function anyOf<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: string,
  values: readonly (string | number)[] | undefined,
): SelectQueryBuilder<DB, TB, O> {
  if (values === undefined) return query;
  return query.where(
    values.length === 0
      ? sql<boolean>`1 = 0`
      : sql<boolean>`${sql.ref(column)} in (${sql.join(values)})`,
  );
}

/** Soonest due first, undated last, then oldest: one ORDER BY both stores sort alike. */
export const byDueDate = <DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> =>
  query
    .orderBy(sql`due_date is null`)
    .orderBy(sql`due_date`)
    .orderBy(sql`created_at`)
    .orderBy(sql`id`);
