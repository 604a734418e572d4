/**
 * The workflow file format (the YAML or JSON document people write, snake_case and strict) and
 * its validation into a normalized WorkflowDefinition. Every refusal is a BosunError whose details
 * carry the `path` into the document (so app/workflow-file.ts can name the line), the `step` id,
 * the dotted `field` and the `rule`, and whose message reads
 * `steps[2] (deploy).needs[0]: unknown step 'biuld'`. Checks run in document order and stop at
 * the first problem; the whole pass is linear in the size of the workflow, so a 10,000-step file
 * validates in milliseconds.
 */

import { z } from 'zod';
import { parseDuration } from '../shared/duration.js';
import { BosunError, invalidInput } from '../shared/errors.js';
import { optionalText, requiredText } from './fields.js';
import type { JsonPath, JsonPathSegment } from './template.js';
import { templateReferences } from './template.js';
import type {
  JsonValue,
  RetryPolicy,
  StepDefinition,
  WorkflowDefinition,
  WorkflowInputDefinition,
} from './workflow.js';
import { APPROVAL_PHASES, NO_RETRY, ON_REJECT } from './workflow.js';

export interface WorkflowParseOptions {
  /** Runner names a step may name in `runner:` (`mock`, `shell`, …). */
  readonly knownRunners: readonly string[];
  /** When given, `agent:` must name one of these; otherwise agents are checked when the run starts. */
  readonly knownAgents?: readonly string[];
}

export const MAX_STEPS = 10_000;
export const STEP_ID_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
const INPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const DEFAULT_BACKOFF_MS = 1_000;
const DEFAULT_FACTOR = 2;
const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000;
const MAX_JSON_DEPTH = 64;

const TOP_KEYS = ['name', 'description', 'input', 'groups', 'steps'];
const STEP_KEYS = [
  'id',
  'runner',
  'agent',
  'role',
  'with',
  'input',
  'needs',
  'approval',
  'on_reject',
  'retry',
  'timeout',
  'concurrency',
];
const RETRY_KEYS = ['attempts', 'backoff', 'factor', 'max_backoff'];
const INPUT_KEYS = ['default', 'description', 'required'];

// ---------------------------------------------------------------------------------------------
// The document schema: shapes, types and formats. Rules that relate fields to each other (needs,
// templates, runner XOR agent/role) are checked afterwards, where the message can name both.

const stepIdSchema = z
  .string()
  .regex(
    STEP_ID_PATTERN,
    "must be 1-64 lower-case letters, digits, '-' or '_', starting with a letter",
  );

const nameRefSchema = z.string().trim().min(1, 'must not be empty').max(200, 'is too long');

const durationSchema = z
  .string('must be a duration such as 90s, 15m or 1h30m')
  .transform((text, ctx) => {
    try {
      return parseDuration(text, '');
    } catch (error) {
      const rule =
        error instanceof BosunError ? String(error.details['rule']) : 'is not a duration';
      ctx.addIssue({ code: 'custom', message: rule });
      return z.NEVER;
    }
  });

/** Any JSON value. Written as a walk rather than z.json() so the message names the bad spot. */
const jsonValueSchema = z.unknown().superRefine((value, ctx) => {
  const problem = findNonJson(value, [], 0);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem.rule, path: problem.path });
});

const jsonObjectSchema = z.record(z.string(), jsonValueSchema);

const inputDeclarationSchema = z.preprocess(
  // A scalar or a list is a default; an object is always a declaration (an object default is
  // written `default: {…}`), which keeps `{ description: … }` unambiguous.
  (value) => (isPlainObject(value) ? value : { default: value }),
  z.strictObject({
    default: jsonValueSchema.optional(),
    description: optionalText(2_000).optional(),
    required: z.boolean().optional(),
  }),
);

const retrySchema = z.preprocess(
  (value) => (typeof value === 'number' ? { attempts: value } : value),
  z.strictObject({
    attempts: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1 (the first try counts)')
      .max(100, 'must be at most 100'),
    backoff: durationSchema.nullish(),
    factor: z.number().min(1, 'must be at least 1').max(10, 'must be at most 10').nullish(),
    max_backoff: durationSchema.nullish(),
  }),
);

