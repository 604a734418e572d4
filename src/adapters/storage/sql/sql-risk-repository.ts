/**
 * The risk register over Kysely, the same on both dialects. The register's order (score, then
 * review date with undated risks last) is one ORDER BY that both stores sort alike: `review_date
 * is null` is false before true in each.
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { RiskRepository, StoreDialect } from '../../../ports/store.js';
import { toRisk, toRiskRow } from './sql-mappers.js';
import { anyOf, inScope, recordRows } from './sql-project-records.js';
import type { Database } from './sql-schema.js';

export function riskRepository(db: Kysely<Database>, dialect: StoreDialect): RiskRepository {
  return {
    ...recordRows(db, dialect, 'risks', toRisk, toRiskRow),
    async list(filter) {
      let query = inScope(db.selectFrom('risks').selectAll(), filter);
      query = anyOf(query, 'status', filter.status);
      query = anyOf(query, 'score', filter.scores);
      if (filter.reviewBefore !== undefined)
        query = query.where('review_date', '<', filter.reviewBefore);
      const rows = await query
        .orderBy('score', 'desc')
        .orderBy(sql`review_date is null`)
        .orderBy('review_date')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toRisk);
    },
  };
}
