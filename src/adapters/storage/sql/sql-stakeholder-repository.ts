/**
 * Stakeholders over Kysely, the same on both dialects: listed by influence, then interest, both
 * highest first, then by age.
 */

import type { Kysely } from 'kysely';
import type { StakeholderRepository, StoreDialect } from '../../../ports/store.js';
import { toStakeholder, toStakeholderRow } from './sql-mappers.js';
import { recordRows } from './sql-project-records.js';
import type { Database } from './sql-schema.js';

export function stakeholderRepository(
  db: Kysely<Database>,
  dialect: StoreDialect,
): StakeholderRepository {
  return {
    ...recordRows(db, dialect, 'stakeholders', toStakeholder, toStakeholderRow),
    async list(filter) {
      let query = db.selectFrom('stakeholders').selectAll();
      if (!filter.includeArchived) query = query.where('archived_at', 'is', null);
      if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
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
