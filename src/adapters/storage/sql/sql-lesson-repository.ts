/**
 * Lessons learned, their validations and their applications, over Kysely, the same on both
 * dialects. Validations and applications are read with their task's ref (joined, so a ref is
 * never stored twice); a deleted task still names its ref there, since the evidence stays.
 */

import type { Kysely } from 'kysely';
import type { LessonApplication, LessonValidation } from '../../../domain/lesson.js';
import type { LessonRepository, LockOptions, StoreDialect } from '../../../ports/store.js';
import { toLesson, toLessonRow } from './sql-mappers.js';
import { inScope, recordRows } from './sql-project-records.js';
import type { Database, LessonApplicationsTable } from './sql-schema.js';

/** Ids per `IN (…)` list. */
const ID_CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ID_CHUNK) out.push(items.slice(i, i + ID_CHUNK));
  return out;
}

function toApplication(
  row: LessonApplicationsTable & { task_ref: string | null },
): LessonApplication {
  return {
    id: row.id,
    lessonId: row.lesson_id,
    taskId: row.task_id,
    taskRef: row.task_ref ?? row.task_id,
    note: row.note,
    by: row.actor,
    at: row.created_at,
    outcome: row.outcome as LessonApplication['outcome'],
    outcomeNote: row.outcome_note,
    outcomeBy: row.outcome_by,
    outcomeAt: row.outcome_at,
  };
}

function toApplicationRow(application: LessonApplication): LessonApplicationsTable {
  return {
    id: application.id,
    lesson_id: application.lessonId,
    task_id: application.taskId,
    note: application.note,
    actor: application.by,
    created_at: application.at,
    outcome: application.outcome,
    outcome_note: application.outcomeNote,
    outcome_by: application.outcomeBy,
    outcome_at: application.outcomeAt,
  };
}

export function lessonRepository(db: Kysely<Database>, dialect: StoreDialect): LessonRepository {
  const applications = () =>
    db
      .selectFrom('lesson_applications')
      .leftJoin('tasks', 'tasks.id', 'lesson_applications.task_id')
      .selectAll('lesson_applications')
      .select('tasks.ref as task_ref');
  return {
    ...recordRows(db, dialect, 'lessons', toLesson, toLessonRow),
    async list(filter) {
      const query = inScope(db.selectFrom('lessons').selectAll(), filter);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(toLesson);
    },
    async insertValidation(validation) {
      await db
        .insertInto('lesson_validations')
        .values({
          id: validation.id,
          lesson_id: validation.lessonId,
          helped: validation.helped ? 1 : 0,
          note: validation.note,
          task_id: validation.taskId,
          actor: validation.by,
          created_at: validation.at,
        })
        .execute();
    },
    async insertApplication(application) {
      await db.insertInto('lesson_applications').values(toApplicationRow(application)).execute();
    },
    async updateApplication(application) {
      const { id, ...row } = toApplicationRow(application);
      await db.updateTable('lesson_applications').set(row).where('id', '=', id).execute();
    },
    async findApplication(id, options?: LockOptions) {
      let query = applications().where('lesson_applications.id', '=', id);
      if (options?.lock && dialect === 'postgres') query = query.forUpdate('lesson_applications');
      const row = await query.executeTakeFirst();
      return row && toApplication(row);
    },
    async validationsOf(lessonIds) {
      const out: LessonValidation[] = [];
      for (const part of chunks(lessonIds)) {
        const rows = await db
          .selectFrom('lesson_validations')
          .leftJoin('tasks', 'tasks.id', 'lesson_validations.task_id')
          .selectAll('lesson_validations')
          .select('tasks.ref as task_ref')
          .where('lesson_validations.lesson_id', 'in', part)
          .orderBy('lesson_validations.created_at')
          .orderBy('lesson_validations.id')
          .execute();
        for (const row of rows) {
          out.push({
            id: row.id,
            lessonId: row.lesson_id,
            helped: Number(row.helped) === 1,
            note: row.note,
            taskId: row.task_id,
            taskRef: row.task_ref,
            by: row.actor,
            at: row.created_at,
          });
        }
      }
      return out;
    },
    async applicationsOf(lessonIds) {
      const out: LessonApplication[] = [];
      for (const part of chunks(lessonIds)) {
        const rows = await applications()
          .where('lesson_applications.lesson_id', 'in', part)
          .orderBy('lesson_applications.created_at')
          .orderBy('lesson_applications.id')
          .execute();
        out.push(...rows.map(toApplication));
      }
      return out;
    },
  };
}
