/**
 * The one place outside data is parsed as JSON, so a malformed document always becomes the same
 * `invalid_json` error naming where it came from. Also a stable stringifier (sorted keys) for
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

/**
 * Reads text that may or may not be a JSON document, such as a command's stdout: the parsed value,
 * or `undefined` when the text is not JSON (JSON itself has no `undefined`, so it is unambiguous).
 */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * JSON with object keys sorted at every depth (arrays keep their order). Written by hand because
 * a JavaScript object always lists integer-like keys first and treats `__proto__` specially, so
 * re-building sorted objects for JSON.stringify cannot guarantee the order.
 */
export function stableStringify(value: unknown, indent = 2): string {
  return write(value, indent > 0 ? ' '.repeat(indent) : '', '') ?? 'null';
}

function write(value: unknown, step: string, pad: string): string | undefined {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = pad + step;
  const open = step ? `\n${inner}` : '';
  const close = step ? `\n${pad}` : '';
  const comma = step ? `,\n${inner}` : ',';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${open}${value.map((item) => write(item, step, inner) ?? 'null').join(comma)}${close}]`;
  }
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const text = write((value as Record<string, unknown>)[key], step, inner);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${step ? ' ' : ''}${text}`);
  }
  return members.length === 0 ? '{}' : `{${open}${members.join(comma)}${close}}`;
}
