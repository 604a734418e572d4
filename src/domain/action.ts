/**
 * Action: something someone has to do for a project, with an owner, a due day and a status, and
 * where it came from (a meeting, a risk, a document or elsewhere). When it came from a risk its
 * source ref is that risk's ref, checked when written. An action is overdue when its due day is
 * before today and it is still open or in progress; like a risk's level, that is never stored.
 */

import { z } from 'zod';
import { dateSchema, optionalText, requiredText } from './fields.js';
import { projectRecordFields } from './project-record.js';

export const ACTION_STATUSES = ['open', 'in_progress', 'done', 'cancelled'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Statuses whose due day still matters: a done or cancelled action is never overdue. */
export const ACTIVE_ACTION_STATUSES: readonly ActionStatus[] = ['open', 'in_progress'];

export const ACTION_SOURCES = ['meeting', 'risk', 'document', 'other'] as const;
export type ActionSource = (typeof ACTION_SOURCES)[number];

/** A meeting's name, a document's title or path, or a risk ref (HOME-R2). */
export const actionSourceRefSchema = requiredText(200);

export const ActionSchema = z.object({
  ...projectRecordFields('action'),
  title: requiredText(200),
  description: optionalText(10_000),
  owner: z.string().nullable(),
  dueDate: dateSchema.nullable(),
  status: z.enum(ACTION_STATUSES),
  source: z.enum(ACTION_SOURCES),
  sourceRef: z.string().nullable(),
});
export type Action = Readonly<z.infer<typeof ActionSchema>>;

/** An action as the list shows it: with whether it is overdue today. */
export const ActionViewSchema = ActionSchema.extend({ overdue: z.boolean() });
export type ActionView = Readonly<z.infer<typeof ActionViewSchema>>;

export const Action = {
  /** `today` is a day (YYYY-MM-DD). */
  isOverdue(action: Pick<Action, 'dueDate' | 'status' | 'archivedAt'>, today: string): boolean {
    return (
      action.archivedAt === null &&
      action.dueDate !== null &&
      action.dueDate < today &&
      ACTIVE_ACTION_STATUSES.includes(action.status)
    );
  },
};
