/**
 * The command center's tables as rows, for `bosun export` and `bosun import` (decision 0020):
 * every table of project records and what hangs off them, parents before children, dumped in a
 * fixed order and loaded back as they were. Their columns are text and integers on both dialects
 * (the migrations create them alike), so a SQLite export loads into PostgreSQL and back.
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { RecordRow, RecordTablesRepository } from '../../../ports/store.js';
import type { Database } from './sql-schema.js';

/** Parents before children: loading in this order satisfies every foreign key. */
export const RECORD_TABLES = [
  'project_counters',
  'risks',
  'actions',
  'stakeholders',
  'milestones',
  'milestone_tasks',
  'lessons',
  'lesson_validations',
  'lesson_applications',
  'budget_lines',
  'budget_transactions',
  'documents',
  'document_texts',
  'doc_analyses',
  'workflow_rules',
  'rule_decisions',
  'transition_approvals',
  'test_plans',
  'test_cases',
  'test_results',
  'test_attachments',
  'briefings',
] as const;

/** Rows go in batches small enough for SQLite's 32,766 bound parameters at any width. */
const LOAD_BATCH = 200;

export function recordTablesRepository(db: Kysely<Database>): RecordTablesRepository {
  // Kysely cannot type a table chosen at run time: these tables are read and written as rows of
  // plain values, which the caller checks against the table list.
  const rows = db as unknown as Kysely<Record<string, RecordRow>>;
  return {
    names: RECORD_TABLES,
    async dump(table) {
      // Every table's first columns are its key: ordering by them makes the dump deterministic.
      const result = await sql<RecordRow>`select * from ${sql.table(table)} order by 1, 2`.execute(
        db,
      );
      return result.rows.map((row) => ({ ...row }));
    },
    async load(table, values) {
      for (let at = 0; at < values.length; at += LOAD_BATCH) {
        await rows
          .insertInto(table)
          .values(values.slice(at, at + LOAD_BATCH))
          .execute();
      }
    },
  };
}
