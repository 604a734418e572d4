/**
 * Action items over Kysely, the same on both dialects. The list's order (due date with undated
 * actions last, then age) is one ORDER BY that both stores sort alike: `due_date is null` is false
 * before true in each.
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { ActionRepository, StoreDialect } from '../../../ports/store.js';
import { toAction, toActionRow } from './sql-mappers.js';
import { recordRows } from './sql-project-records.js';
import type { Database } from './sql-schema.js';

export function actionRepository(db: Kysely<Database>, dialect: StoreDialect): ActionRepository {
  return {
    ...recordRows(db, dialect, 'actions', toAction, toActionRow),
    async list(filter) {
      let query = db.selectFrom('actions').selectAll();
      if (!filter.includeArchived) query = query.where('archived_at', 'is', null);
      if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
      if (filter.status) {
        if (filter.status.length === 0) return [];
        query = query.where('status', 'in', filter.status);
      }
      if (filter.source) {
        if (filter.source.length === 0) return [];
        query = query.where('source', 'in', filter.source);
      }
      if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
      if (filter.dueBefore !== undefined) query = query.where('due_date', '<', filter.dueBefore);
      const rows = await query
        .orderBy(sql`due_date is null`)
        .orderBy('due_date')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toAction);
    },
  };
}