const stepSchema = z.strictObject({
  id: stepIdSchema,
  runner: nameRefSchema.nullish(),
  agent: nameRefSchema.nullish(),
  role: nameRefSchema.nullish(),
  with: jsonObjectSchema.nullish(),
  input: jsonValueSchema.optional(),
  needs: z
    .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(z.string()))
    .nullish(),
  approval: z.enum(APPROVAL_PHASES).nullish(),
  on_reject: z.enum(ON_REJECT).nullish(),
  retry: retrySchema.nullish(),
  timeout: durationSchema.nullish(),
  concurrency: stepIdSchema.nullish(),
});

const documentSchema = z.strictObject({
  name: requiredText(100),
  description: optionalText(10_000).nullish(),
  input: z
    .record(
      z
        .string()
        .regex(
          INPUT_NAME_PATTERN,
          "must be 1-64 letters, digits, '-' or '_', starting with a letter or '_'",
        ),
      inputDeclarationSchema,
    )
    .nullish(),
  groups: z
    .record(
      stepIdSchema,
      z
        .number()
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(10_000, 'must be at most 10000'),
    )
    .nullish(),
  steps: z
    .array(stepSchema)
    .min(1, 'must list at least one step')
    .max(MAX_STEPS, `must list at most ${MAX_STEPS} steps`),
});

type WorkflowDocument = z.infer<typeof documentSchema>;
type StepDocument = WorkflowDocument['steps'][number];

// ---------------------------------------------------------------------------------------------

/**
 * Validates a parsed workflow document (from YAML, JSON or the API) and returns it normalized:
 * steps ordered so each comes after everything it needs (definition order wherever that already
 * holds), retry and timeouts in milliseconds, group limits resolved.
 */
export function parseWorkflowDefinition(
  raw: unknown,
  options: WorkflowParseOptions,
): WorkflowDefinition {
  const document = parseDocument(raw);
  const errors = new ErrorFactory(document.steps.map((step) => step.id));
  const inputs = normalizeInputs(document, errors);

  const indexOf = new Map<string, number>();
  document.steps.forEach((step, index) => {
    const first = indexOf.get(step.id);
    if (first !== undefined) {
      throw errors.at(
        ['steps', index, 'id'],
        `duplicate step id '${step.id}' (already used by steps[${first}])`,
      );
    }
    indexOf.set(step.id, index);
  });

  // Needs as step indexes (deduplicated), so the graph passes below do no string lookups.
  const needs: number[][] = [];
  const retries: RetryPolicy[] = [];
  const stepReferences: UpstreamReference[] = [];
  const context: TemplateContext = {
    declaredInputs: Object.keys(document.input ?? {}),
    indexOf,
    errors,
    upstream: stepReferences,
  };
  document.steps.forEach((step, index) => {
    checkExecutor(step, index, options, errors);
    if (step.on_reject != null && step.approval == null) {
      throw errors.at(
        ['steps', index, 'on_reject'],
        'applies only to a step with approval (set approval: before or after)',
      );
    }
    retries.push(normalizeRetry(step.retry ?? null, index, errors));
    const stepNeeds = checkNeeds(step, index, indexOf, errors);
    needs.push(stepNeeds);
    for (const field of ['with', 'input'] as const) {
      const value = step[field] as JsonValue | undefined;
      if (value != null) checkTemplates(value, field, step.id, index, stepNeeds, context);
    }
  });

  const order = orderSteps(needs, document.steps, errors);
  checkUpstream(stepReferences, order, needs, errors);

  const groups = document.groups ?? {};
  const steps = order.map((index) =>
    normalizeStep(
      document.steps[index]!,
      needs[index]!.map((dep) => document.steps[dep]!.id),
      retries[index]!,
      groups,
    ),
  );
  return {
    name: document.name,
    description: document.description ?? '',
    inputs,
    steps,
  };
}

/**
 * The values a run starts with: `given` checked against the declared inputs, defaults filled in.
 * Refuses a key the workflow does not declare and a required input that is missing.
 */
