/**
 * The one place outside data is parsed as JSON, so a malformed document always becomes the same
 * `invalid_input` error naming where it came from. Also a stable stringifier (sorted keys) for
 * exports that diff well.
 */

import { BosunError } from './errors.js';

export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BosunError('invalid_json', `${source}: not valid JSON (${reason})`, {
      details: { field: source, rule: 'valid JSON' },
    });
  }
}

/** JSON with object keys sorted at every depth; arrays keep their order. */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}
