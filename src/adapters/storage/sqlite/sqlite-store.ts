/**
 * The embedded store: one SQLite file in WAL mode. Writers serialize through `BEGIN IMMEDIATE`
 * and wait for each other up to the busy timeout, so several processes can share a workspace.
 */

import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Store, TransactionMode } from '../../../ports/store.js';
import { createSqlRepositories, mapDriverError, migrateToLatest } from '../sql/index.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import type { Database } from '../sql/index.js';

export interface SqliteStoreSettings {
  /** Path of the database file; created if missing. */
  readonly path: string;
  /** How long a writer waits for another process's write lock, in ms. */
  readonly busyTimeoutMs?: number;
  /** WAL size, in pages, at which a commit also checkpoints (default 10,000). */
  readonly walAutocheckpointPages?: number;
  readonly now?: () => string;
}

export async function createSqliteStore(settings: SqliteStoreSettings): Promise<Store> {
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(settings.path);
    database.pragma(`busy_timeout = ${settings.busyTimeoutMs ?? 30_000}`);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // A checkpoint (copying the WAL back into the database and syncing it) costs several ms on
    // the commit that triggers it. The default (every 1,000 pages ≈ every hundred claims) puts
    // that pause into the 99th percentile; 10,000 pages (≈ 40 MB of WAL) makes it rare. The
    // last connection to close checkpoints and removes the WAL anyway.
    database.pragma(`wal_autocheckpoint = ${settings.walAutocheckpointPages ?? 10_000}`);
  } catch (error) {
    throw mapDriverError(error);
  }
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
  });

  const transaction = async <T>(
    mode: TransactionMode,
    work: (conn: Kysely<Database>) => Promise<T>,
  ): Promise<T> =>
    db.connection().execute(async (conn) => {
      try {
        await sql.raw(mode === 'write' ? 'begin immediate' : 'begin').execute(conn);
      } catch (error) {
        throw mapDriverError(error);
      }
      try {
        const result = await work(conn);
        await sql.raw('commit').execute(conn);
        return result;
      } catch (error) {
        if (database.inTransaction) await sql.raw('rollback').execute(conn);
        throw mapDriverError(error);
      }
    });

  await migrateToLatest(
    db,
    'sqlite',
    (work) => transaction('write', work),
    settings.now ?? (() => new Date().toISOString()),
  );

  return {
    dialect: 'sqlite',
    transaction: (mode, work) =>
      transaction(mode, (conn) => work(createSqlRepositories(conn, 'sqlite'))),
    async close() {
      await db.destroy();
    },
  };
}
