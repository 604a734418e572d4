/**
 * Field rules shared by every entity: ids, dates, keys, free text. Each schema's message names the
 * rule, and zod adds the field path, so a refused input reads `title: must not be empty`.
 */

import { z } from 'zod';

export const idSchema = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID (26 characters)');

export const timestampSchema = z
  .string()
  .datetime({ message: 'must be an ISO-8601 UTC timestamp' });

/** True for a real calendar day; Date.parse alone rolls 2026-02-30 over into March. */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

export const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(isCalendarDate, 'must be a real calendar date');

const RATING_RULE = 'must be a whole number from 1 to 5';

/** A rating on the 1–5 scale the command center's records use (likelihood, impact, influence). */
export const ratingSchema = z
  .number({ error: (issue) => (issue.input === undefined ? 'is required' : RATING_RULE) })
  .int(RATING_RULE)
  .min(1, RATING_RULE)
  .max(5, RATING_RULE);

export const projectKeySchema = z
  .string()
  .regex(
    /^[A-Z][A-Z0-9]{1,9}$/,
    'must be 2–10 upper-case letters or digits, starting with a letter (e.g. HOME)',
  );

export function requiredText(max: number) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);
}

export function optionalText(max: number) {
  return z.string().max(max, `must be at most ${max} characters`);
}

export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[^\s].*$/, 'must not start with whitespace');

export const tagSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(50, 'must be at most 50 characters')
  .regex(/^[\w:./-]+$/, 'may hold only letters, digits and _ : . / -');
