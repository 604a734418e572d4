/**
 * Workflow files on disk: reads a YAML (or `.json`) file, validates it with the domain's
 * parseWorkflowDefinition, and turns the document path of any refusal into the line a person can
 * jump to: `release.yaml:14: steps[2] (deploy).needs[0]: unknown step 'biuld'`. The YAML parser
 * keeps source ranges for this; a JSON file is parsed strictly as JSON and re-read as YAML (JSON is
 * a subset) only when an error needs a line.
 */

import { resolve } from 'node:path';
import { LineCounter } from 'yaml';
import type { JsonPathSegment } from '../domain/template.js';
import type { WorkflowDefinition } from '../domain/workflow.js';
import type { WorkflowParseOptions } from '../domain/workflow-schema.js';
import { parseWorkflowDefinition } from '../domain/workflow-schema.js';
import { BosunError } from '../shared/errors.js';
import { parseJson } from '../shared/json.js';
import type { YamlSource } from './yaml-source.js';
import { lineOf, parseYaml, readSourceFile, toJs, tryParseYaml } from './yaml-source.js';

export interface WorkflowFile {
  readonly definition: WorkflowDefinition;
  /** The absolute path the definition was read from. */
  readonly file: string;
}

/** Reads and validates a workflow file; errors name `path` as given, with the line when known. */
export function loadWorkflowFile(path: string, options: WorkflowParseOptions): WorkflowFile {
  const text = readSourceFile(path, { field: 'file', kind: 'workflow file' });
  return { definition: parseWorkflowText(text, path, options), file: resolve(path) };
}

/**
 * Parses and validates workflow text. `fileLabel` names the source in messages and picks the
 * format: a name ending in `.json` is read as JSON, anything else as YAML.
 */
export function parseWorkflowText(
  text: string,
  fileLabel: string,
  options: WorkflowParseOptions,
): WorkflowDefinition {
  const json = /\.json$/i.test(fileLabel);
  let source: YamlSource | null = null;
  let raw: unknown;
  if (json) {
    raw = parseJsonText(text, fileLabel);
  } else {
    source = parseYaml(text, fileLabel);
    raw = toJs(source.document, fileLabel);
  }
  try {
    return parseWorkflowDefinition(raw, options);
  } catch (error) {
    if (!(error instanceof BosunError) || !Array.isArray(error.details['path'])) throw error;
    const path = error.details['path'] as JsonPathSegment[];
    // JSON is valid YAML, so the YAML parser can find the line of a JSON file's node too.
    source ??= tryParseYaml(text);
    const line = source === null ? null : lineOf(source, path);
    const at = line === null ? fileLabel : `${fileLabel}:${line}`;
    throw new BosunError(error.code, `${at}: ${error.message}`, {
      details: { ...error.details, file: fileLabel, ...(line === null ? {} : { line }) },
      cause: error,
    });
  }
}

function parseJsonText(text: string, fileLabel: string): unknown {
  try {
    return parseJson(text, fileLabel);
  } catch (error) {
    // Name the line and column when the parser says where (`… at position 42`).
    const position = /at position (\d+)/.exec((error as Error).message);
    if (!(error instanceof BosunError) || position === null) throw error;
    const lines = new LineCounter();
    lines.addNewLine(0);
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) {
      lines.addNewLine(at + 1);
    }
    const { line, col } = lines.linePos(Number(position[1]));
    throw new BosunError(
      error.code,
      error.message.replace(`${fileLabel}:`, `${fileLabel}:${line}:${col}:`),
      { details: { ...error.details, file: fileLabel, line, column: col }, cause: error },
    );
  }
}
