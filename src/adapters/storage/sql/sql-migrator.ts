/**
 * Applies pending migrations when a store opens. The common case (schema current) costs one
 * query; the upgrade runs inside one write transaction so concurrent openers apply it once.
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { StoreDialect } from '../../../ports/store.js';
import { LATEST_VERSION, MIGRATIONS } from './sql-migrations.js';
import type { Database } from './sql-schema.js';

export async function currentSchemaVersion(db: Kysely<Database>): Promise<number> {
  try {
    const row = await db
      .selectFrom('bosun_migrations')
      .select((eb) => eb.fn.max('version').as('version'))
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  } catch {
    return 0; // no migrations table yet
  }
}

/** `inWriteTransaction` runs its callback in the store's exclusive write transaction. */
export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: StoreDialect,
  inWriteTransaction: (work: (tx: Kysely<Database>) => Promise<void>) => Promise<void>,
  now: () => string,
): Promise<void> {
  if ((await currentSchemaVersion(db)) >= LATEST_VERSION) return;
  await inWriteTransaction(async (tx) => {
    if (dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(${0x6d6967726174})`.execute(tx);
    await tx.schema
      .createTable('bosun_migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute();
    const applied = await currentSchemaVersion(tx);
    for (const migration of MIGRATIONS) {
      if (migration.version <= applied) continue;
      await migration.up(tx, dialect);
      await tx
        .insertInto('bosun_migrations')
        .values({ version: migration.version, name: migration.name, applied_at: now() })
        .execute();
    }
  });
}
