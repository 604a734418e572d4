/**
 * The embedded store: one SQLite file in WAL mode. Writers serialize through `BEGIN IMMEDIATE`
 * and wait for each other up to the busy timeout, so several processes can share a workspace.
 */

import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import * as sqliteVec from 'sqlite-vec';
import type { VectorBackend } from '../../../domain/memory.js';
import type { CommitOrigin, Store, TransactionMode } from '../../../ports/store.js';
import {
  createDefinitionCache,
  createMemoryVectorIndex,
  createSqlRepositories,
  mapDriverError,
  migrateToLatest,
} from '../sql/index.js';
import type {
  BackgroundCheckpointer,
  BackgroundCheckpointSettings,
} from './sqlite-checkpointer.js';
import { startBackgroundCheckpointer } from './sqlite-checkpointer.js';
import { createSqliteExecutor } from './sqlite-executor.js';
import { createSqliteReadOnlyQueries } from './sqlite-read-only-query.js';
import { describeSqliteSchema } from './sqlite-schema.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import type { Database } from '../sql/index.js';

export interface SqliteStoreSettings {
  /** Path of the database file; created if missing. */
  readonly path: string;
  /** How long a writer waits for another process's write lock, in ms. */
  readonly busyTimeoutMs?: number;
  /** WAL size, in pages, at which a commit also checkpoints (default 10,000). */
  readonly walAutocheckpointPages?: number;
  /**
   * Checkpoints in a worker thread after `housekeepInBackground()`: `afterCommits` is how many
   * write transactions this process commits before the thread starts (default 200), so short
   * commands never pay for it.
   */
  readonly backgroundCheckpoint?: BackgroundCheckpointSettings & { readonly afterCommits?: number };
  readonly now?: () => string;
}

export async function createSqliteStore(settings: SqliteStoreSettings): Promise<Store> {
  let database: BetterSqlite3.Database;
  const autocheckpointPages = settings.walAutocheckpointPages ?? 10_000;
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
    database.pragma(`wal_autocheckpoint = ${autocheckpointPages}`);
  } catch (error) {
    throw mapDriverError(error);
  }
  const vectors = loadSqliteVec(database);
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
  });

  const executor = createSqliteExecutor(database);
  const begin = { read: database.prepare('begin'), write: database.prepare('begin immediate') };
  const commit = database.prepare('commit');
  const rollback = database.prepare('rollback');
  const watchers = createCommitWatchers(database);
  const checkpoints = createCheckpointPolicy(database, settings.path, {
    autocheckpointPages,
    background: settings.backgroundCheckpoint ?? {},
  });

  // One connection: transactions take turns here, each running to its end before the next
  // begins (queries inside one are awaited, so they could otherwise interleave).
  let turn: Promise<unknown> = Promise.resolve();
  const transaction = <T>(
    mode: TransactionMode,
    work: (db: Kysely<Database>) => Promise<T>,
  ): Promise<T> => {
    const run = async (): Promise<T> => {
      try {
        begin[mode].run();
      } catch (error) {
        throw mapDriverError(error);
      }
      let value: T;
      try {
        value = await work(db);
        commit.run();
      } catch (error) {
        if (database.inTransaction) rollback.run();
        throw mapDriverError(error);
      }
      if (mode === 'write') {
        checkpoints.committed();
        watchers.notify();
      }
      return value;
    };
    const result = turn.then(run, run);
    turn = result.catch(() => undefined);
    return result;
  };

  await migrateToLatest(
    db,
    'sqlite',
    (work) => transaction('write', work),
    settings.now ?? (() => new Date().toISOString()),
  );

  // Stateless over the one connection, so built once rather than per transaction.
  const repositories = createSqlRepositories(
    db,
    'sqlite',
    executor,
    createDefinitionCache(),
    vectors,
    // Memory's sign index lives as long as the connection (memory-vector-index.ts).
    vectors === 'off' ? undefined : createMemoryVectorIndex(),
  );
  const readOnlyQueries = createSqliteReadOnlyQueries(settings.path);
  return {
    dialect: 'sqlite',
    transaction: (mode, work) => transaction(mode, () => work(repositories)),
    watch: (listener) => watchers.add(listener),
    housekeepInBackground: () => checkpoints.moveToBackground(),
    readOnlySql: {
      query: (sql, limits) => readOnlyQueries.query(sql, limits),
      describeSchema: () =>
        transaction('read', () => Promise.resolve(describeSqliteSchema(database))),
    },
    async close() {
      watchers.stop();
      await readOnlyQueries.close();
      await checkpoints.stop();
      await db.destroy();
    },
  };
}

/**
 * sqlite-vec (memory's vectors) on this connection. A platform without its prebuilt extension
 * still opens the store: memory search is then full-text only, and `system.health` says so.
 */
export function loadSqliteVec(database: BetterSqlite3.Database): VectorBackend {
  try {
    sqliteVec.load(database);
    return 'sqlite-vec';
  } catch {
    return 'off';
  }
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

/**
 * Who checkpoints the WAL: commits (SQLite's automatic checkpoint) until the process says it will
 * write for long (`housekeepInBackground`) and has committed `afterCommits` transactions since;
 * from then on a worker thread, for as long as it lives.
 */
function createCheckpointPolicy(
  database: BetterSqlite3.Database,
  path: string,
  options: {
    autocheckpointPages: number;
    background: BackgroundCheckpointSettings & { readonly afterCommits?: number };
  },
) {
  let wanted = false;
  let commits = 0;
  let thread: BackgroundCheckpointer | undefined;
  const setAutocheckpoint = (pages: number) => {
    if (database.open) database.pragma(`wal_autocheckpoint = ${pages}`);
  };
  return {
    moveToBackground() {
      // An in-memory database has no WAL, and no other connection could reach it.
      if (path !== ':memory:' && path !== '') wanted = true;
    },
    committed() {
      if (thread !== undefined) {
        thread.committed();
        return;
      }
      if (!wanted || ++commits < (options.background.afterCommits ?? 200)) return;
      thread = startBackgroundCheckpointer(
        path,
        {
          onStarted: () => setAutocheckpoint(0),
          onLost: () => setAutocheckpoint(options.autocheckpointPages),
          checkpoint: () => database.pragma('wal_checkpoint(PASSIVE)'),
        },
        options.background,
      );
    },
    async stop() {
      wanted = false;
      await thread?.stop();
    },
  };
}
