/**
 * The shared store: a PostgreSQL database that any number of machines use at once. Claims lock
 * rows with `FOR UPDATE SKIP LOCKED`; a transaction that loses a deadlock is run again.
 */

import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { CommitOrigin, Store, TransactionMode } from '../../../ports/store.js';
import {
  createKyselyExecutor,
  createDefinitionCache,
  createSqlRepositories,
  isTransientConflict,
  mapDriverError,
  migrateToLatest,
} from '../sql/index.js';
import type { Database } from '../sql/index.js';
import { createPostgresReadOnlyQueries } from './postgres-read-only-query.js';
import { describePostgresSchema } from './postgres-schema.js';

export interface PostgresStoreSettings {
  /** `postgres://user@host:port/database` */
  readonly url: string;
  /**
   * Where `db.query` connects instead: the same database as a role that may only read
   * (`bosun db reader` prints the statements that make one). Functions a query calls then act
   * with that role's rights, not bosun's.
   */
  readonly queryUrl?: string | undefined;
  readonly maxConnections?: number;
  readonly now?: () => string;
}

const MAX_ATTEMPTS = 5;

/** bigint (counts, sequences) and double come back as text by default; bosun's fit a number. */
const NUMERIC_OIDS: ReadonlySet<number> = new Set([
  pg.types.builtins.INT8,
  pg.types.builtins.FLOAT8,
]);

const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  NUMERIC_OIDS.has(oid)
    ? Number
    : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

export async function createPostgresStore(settings: PostgresStoreSettings): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.maxConnections ?? 4,
    application_name: 'bosun',
    types: { getTypeParser },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  const listeners = new Set<(origin: CommitOrigin) => void>();
  const notify = (origin: CommitOrigin) => {
    for (const listener of listeners) listener(origin);
  };
  let listenClient: pg.Client | undefined;
  let listening: Promise<void> | undefined;

  const transaction = async <T>(
    mode: TransactionMode,
    work: (tx: Kysely<Database>) => Promise<T>,
  ): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await db.transaction().execute(work);
        // Watchers hear of writes only (the Store contract): a read waking every scheduler in
        // the process would make each of them run a claim transaction for nothing.
        if (mode === 'write' && listeners.size > 0) notify('local');
        return result;
      } catch (error) {
        if (attempt < MAX_ATTEMPTS && isTransientConflict(error)) continue;
        throw mapDriverError(error);
      }
    }
  };

  try {
    await migrateToLatest(
      db,
      'postgres',
      (work) => transaction('write', work),
      settings.now ?? (() => new Date().toISOString()),
    );
  } catch (error) {
    await db.destroy();
    throw mapDriverError(error);
  }

  const definitions = createDefinitionCache();
  const readOnlyQueries = createPostgresReadOnlyQueries(settings.queryUrl ?? settings.url);
  return {
    dialect: 'postgres',
    transaction: (mode, work) =>
      transaction(mode, (tx) =>
        work(
          createSqlRepositories(
            tx,
            'postgres',
            createKyselyExecutor(tx),
            definitions,
            'exact-scan',
          ),
        ),
      ),
    watch(listener) {
      listeners.add(listener);
      // One extra connection per process listens for commits made by other workers.
      listening ??= (async () => {
        listenClient = new pg.Client({
          connectionString: settings.url,
          application_name: 'bosun-listen',
        });
        listenClient.on('notification', () => notify('external'));
        listenClient.on('error', () => undefined);
        await listenClient.connect();
        await listenClient.query('listen bosun_journal');
      })().catch(() => undefined);
      return () => {
        listeners.delete(listener);
      };
    },
    housekeepInBackground() {
      // The server checkpoints and vacuums on its own.
    },
    readOnlySql: {
      query: (sql, limits) => readOnlyQueries.query(sql, limits),
      async describeSchema() {
        try {
          return await describePostgresSchema(db);
        } catch (error) {
          throw mapDriverError(error);
        }
      },
    },
    async close() {
      listeners.clear();
      await readOnlyQueries.close();
      if (listening) await listening;
      await listenClient?.end().catch(() => undefined);
      await db.destroy();
    },
  };
}