export function resolveWorkflowInput(
  definition: WorkflowDefinition,
  given: { readonly [name: string]: JsonValue | undefined },
): Record<string, JsonValue> {
  const declared = Object.keys(definition.inputs);
  for (const name of Object.keys(given)) {
    if (given[name] === undefined || Object.hasOwn(definition.inputs, name)) continue;
    throw invalidInput(
      `input.${name}`,
      declared.length === 0
        ? `is not an input of workflow '${definition.name}' (it declares no inputs)`
        : `is not an input of workflow '${definition.name}' (inputs: ${declared.join(', ')})`,
    );
  }
  const resolved: Record<string, JsonValue> = {};
  for (const name of declared) {
    const declaration = definition.inputs[name]!;
    const value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (value !== undefined) resolved[name] = value;
    else if (declaration.default !== undefined) resolved[name] = declaration.default;
    else {
      throw invalidInput(
        `input.${name}`,
        declaration.description === '' ? 'is required' : `is required (${declaration.description})`,
      );
    }
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------

interface UpstreamReference {
  readonly stepIndex: number;
  /** Index of the referenced step. */
  readonly target: number;
  readonly targetId: string;
  readonly path: JsonPath;
}

/** Builds errors whose message and details name the place in the document. */
class ErrorFactory {
  constructor(private readonly stepIds: readonly (string | undefined)[]) {}

  at(
    path: JsonPath,
    rule: string,
    code: 'invalid_input' | 'cycle' = 'invalid_input',
    extra: Record<string, unknown> = {},
  ): BosunError {
    const step =
      path[0] === 'steps' && typeof path[1] === 'number' ? this.stepIds[path[1]] : undefined;
    return new BosunError(code, `${this.describe(path)}: ${rule}`, {
      details: {
        path: [...path],
        ...(step === undefined ? {} : { step }),
        field: path.length === 0 ? '(document)' : path.join('.'),
        rule,
        ...extra,
      },
    });
  }

  /** `steps[2] (deploy).needs[0]`, `input.ticket`, `(document)`. */
  describe(path: JsonPath): string {
    if (path.length === 0) return '(document)';
    let text = '';
    path.forEach((segment, position) => {
      if (typeof segment === 'number') text += `[${segment}]`;
      else text += position === 0 ? segment : `.${segment}`;
      if (position === 1 && path[0] === 'steps' && typeof segment === 'number') {
        const id = this.stepIds[segment];
        if (id !== undefined) text += ` (${id})`;
      }
    });
    return text;
  }
}

function parseDocument(raw: unknown): WorkflowDocument {
  const result = documentSchema.safeParse(raw, { error: plainMessages });
  if (result.success) return result.data;
  const rawSteps = isPlainObject(raw) && Array.isArray(raw['steps']) ? raw['steps'] : [];
  const errors = new ErrorFactory(
    rawSteps.map((step: unknown) =>
      isPlainObject(step) && typeof step['id'] === 'string' ? step['id'] : undefined,
    ),
  );
  if (raw === null || raw === undefined) {
    throw errors.at([], 'is empty; a workflow needs at least a name and steps');
  }
  // Report the problem that comes first in the document, not the one zod happened to find first.
  const located = result.error.issues.map((issue) => locate(issue));
  located.sort((a, b) => compareOrder(documentOrder(raw, a.path), documentOrder(raw, b.path)));
  const first = located[0]!;
  throw errors.at(first.path, first.rule);
}

function locate(issue: z.core.$ZodIssue): { path: JsonPathSegment[]; rule: string } {
  const path = issue.path.filter(
    (segment): segment is JsonPathSegment => typeof segment !== 'symbol',
  );
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = knownKeysAt(path);
    const hint = suggestion(key, known);
    return {
      path: [...path, key],
      rule: `is not a known key${hint ?? `; known keys: ${known.join(', ')}`}`,
    };
  }
  if (issue.code === 'invalid_type' && path.at(-1) === 'retry' && path[0] === 'steps') {
    return {
      path,
      rule: 'must be a number of attempts or a mapping with attempts, backoff, factor, max_backoff',
    };
  }
  if (issue.code === 'invalid_key') {
    return { path, rule: issue.issues[0]?.message ?? issue.message };
  }
  return { path, rule: issue.message };
}

function knownKeysAt(path: readonly JsonPathSegment[]): readonly string[] {
  if (path.length === 0) return TOP_KEYS;
  if (path[0] === 'steps' && path.length === 2) return STEP_KEYS;
  if (path[0] === 'steps' && path[2] === 'retry') return RETRY_KEYS;
  return INPUT_KEYS;
}

/** Zod's generic wording said the way bosun says rules: `must be a list, not a string`. */
function plainMessages(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    return `must be ${describeExpected(issue.expected)}, not ${describeValue(issue.input)}`;
  }
  if (issue.code === 'invalid_value' && issue.values.length > 1) {
    return `must be one of ${issue.values.map(String).join(', ')}`;
  }
  return undefined;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping (key: value)';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${expected}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/** The position of `path` in the raw document: key order of each object, index in each list. */
function documentOrder(raw: unknown, path: readonly JsonPathSegment[]): number[] {
  const order: number[] = [];
  let at = raw;
  for (const segment of path) {
    if (Array.isArray(at) && typeof segment === 'number') {
      order.push(segment);
      at = at[segment];
    } else if (isPlainObject(at)) {
      // A missing key (a required one) sorts before the object's present keys.
      order.push(Object.keys(at).indexOf(String(segment)));
      at = at[String(segment)];
    } else {
      break;
    }
  }
  return order;
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

function normalizeInputs(
  document: WorkflowDocument,
  errors: ErrorFactory,
): Record<string, WorkflowInputDefinition> {
  const inputs: Record<string, WorkflowInputDefinition> = {};
  for (const [name, declaration] of Object.entries(document.input ?? {})) {
    const hasDefault = declaration.default !== undefined;
    if (declaration.required === true && hasDefault) {
      throw errors.at(['input', name, 'required'], 'cannot be true when a default is given');
    }
    const description = declaration.description ?? '';
    if (hasDefault) inputs[name] = { description, default: declaration.default as JsonValue };
    // `required: false` without a default means "optional, null when not given".
    else if (declaration.required === false) inputs[name] = { description, default: null };
    else inputs[name] = { description };
  }
  return inputs;
}

function checkExecutor(
  step: StepDocument,
  index: number,
  options: WorkflowParseOptions,
  errors: ErrorFactory,
): void {
  const set = (['runner', 'agent', 'role'] as const).filter((key) => step[key] != null);
  if (set.length === 0) {
    throw errors.at(['steps', index], 'must set one of runner, agent or role');
  }
  if (set.length > 1) {
    throw errors.at(
      ['steps', index, set[1]!],
      `cannot be combined with ${set[0]}; set exactly one of runner, agent or role`,
    );
  }
  if (step.runner != null && !options.knownRunners.includes(step.runner)) {
    throw errors.at(
      ['steps', index, 'runner'],
      `unknown runner '${step.runner}' (known runners: ${options.knownRunners.join(', ')})`,
    );
  }
  if (step.agent != null && options.knownAgents && !options.knownAgents.includes(step.agent)) {
    throw errors.at(
      ['steps', index, 'agent'],
      options.knownAgents.length === 0
        ? `unknown agent '${step.agent}' (no agents are defined)`
        : `unknown agent '${step.agent}' (known agents: ${options.knownAgents.join(', ')})`,
    );
  }
}

function checkNeeds(
  step: StepDocument,
  index: number,
  indexOf: ReadonlyMap<string, number>,
  errors: ErrorFactory,
): number[] {
  const needs = new Set<number>();
  (step.needs ?? []).forEach((need, position) => {
    const path = ['steps', index, 'needs', position];
    if (need === step.id) throw errors.at(path, 'a step cannot need itself');
    const dep = indexOf.get(need);
    if (dep === undefined) {
      throw errors.at(path, `unknown step '${need}'${suggestion(need, [...indexOf.keys()]) ?? ''}`);
    }
    needs.add(dep);
  });
  return [...needs];
}

interface TemplateContext {
  readonly declaredInputs: readonly string[];
  readonly indexOf: ReadonlyMap<string, number>;
  readonly errors: ErrorFactory;
  /** Collects references to steps that are not direct needs, checked once the order is known. */
  readonly upstream: UpstreamReference[];
}

function checkTemplates(
  value: JsonValue,
  field: 'with' | 'input',
  stepId: string,
  index: number,
  needs: readonly number[],
  context: TemplateContext,
): void {
  const { declaredInputs, indexOf, errors } = context;
  const base = ['steps', index, field];
  let references;
  try {
    references = templateReferences(value);
  } catch (error) {
    if (!(error instanceof BosunError)) throw error;
    const at = (error.details['path'] as JsonPath | undefined) ?? [];
    throw errors.at([...base, ...at], String(error.details['rule']));
  }
  if (references.length === 0) return;
  const direct = new Set(needs);
  for (const reference of references) {
    const where = (): JsonPath => [...base, ...reference.at];
    if (reference.kind === 'input') {
      if (declaredInputs.includes(reference.name)) continue;
      throw errors.at(
        where(),
        declaredInputs.length === 0
          ? `references input.${reference.name}, but the workflow declares no inputs (add it under input)`
          : `references input.${reference.name}, which is not declared under input (declared: ${declaredInputs.join(', ')})`,
      );
    }
    if (reference.step === stepId) {
      throw errors.at(where(), `references its own output (steps.${reference.step})`);
    }
    const target = indexOf.get(reference.step);
    if (target === undefined) {
      throw errors.at(
        where(),
        `references steps.${reference.step}, which is not a step${suggestion(reference.step, [...indexOf.keys()]) ?? ''}`,
      );
    }
    // A direct need is upstream by definition; only the others need the graph walk.
    if (direct.has(target)) continue;
    context.upstream.push({ stepIndex: index, target, targetId: reference.step, path: where() });
  }
}

/**
 * A topological order that keeps definition order wherever it already holds: each step is placed
 * right after the (transitive) needs it has that are not placed yet. An iterative depth-first walk,
 * so a 10,000-step chain cannot overflow the stack; meeting a step that is still on the walk's
 * stack means a cycle, named from that stack.
 */
function orderSteps(
  needs: readonly (readonly number[])[],
  steps: readonly StepDocument[],
  errors: ErrorFactory,
): number[] {
  const state = new Uint8Array(steps.length); // 0 new, 1 on the stack, 2 placed
  const order: number[] = [];
  const stack: number[] = [];
  const cursor: number[] = [];
  for (let start = 0; start < steps.length; start++) {
    if (state[start] !== 0) continue;
    stack.push(start);
    cursor.push(0);
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack.length - 1;
      const node = stack[top]!;
      const next = cursor[top]!;
      const deps = needs[node]!;
      if (next < deps.length) {
        cursor[top] = next + 1;
        const dep = deps[next]!;
        if (state[dep] === 1) throw cycleError(stack.slice(stack.indexOf(dep)), dep);
        if (state[dep] === 0) {
          state[dep] = 1;
          stack.push(dep);
          cursor.push(0);
        }
        continue;
      }
      state[node] = 2;
      order.push(node);
      stack.pop();
      cursor.pop();
    }
  }
  return order;

  function cycleError(loop: readonly number[], closing: number): BosunError {
    // Each step on the stack was entered as a need of the one below it, so the loop reads
    // "loop[0] needs loop[1] needs … needs closing (= loop[0])".
    const cycle = [...loop, closing].map((index) => steps[index]!.id);
    const first = loop[0]!;
    const position = (steps[first]!.needs ?? []).indexOf(cycle[1]!);
    return errors.at(
      ['steps', first, 'needs', position],
      `needs form a cycle: ${cycle.join(' → ')}`,
      'cycle',
      { cycle },
    );
  }
}

/**
 * Refuses a template that reads a step outside the referencing step's transitive needs. A graph
 * search per reference would be quadratic on long chains; instead the referenced steps are taken
 * 32 at a time (sorted by position in the order) and one pass over the slice of the order between
 * the first of them and the last step referencing them propagates a 32-bit "is above me" mask.
 * Total work is O(steps + needs) per batch, and the slices are short in every realistic graph.
 */
function checkUpstream(
  references: readonly UpstreamReference[],
  order: readonly number[],
  needs: readonly (readonly number[])[],
  errors: ErrorFactory,
): void {
  if (references.length === 0) return;
  const position = new Int32Array(order.length);
  order.forEach((node, at) => (position[node] = at));
  const byTarget = new Map<number, UpstreamReference[]>();
  for (const reference of references) {
    const list = byTarget.get(reference.target);
    if (list) list.push(reference);
    else byTarget.set(reference.target, [reference]);
  }
  const targets = [...byTarget.keys()].sort((a, b) => position[a]! - position[b]!);
  const mask = new Uint32Array(order.length);
  const failures = new Set<UpstreamReference>();
  for (let first = 0; first < targets.length; first += 32) {
    const batch = targets.slice(first, first + 32);
    const bit = new Map(batch.map((target, k) => [target, (1 << k) >>> 0]));
    const from = position[batch[0]!]!;
    let to = from;
    for (const target of batch) {
      for (const reference of byTarget.get(target)!) {
        to = Math.max(to, position[reference.stepIndex]!);
      }
    }
    for (let at = from; at <= to; at++) {
      const node = order[at]!;
      let value = bit.get(node) ?? 0;
      for (const dep of needs[node]!) {
        if (position[dep]! >= from) value |= mask[position[dep]!]!;
      }
      mask[at] = value;
    }
    for (const target of batch) {
      for (const reference of byTarget.get(target)!) {
        const at = position[reference.stepIndex]!;
        if (at < from || (mask[at]! & bit.get(target)!) === 0) failures.add(reference);
      }
    }
  }
  // Report the failure that comes first in the document (references are in document order).
  const reference = references.find((candidate) => failures.has(candidate));
  if (reference === undefined) return;
  throw errors.at(
    reference.path,
    `references steps.${reference.targetId}, which is not among this step's needs (add it to needs)`,
  );
}

function normalizeStep(
  step: StepDocument,
  needs: readonly string[],
  retry: RetryPolicy,
  groups: Readonly<Record<string, number>>,
): StepDefinition {
  const group = step.concurrency ?? null;
  return {
    id: step.id,
    runner: step.runner ?? null,
    agent: step.agent ?? null,
    role: step.role ?? null,
    with: (step.with ?? {}) as { [key: string]: JsonValue },
    input: step.input === undefined ? null : (step.input as JsonValue),
    needs,
    approval: step.approval ?? null,
    onReject: step.on_reject ?? 'fail',
    retry,
    timeoutMs: step.timeout ?? null,
    group,
    groupLimit: group === null ? null : (groups[group] ?? 1),
    taskId: null,
  };
}

function normalizeRetry(
  retry: StepDocument['retry'],
  index: number,
  errors: ErrorFactory,
): RetryPolicy {
  if (retry == null || retry.attempts === 1) return NO_RETRY;
  const backoffMs = retry.backoff ?? DEFAULT_BACKOFF_MS;
  if (retry.max_backoff != null && retry.max_backoff < backoffMs) {
    throw errors.at(['steps', index, 'retry', 'max_backoff'], 'must not be shorter than backoff');
  }
  return {
    attempts: retry.attempts,
    backoffMs,
    factor: retry.factor ?? DEFAULT_FACTOR,
    // A long explicit backoff with no explicit cap raises the cap rather than being cut by it.
    maxBackoffMs: retry.max_backoff ?? Math.max(DEFAULT_MAX_BACKOFF_MS, backoffMs),
  };
}

/** The first thing in `value` that is not JSON (a non-finite number, a Date, …), or null. */
function findNonJson(
  value: unknown,
  path: JsonPathSegment[],
  depth: number,
): { path: JsonPathSegment[]; rule: string } | null {
  if (depth > MAX_JSON_DEPTH) {
    return { path: [...path], rule: `is nested more than ${MAX_JSON_DEPTH} levels deep` };
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : { path: [...path], rule: 'must be a finite number' };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const problem = findNonJson(value[i], path, depth + 1);
      path.pop();
      if (problem !== null) return problem;
    }
    return null;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      path.push(key);
      const problem = findNonJson(value[key], path, depth + 1);
      path.pop();
      if (problem !== null) return problem;
    }
    return null;
  }
  return { path: [...path], rule: 'is not a JSON value' };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * `; did you mean 'needs'?` when a known name is within two edits of `name` (a swap of two
 * neighbouring letters counts as one) and the edits are fewer than half its letters, so `c` is
 * not "corrected" to `a`.
 */
function suggestion(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.min(3, Math.ceil(name.length / 2));
  for (const candidate of known) {
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === null ? null : `; did you mean '${best}'?`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, rows[i - 2]![j - 2]! + 1);
      }
      row.push(distance);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
