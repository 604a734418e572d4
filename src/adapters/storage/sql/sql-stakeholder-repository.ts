/**
 * Stakeholders over Kysely, the same on both dialects: listed by influence, then interest, both
 * highest first, then by age.
 */

import type { Kysely } from 'kysely';
import type { StakeholderRepository, StoreDialect } from '../../../ports/store.js';
import { toStakeholder, toStakeholderRow } from './sql-mappers.js';
import type { Database } from './sql-schema.js';

export function stakeholderRepository(
  db: Kysely<Database>,
  dialect: StoreDialect,
): StakeholderRepository {
  const findOne = async (column: 'id' | 'ref', value: string, lock: boolean | undefined) => {
    let query = db.selectFrom('stakeholders').selectAll().where(column, '=', value);
    if (lock && dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toStakeholder(row);
  };
  return {
    async insert(stakeholder) {
      await db.insertInto('stakeholders').values(toStakeholderRow(stakeholder)).execute();
    },
    async update(stakeholder) {
      const { id, ...row } = toStakeholderRow(stakeholder);
      await db.updateTable('stakeholders').set(row).where('id', '=', id).execute();
    },
    findById: (id, options) => findOne('id', id, options?.lock),
    findByRef: (ref, options) => findOne('ref', ref, options?.lock),
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
