/**
 * Milestones and the tasks linked to them, over Kysely, the same on both dialects. Listed by
 * due date, undated last. Linking twice is a no-op by the join
 * table's primary key (`on conflict do nothing`), so concurrent links cannot fail on each other.
 */

import type { Kysely } from 'kysely';
import type { TaskStatus } from '../../../domain/task.js';
import type { MilestoneRepository, MilestoneTaskLink, StoreDialect } from '../../../ports/store.js';
import { toMilestone, toMilestoneRow } from './sql-mappers.js';
import { anyOf, byDueDate, inScope, recordRows } from './sql-project-records.js';
import type { Database } from './sql-schema.js';

/** Ids per `IN (…)` list. */
const ID_CHUNK = 500;

export function milestoneRepository(
  db: Kysely<Database>,
  dialect: StoreDialect,
): MilestoneRepository {
  return {
    ...recordRows(db, dialect, 'milestones', toMilestone, toMilestoneRow),
    async list(filter) {
      let query = inScope(db.selectFrom('milestones').selectAll(), filter);
      query = anyOf(query, 'status', filter.status);
      if (filter.dueBefore !== undefined) query = query.where('due_date', '<', filter.dueBefore);
      return (await byDueDate(query).execute()).map(toMilestone);
    },
    async linkTask(milestoneId, taskId, at) {
      const result = await db
        .insertInto('milestone_tasks')
        .values({ milestone_id: milestoneId, task_id: taskId, created_at: at })
        .onConflict((conflict) => conflict.columns(['milestone_id', 'task_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async unlinkTask(milestoneId, taskId) {
      const result = await db
        .deleteFrom('milestone_tasks')
        .where('milestone_id', '=', milestoneId)
        .where('task_id', '=', taskId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async linkedTasks(milestoneIds) {
      const out: MilestoneTaskLink[] = [];
      for (let i = 0; i < milestoneIds.length; i += ID_CHUNK) {
        const rows = await db
          .selectFrom('milestone_tasks')
          .innerJoin('tasks', 'tasks.id', 'milestone_tasks.task_id')
          .select([
            'milestone_tasks.milestone_id',
            'tasks.id',
            'tasks.ref',
            'tasks.title',
            'tasks.status',
          ])
          .where('milestone_tasks.milestone_id', 'in', milestoneIds.slice(i, i + ID_CHUNK))
          .where('tasks.deleted_at', 'is', null)
          .execute();
        for (const row of rows) {
          out.push({
            milestoneId: row.milestone_id,
            id: row.id,
            ref: row.ref,
            title: row.title,
            status: row.status as TaskStatus,
          });
        }
      }
      return out;
    },
  };
}
