/**
 * What the two stores' read-only SQL shares: the errors its port promises (a refusal is the
 * caller's to fix, a timeout is not retryable as it stands) and how a driver's values become JSON.
 */

import { BosunError } from '../../../shared/errors.js';

/** The database refused the query; `why` completes "the database refused to run it: …". */
export function queryRefused(
  why: string,
  options: { readonly cause?: unknown; readonly details?: Readonly<Record<string, unknown>> } = {},
): BosunError {
  const rule = `the database refused to run it: ${why}`;
  return new BosunError('invalid_input', rule, {
    details: { field: 'sql', rule, reason: 'refused', ...options.details },
    cause: options.cause,
  });
}

/** The most a result may hold, in characters of its JSON (near enough: a blob counts its hex). */
export const MAX_RESULT_CHARS = 32 * 1024 * 1024;

export function resultTooLarge(): BosunError {
  return new BosunError(
    'invalid_input',
    `the result is larger than ${MAX_RESULT_CHARS / 1024 / 1024} MB; select fewer or narrower columns, or fewer rows`,
    { details: { field: 'sql', reason: 'too_large', maxChars: MAX_RESULT_CHARS } },
  );
}

/** The JSON size of one row of JSON values, or Infinity when it is too large to measure. */
export function jsonSizeOf(row: readonly unknown[]): number {
  try {
    return JSON.stringify(row).length;
  } catch {
    return Number.POSITIVE_INFINITY; // longer than the longest string there can be
  }
}

export function queryTimedOut(timeoutMs: number, cause?: unknown): BosunError {
  return new BosunError(
    'unavailable',
    `the query ran longer than its timeout (${timeoutMs} ms) and was stopped`,
    { details: { reason: 'timeout', timeoutMs }, retryable: false, cause },
  );
}

/**
 * A driver's value as JSON: a blob as `\x` and hex digits (psql's form), a date as ISO text, a
 * big integer as a number when exact (else text), a non-finite number as text.
 */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  }
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  return value;
}
