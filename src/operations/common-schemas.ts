/** Input field schemas shared by several operations (how a person names a task, a lease, …). */

import { z } from 'zod';
import { PRIORITIES, TASK_STATUSES } from '../domain/task.js';
import { parseDuration } from '../shared/duration.js';

export const taskKey = z.string().trim().min(1, 'must name a task by ref (HOME-12) or id');
export const projectKey = z.string().trim().min(1, 'must name a project by key (HOME) or id');
export const sprintKey = z.string().trim().min(1, 'must name a sprint by name or id');
export const actorName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');
export const priority = z.enum(PRIORITIES);
export const taskStatus = z.enum(TASK_STATUSES);
export const duration = z
  .string()
  .refine(
    (text) => /^(\d+(ms|s|m|h|d))+$/.test(text.trim()),
    'must be a duration such as 90s, 15m, 2h or 1h30m',
  );
export const limit = z
  .number()
  .int()
  .positive('must be at least 1')
  .max(100_000, 'must be at most 100000');

export function durationMs(text: string | undefined, field: string): number | undefined {
  return text === undefined ? undefined : parseDuration(text, field);
}
