/** Times as people and agents write them in filters: `--since 7d`, `--until 2026-11-01`. */

import { parseDuration } from '../../shared/duration.js';
import { invalidInput } from '../../shared/errors.js';
import type { ServiceContext } from './service-context.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day (its start), an ISO 8601 time, or a duration back from now (`7d`, `12h`). */
export function momentOf(
  ctx: Pick<ServiceContext, 'clock'>,
  text: string | undefined,
  field: string,
): string | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  let time = Number.NaN;
  if (DAY.test(value)) time = Date.parse(`${value}T00:00:00.000Z`);
  else if (/^\d{4}-\d{2}-\d{2}T/.test(value)) time = Date.parse(value);
  else if (/^\d+(ms|s|m|h|d)/.test(value))
    time = ctx.clock.now().getTime() - parseDuration(value, field);
  else
    throw invalidInput(
      field,
      `'${text}' is neither a day (2026-11-01), a time (2026-11-01T09:00:00Z), nor a duration back from now (7d)`,
    );
  const date = new Date(time);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) {
    throw invalidInput(field, `'${text}' is not a time between years 1 and 9999`);
  }
  return date.toISOString();
}
