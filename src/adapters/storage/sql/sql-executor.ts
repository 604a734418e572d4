/**
 * The engine's journal runs a handful of statements per step, so it skips the query builder: SQL
 * text written once with `?` placeholders, executed through this slice of a driver. SQLite runs
 * reused prepared statements synchronously; PostgreSQL sends the text through Kysely's connection
 * of the current transaction (placeholders become `$n`).
 */

import type { Kysely } from 'kysely';
import { CompiledQuery } from 'kysely';

export type SqlParameter = string | number | null | Uint8Array;

export interface SqlExecutor {
  all<R>(sql: string, params?: readonly SqlParameter[]): Promise<R[]>;
  /**
   * Rows as arrays of column values, in select order: for wide rows on hot paths, where building
   * an object per row costs more than the query (better-sqlite3's raw mode).
   */
  tuples(sql: string, params?: readonly SqlParameter[]): Promise<unknown[][]>;
  /** Runs a statement that returns no rows; resolves with the number of rows changed. */
  run(sql: string, params?: readonly SqlParameter[]): Promise<number>;
}

const pgText = new Map<string, string>();

/** `?` → `$1, $2, …` (the journal's SQL never has a `?` inside a literal). */
function toPostgres(sql: string): string {
  let converted = pgText.get(sql);
  if (converted === undefined) {
    let n = 0;
    converted = sql.replace(/\?/g, () => `$${++n}`);
    pgText.set(sql, converted);
  }
  return converted;
}

export function createKyselyExecutor<DB>(db: Kysely<DB>): SqlExecutor {
  return {
    async all<R>(sql: string, params: readonly SqlParameter[] = []) {
      const result = await db.executeQuery<R>(CompiledQuery.raw(toPostgres(sql), [...params]));
      return result.rows as R[];
    },
    async tuples(sql, params = []) {
      const result = await db.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(toPostgres(sql), [...params]),
      );
      // pg keeps the select's column order in each row object.
      return result.rows.map((row) => Object.values(row));
    },
    async run(sql, params = []) {
      const result = await db.executeQuery(CompiledQuery.raw(toPostgres(sql), [...params]));
      return Number(result.numAffectedRows ?? 0n);
    },
  };
}
