/**
 * The `{{ … }}` template language of workflow steps (`input` and `with` values). It is deliberately
 * tiny — a reference, never code: `{{ input.NAME }}` or `{{ steps.STEP_ID.output }}`, each followed
 * by any number of `.key` / `.0` path segments. There are no filters, operators or function calls,
 * so a template can be checked completely when the workflow is loaded (templateReferences) and
 * rendered without surprises when a step runs (renderTemplate).
 *
 * Rendering rules: a string that is exactly one expression (no other text, not even spaces)
 * becomes the referenced value itself, so objects, lists and numbers pass through unchanged.
 * Expressions inside other text are interpolated: strings as they are, numbers and booleans in
 * their JSON form, objects and lists as compact JSON, null as the empty string. Anything that does
 * not exist when the step runs (a key the upstream output lacks, an index past the end, a step
 * with no recorded output) renders like null: null in whole-value position, '' inside text — the
 * shape of an upstream output is only known at run time, and "missing" and "null" mean the same
 * to a step. Only string values are templated, never object keys; `\{{` writes a literal `{{`
 * (for commands that contain Go or Jinja templates themselves).
 */

import { BosunError } from '../shared/errors.js';
import type { JsonValue } from './workflow.js';

/** A step of a path into a JSON value: an object key or a list index. */
export type JsonPathSegment = string | number;
export type JsonPath = readonly JsonPathSegment[];

interface ReferenceBase {
  /** Keys and indexes after the root (`steps.a.output.items.0` → ['items', 0]). */
  readonly path: JsonPath;
  /** Where the string holding the expression sits inside the templated value. */
  readonly at: JsonPath;
  /** The expression as written, braces included, for messages. */
  readonly expression: string;
}

export type TemplateReference =
  | (ReferenceBase & { readonly kind: 'input'; readonly name: string })
  | (ReferenceBase & { readonly kind: 'step'; readonly step: string });

export interface TemplateScope {
  readonly input: { readonly [name: string]: JsonValue };
  readonly steps: { readonly [stepId: string]: { readonly output: JsonValue } };
}

type Reference =
  | { readonly kind: 'input'; readonly name: string; readonly path: JsonPath }
  | { readonly kind: 'step'; readonly step: string; readonly path: JsonPath };

interface ParsedTemplate {
  /** Set when the whole string is one expression: the value replaces the string. */
  readonly whole: Reference | null;
  /** Literal text and references in order (only used when `whole` is null). */
  readonly parts: readonly (string | Reference)[];
  readonly expressions: readonly { readonly reference: Reference; readonly source: string }[];
}

const OPEN = '{{';
const CLOSE = '}}';
// Compiled once: rendering runs for every step attempt.
const EXPRESSION =
  /^(?:input\.([A-Za-z_][A-Za-z0-9_-]*)|steps\.([A-Za-z][A-Za-z0-9_-]*)\.output)((?:\.(?:[A-Za-z_][A-Za-z0-9_-]*|\d+))*)$/;
const SEGMENT = /\.([A-Za-z_][A-Za-z0-9_-]*|\d+)/g;
const EXPRESSION_FORMS =
  'use {{ input.NAME }} or {{ steps.STEP_ID.output }}, optionally followed by .key or .0 segments';

/** Every reference in `value` (strings at any depth), in document order. Throws on a malformed one. */
export function templateReferences(value: JsonValue): TemplateReference[] {
  const found: TemplateReference[] = [];
  walkStrings(value, [], (text, at) => {
    if (!text.includes(OPEN)) return;
    const where = [...at];
    for (const { reference, source } of parseTemplate(text, where).expressions) {
      found.push(
        reference.kind === 'input'
          ? {
              kind: 'input',
              name: reference.name,
              path: reference.path,
              at: where,
              expression: source,
            }
          : {
              kind: 'step',
              step: reference.step,
              path: reference.path,
              at: where,
              expression: source,
            },
      );
    }
  });
  return found;
}

/** The distinct step ids `value` reads outputs from, in order of first appearance. */
export function listReferencedSteps(value: JsonValue): string[] {
  const steps = new Set<string>();
  for (const reference of templateReferences(value)) {
    if (reference.kind === 'step') steps.add(reference.step);
  }
  return [...steps];
}

/**
 * Renders every string of `value` against `scope` (see the module comment for the rules). Parts
 * without templates are returned as the very same objects, so a value with no `{{` costs one
 * walk and no allocation.
 */
export function renderTemplate(value: JsonValue, scope: TemplateScope): JsonValue {
  return render(value, scope, []);
}

