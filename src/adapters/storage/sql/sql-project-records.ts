/**
 * What the repositories of project records (risks, actions, stakeholders) share: their rows are
 * inserted, updated and found by id or ref alike, locked for a read-modify-write on PostgreSQL.
 * Each repository adds its own list, whose filters and order are its own.
 */

import type { Kysely } from 'kysely';
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
