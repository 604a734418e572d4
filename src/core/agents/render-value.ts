/**
 * How a JSON value reads in a prompt or a memory: a string as it is; anything else as indented
 * `key: value` lines, with a multi-line string as its own lines (JSON would squeeze a log into
 * one escaped line). Shared by the context packer's sections and memory capture.
 */

import type { JsonValue } from '../../domain/workflow.js';

/** A value as a prompt shows it (see above). */
export function renderValue(value: JsonValue, indent = ''): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries: [string, JsonValue][] = Array.isArray(value)
    ? value.map((item, index) => [`- [${index}]`, item])
    : Object.entries(value);
  if (entries.length === 0) return Array.isArray(value) ? '[]' : '{}';
  const lines: string[] = [];
  for (const [key, item] of entries) {
    const label = Array.isArray(value) ? `${indent}-` : `${indent}${key}:`;
    if (typeof item === 'string' && item.includes('\n')) {
      lines.push(label, ...item.split('\n').map((line) => `${indent}  ${line}`));
    } else if (item !== null && typeof item === 'object' && Object.keys(item).length > 0) {
      lines.push(label, renderValue(item, `${indent}  `));
    } else {
      lines.push(`${label} ${typeof item === 'string' ? item : JSON.stringify(item)}`);
    }
  }
  return lines.join('\n');
}
