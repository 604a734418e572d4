/**
 * Stored briefings over Kysely, the same on both dialects. A briefing is written once and only
 * archived or restored afterwards, so the repository inserts, flips `archived_at` and reads; the
 * digest is kept as JSON text and read back as it was written.
 */

import type { Kysely } from 'kysely';
import type { Briefing, BriefingDigest } from '../../../domain/briefing.js';
import type { BriefingRepository, StoreDialect } from '../../../ports/store.js';
import type { BriefingsTable, Database } from './sql-schema.js';

export function toBriefing(row: BriefingsTable): Briefing {
  return {
    id: row.id,
    projectId: row.project_id,
    since: row.since,
    until: row.until,
    method: row.method as Briefing['method'],
    agent: row.agent,
    model: row.model,
    // Written by toBriefingRow from a checked digest; not outside data.
    digest: JSON.parse(row.digest) as BriefingDigest,
    narrative: row.narrative,
    note: row.note,
    createdAt: row.created_at,
    createdBy: row.created_by,
    archivedAt: row.archived_at,
  };
}

export function toBriefingRow(briefing: Briefing): BriefingsTable {
  return {
    id: briefing.id,
    project_id: briefing.projectId,
    since: briefing.since,
    until: briefing.until,
    method: briefing.method,
    agent: briefing.agent,
    model: briefing.model,
    digest: JSON.stringify(briefing.digest),
    narrative: briefing.narrative,
    note: briefing.note,
    created_at: briefing.createdAt,
    created_by: briefing.createdBy,
    archived_at: briefing.archivedAt,
  };
}

export function briefingRepository(
  db: Kysely<Database>,
  dialect: StoreDialect,
): BriefingRepository {
  return {
    async insert(briefing) {
      await db.insertInto('briefings').values(toBriefingRow(briefing)).execute();
    },
    async setArchived(id, archivedAt) {
      await db
        .updateTable('briefings')
        .set({ archived_at: archivedAt })
        .where('id', '=', id)
        .execute();
    },
    async findById(id, options) {
      let query = db.selectFrom('briefings').selectAll().where('id', '=', id);
      if (options?.lock && dialect === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row && toBriefing(row);
    },
    async findByIdPrefix(prefix, limit) {
      // ULIDs are upper-case Crockford base 32: no LIKE wildcard can be among them.
      const rows = await db
        .selectFrom('briefings')
        .selectAll()
        .where('id', 'like', `${prefix}%`)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toBriefing);
    },
    async list(filter) {
      let query = db.selectFrom('briefings').selectAll();
      if (!filter.includeArchived) query = query.where('archived_at', 'is', null);
      if (filter.projectId === null) query = query.where('project_id', 'is', null);
      else if (filter.projectId !== undefined)
        query = query.where('project_id', '=', filter.projectId);
      query = query.orderBy('created_at', 'desc').orderBy('id', 'desc');
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      return (await query.execute()).map(toBriefing);
    },
  };
}