function render(value: JsonValue, scope: TemplateScope, at: JsonPathSegment[]): JsonValue {
  if (typeof value === 'string') return renderString(value, scope, at);
  if (value === null || typeof value !== 'object') return value;
  if (isList(value)) {
    let copy: JsonValue[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      at.push(i);
      const rendered = render(item, scope, at);
      at.pop();
      if (rendered !== item && copy === null) copy = value.slice(0, i);
      if (copy !== null) copy.push(rendered);
    }
    return copy ?? value;
  }
  let copy: { [key: string]: JsonValue } | null = null;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = value[key]!;
    at.push(key);
    const rendered = render(item, scope, at);
    at.pop();
    if (rendered !== item && copy === null) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]!] = value[keys[j]!]!;
    }
    if (copy !== null) copy[key] = rendered;
  }
  return copy ?? value;
}

function renderString(text: string, scope: TemplateScope, at: JsonPath): JsonValue {
  if (!text.includes(OPEN)) return text;
  const parsed = parseTemplate(text, at);
  if (parsed.whole !== null) return lookup(parsed.whole, scope) ?? null;
  let out = '';
  for (const part of parsed.parts) {
    out += typeof part === 'string' ? part : interpolated(lookup(part, scope));
  }
  return out;
}

function interpolated(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function lookup(reference: Reference, scope: TemplateScope): JsonValue | undefined {
  let at: JsonValue | undefined;
  if (reference.kind === 'input') {
    at = Object.hasOwn(scope.input, reference.name) ? scope.input[reference.name] : undefined;
  } else {
    at = Object.hasOwn(scope.steps, reference.step)
      ? scope.steps[reference.step]!.output
      : undefined;
  }
  for (const segment of reference.path) {
    if (at === undefined || at === null || typeof at !== 'object') return undefined;
    if (isList(at)) {
      if (typeof segment !== 'number') return undefined;
      at = at[segment];
    } else {
      // Own keys only: `.constructor` or `.__proto__` must not reach into JavaScript objects.
      const key = String(segment);
      at = Object.hasOwn(at, key) ? at[key] : undefined;
    }
  }
  return at;
}

function parseTemplate(text: string, at: JsonPath): ParsedTemplate {
  const parts: (string | Reference)[] = [];
  const expressions: { reference: Reference; source: string }[] = [];
  let literal = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf(OPEN, from);
    if (open < 0) break;
    if (open > 0 && text[open - 1] === '\\') {
      literal += text.slice(from, open - 1) + OPEN;
      from = open + OPEN.length;
      continue;
    }
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) {
      throw templateError(at, text.slice(open), `'${OPEN}' is never closed with '${CLOSE}'`);
    }
    const source = text.slice(open, close + CLOSE.length);
    const reference = parseExpression(text.slice(open + OPEN.length, close).trim(), source, at);
    literal += text.slice(from, open);
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(reference);
    expressions.push({ reference, source });
    from = close + CLOSE.length;
  }
  literal += text.slice(from);
  if (literal !== '') parts.push(literal);
  const only = parts.length === 1 ? parts[0]! : null;
  return { whole: only !== null && typeof only !== 'string' ? only : null, parts, expressions };
}

function parseExpression(expression: string, source: string, at: JsonPath): Reference {
  const match = EXPRESSION.exec(expression);
  if (match === null) {
    const rule =
      expression === ''
        ? `'${source}' is an empty template expression; ${EXPRESSION_FORMS}`
        : `'${source}' is not a template expression; ${EXPRESSION_FORMS}`;
    throw templateError(at, source, rule);
  }
  const path: JsonPathSegment[] = [];
  for (const [, segment] of (match[3] ?? '').matchAll(SEGMENT)) {
    path.push(/^\d/.test(segment!) ? Number(segment) : segment!);
  }
  return match[1] !== undefined
    ? { kind: 'input', name: match[1], path }
    : { kind: 'step', step: match[2]!, path };
}

function templateError(at: JsonPath, expression: string, rule: string): BosunError {
  const field = at.length > 0 ? at.join('.') : '(value)';
  return new BosunError('invalid_input', `${field}: ${rule}`, {
    details: { path: [...at], field, rule, expression },
  });
}

function walkStrings(
  value: JsonValue,
  at: JsonPathSegment[],
  visit: (text: string, at: JsonPath) => void,
): void {
  if (typeof value === 'string') {
    visit(value, at);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (isList(value)) {
    for (let i = 0; i < value.length; i++) {
      at.push(i);
      walkStrings(value[i]!, at, visit);
      at.pop();
    }
    return;
  }
  for (const key of Object.keys(value)) {
    at.push(key);
    walkStrings(value[key]!, at, visit);
    at.pop();
  }
}

// Array.isArray does not narrow readonly arrays out of a union; this does.
function isList(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}
