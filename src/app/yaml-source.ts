/**
 * YAML documents with their source positions, so a refusal can name the line a person jumps to
 * (`bosun.yaml:14: agents.coder.runner: …`). Shared by workflow files and workspace settings.
 */

import { readFileSync } from 'node:fs';
import type { Document, LineCounter as LineCounterType } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { BosunError, notFound } from '../shared/errors.js';

export type YamlPathSegment = string | number;

export interface YamlSource {
  readonly document: Document.Parsed;
  readonly lines: LineCounterType;
}

export function parseYaml(text: string, fileLabel: string): YamlSource {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const first = document.errors[0];
  if (first !== undefined) {
    const { line, col } = lines.linePos(first.pos[0]);
    const rule = `not valid YAML: ${first.message}`;
    throw new BosunError('invalid_input', `${fileLabel}:${line}:${col}: ${rule}`, {
      details: { field: '(document)', rule, file: fileLabel, line, column: col },
    });
  }
  return { document, lines };
}

export function tryParseYaml(text: string): YamlSource | null {
  try {
    return parseYaml(text, '');
  } catch {
    return null;
  }
}

export function toJs(document: Document.Parsed, fileLabel: string): unknown {
  try {
    // The alias cap refuses "billion laughs" documents before they expand.
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const rule = `not valid YAML: ${(error as Error).message}`;
    throw new BosunError('invalid_input', `${fileLabel}: ${rule}`, {
      details: { field: '(document)', rule, file: fileLabel },
    });
  }
}

/**
 * The line of the node at `path`, or of the nearest ancestor that exists (a missing key is
 * reported where its object starts). For a key of a mapping it is the key's line, which is where
 * a person looks for `needs:` or a misspelt key.
 */
export function lineOf(source: YamlSource, path: readonly YamlPathSegment[]): number | null {
  let node: unknown = source.document.contents;
  let offset = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === null ? null : source.lines.linePos(offset).line;
}

function rangeStart(node: unknown): number | null {
  const range = (node as { range?: readonly number[] } | null)?.range;
  return range?.[0] ?? null;
}

/**
 * Reads a YAML or JSON file a person named (`field` is the input that named it, `kind` what it
 * should be): a missing file is not_found, a folder or an unreadable file invalid_input.
 */
export function readSourceFile(
  path: string,
  target: { readonly field: string; readonly kind: string; readonly shownAs?: string },
): string {
  const shown = target.shownAs ?? path;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const missing = notFound(target.kind, shown);
      throw new BosunError('not_found', missing.message, {
        details: { ...missing.details, field: target.field },
      });
    }
    const rule = code === 'EISDIR' ? `is a folder, not a ${target.kind}` : 'cannot be read';
    throw new BosunError('invalid_input', `${shown}: ${rule} (${(error as Error).message})`, {
      details: { field: target.field, rule, file: shown },
      cause: error,
    });
  }
}
