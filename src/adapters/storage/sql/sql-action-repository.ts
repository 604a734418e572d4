/** Action items over Kysely, the same on both dialects; listed by due date, undated last. */

import type { Kysely } from 'kysely';
import type { ActionRepository, StoreDialect } from '../../../ports/store.js';
import { toAction, toActionRow } from './sql-mappers.js';
import { anyOf, byDueDate, inScope, recordRows } from './sql-project-records.js';
import type { Database } from './sql-schema.js';

export function actionRepository(db: Kysely<Database>, dialect: StoreDialect): ActionRepository {
  return {
    ...recordRows(db, dialect, 'actions', toAction, toActionRow),
    async list(filter) {
      let query = inScope(db.selectFrom('actions').selectAll(), filter);
      query = anyOf(query, 'status', filter.status);
      query = anyOf(query, 'source', filter.source);
      if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
      if (filter.dueBefore !== undefined) query = query.where('due_date', '<', filter.dueBefore);
      return (await byDueDate(query).execute()).map(toAction);
    },
  };
}
