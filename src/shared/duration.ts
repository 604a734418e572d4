/** Human durations (`90s`, `15m`, `2h`, `1d`, or combined `1h30m`) to milliseconds. */

import { invalidInput } from './errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+)(ms|s|m|h|d)/g;
const WHOLE = /^(\d+(ms|s|m|h|d))+$/;

export function parseDuration(text: string, field: string): number {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) {
    throw invalidInput(field, `'${text}' is not a duration; use e.g. 90s, 15m, 2h, 1d or 1h30m`);
  }
  let total = 0;
  for (const match of trimmed.matchAll(PART)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  if (total <= 0) throw invalidInput(field, 'must be longer than zero');
  return total;
}
