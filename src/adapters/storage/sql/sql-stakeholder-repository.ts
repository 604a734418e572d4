/**
 * Stakeholders over Kysely, the same on both dialects: listed by influence, then interest, both
 * highest first, then by age.
 */

import type { Kysely } from 'kysely';
import type { StakeholderRepository, StoreDialect } from '../../../ports/store.js';
import { toStakeholder, toStakeholderRow } from './sql-mappers.js';
import { inScope, recordRows } from './sql-project-records.js';
import type { Database } from './sql-schema.js';

export function stakeholderRepository(
  db: Kysely<Database>,
  dialect: StoreDialect,
): StakeholderRepository {
  return {
    ...recordRows(db, dialect, 'stakeholders', toStakeholder, toStakeholderRow),
    async list(filter) {
      const query = inScope(db.selectFrom('stakeholders').selectAll(), filter);
      const rows = await query
        .orderBy('influence', 'desc')
        .orderBy('interest', 'desc')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toStakeholder);
    },
  };
}
