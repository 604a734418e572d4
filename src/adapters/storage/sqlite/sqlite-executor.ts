/**
 * The SQL executor over better-sqlite3: one prepared statement per SQL text, kept for the life of
 * the connection, called synchronously. A step of the engine costs a few microseconds per
 * statement this way (DESIGN.md §6).
 */

import type BetterSqlite3 from 'better-sqlite3';
import type { SqlExecutor, SqlParameter } from '../sql/index.js';

export function createSqliteExecutor(database: BetterSqlite3.Database): SqlExecutor {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const rawStatements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string): BetterSqlite3.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = database.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const prepareRaw = (sql: string): BetterSqlite3.Statement => {
    let statement = rawStatements.get(sql);
    if (statement === undefined) {
      statement = database.prepare(sql).raw(true);
      rawStatements.set(sql, statement);
    }
    return statement;
  };
  return {
    all<R>(sql: string, params: readonly SqlParameter[] = []) {
      try {
        return Promise.resolve(prepare(sql).all(...params) as R[]);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    tuples(sql, params = []) {
      try {
        return Promise.resolve(prepareRaw(sql).all(...params) as unknown[][]);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    run(sql, params = []) {
      try {
        return Promise.resolve(prepare(sql).run(...params).changes);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
}
