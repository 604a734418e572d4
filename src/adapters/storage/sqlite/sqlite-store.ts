/**
 * The embedded store: one SQLite file in WAL mode. Writers serialize through `BEGIN IMMEDIATE`
 * and wait for each other up to the busy timeout, so several processes can share a workspace.
 */

import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { CommitOrigin, Store, TransactionMode } from '../../../ports/store.js';
import { createSqlRepositories, mapDriverError, migrateToLatest } from '../sql/index.js';
import { createSqliteExecutor } from './sqlite-executor.js';
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

  const executor = createSqliteExecutor(database);
  const begin = { read: database.prepare('begin'), write: database.prepare('begin immediate') };
  const commit = database.prepare('commit');
  const rollback = database.prepare('rollback');
  const watchers = createCommitWatchers(database);

  const transaction = async <T>(
    mode: TransactionMode,
    work: (conn: Kysely<Database>) => Promise<T>,
  ): Promise<T> => {
    const result = await db.connection().execute(async (conn) => {
      try {
        begin[mode].run();
      } catch (error) {
        throw mapDriverError(error);
      }
      try {
        const value = await work(conn);
        commit.run();
        return value;
      } catch (error) {
        if (database.inTransaction) rollback.run();
        throw mapDriverError(error);
      }
    });
    if (mode === 'write') watchers.notify();
    return result;
  };

  await migrateToLatest(
    db,
    'sqlite',
    (work) => transaction('write', work),
    settings.now ?? (() => new Date().toISOString()),
  );

  return {
    dialect: 'sqlite',
    transaction: (mode, work) =>
      transaction(mode, (conn) => work(createSqlRepositories(conn, 'sqlite', executor))),
    watch: (listener) => watchers.add(listener),
    async close() {
      watchers.stop();
      await db.destroy();
    },
  };
}

/** How often a watched database checks whether another process committed. */
const WATCH_INTERVAL_MS = 15;

/**
 * Commit notifications: this process's own write commits at once, other processes' commits
 * through `PRAGMA data_version` (it changes only when another connection commits), checked on a
 * short timer only while someone watches.
 */
function createCommitWatchers(database: BetterSqlite3.Database) {
  const listeners = new Set<(origin: CommitOrigin) => void>();
  let timer: NodeJS.Timeout | undefined;
  let version = 0;
  const notify = (origin: CommitOrigin) => {
    for (const listener of listeners) listener(origin);
  };
  const check = () => {
    const current = database.pragma('data_version', { simple: true }) as number;
    if (current !== version) {
      version = current;
      notify('external');
    }
  };
  return {
    notify() {
      if (listeners.size > 0) notify('local');
    },
    add(listener: (origin: CommitOrigin) => void): () => void {
      listeners.add(listener);
      if (timer === undefined) {
        version = database.pragma('data_version', { simple: true }) as number;
        timer = setInterval(check, WATCH_INTERVAL_MS);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    stop() {
      listeners.clear();
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
