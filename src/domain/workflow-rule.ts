/**
 * Workflow rules: declarative guards on status changes (docs/command-center.md "Workflow rules").
 * A rule names an entity (a task, or a kind of project record with a status), optionally the
 * statuses it moves from and to, a project, and conditions over the record's fields as they are
 * before the change; its outcome is `allow`, `deny` (with a reason) or `require` (an approval).
 * Rules are taken in order — bosun.yaml's first, as written, then a project's rule records by
 * number — and the first that matches decides. The rules live here as data and pure functions;
 * core/services/workflow-rules.ts runs them on every status change and records each decision.
 */

import { z } from 'zod';
import { ACTION_STATUSES } from './action.js';
import { optionalText, projectKeySchema } from './fields.js';
import { projectRecordFields } from './project-record.js';
import { RISK_STATUSES } from './risk.js';
import { TASK_STATUSES } from './task.js';
import { TEST_PLAN_STATUSES } from './quality.js';

export const RULE_OUTCOMES = ['allow', 'deny', 'require'] as const;
export type RuleOutcome = (typeof RULE_OUTCOMES)[number];

/**
 * The statuses and the fields a condition may name, for the entities whose shape is known here.
 * A rule on another record kind (one with a status that a later part adds) is accepted with any
 * status and field names; a condition on a field such a record lacks never matches.
 */
export const RULE_ENTITY_SHAPES: Readonly<
  Record<string, { readonly statuses: readonly string[]; readonly fields: readonly string[] }>
> = {
  task: {
    statuses: TASK_STATUSES,
    fields: [
      'title',
      'description',
      'priority',
      'role',
      'tags',
      'estimate',
      'assignee',
      'acceptance',
      'scope',
    ],
  },
  risk: {
    statuses: RISK_STATUSES,
    fields: [
      'title',
      'description',
      'likelihood',
      'impact',
      'score',
      'level',
      'mitigation',
      'owner',
      'reviewDate',
    ],
  },
  action: {
    statuses: ACTION_STATUSES,
    fields: ['title', 'description', 'owner', 'dueDate', 'source', 'sourceRef'],
  },
  testplan: {
    statuses: TEST_PLAN_STATUSES,
    fields: ['title', 'description', 'template', 'requiresApproval'],
  },
};

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * One field's condition: a plain value means equal (for a list field such as tags: contains);
 * an object holds operators that must all be true.
 */
export const ConditionSchema = z.union([
  scalar,
  z
    .strictObject({
      in: z.array(scalar).min(1, 'must list at least one value').optional(),
      not_in: z.array(scalar).min(1, 'must list at least one value').optional(),
      gte: z.union([z.number(), z.string()]).optional(),
      lte: z.union([z.number(), z.string()]).optional(),
      contains: z.union([z.string(), z.number()]).optional(),
      exists: z.boolean().optional(),
    })
    .refine(
      (ops) => Object.keys(ops).length > 0,
      'must hold an operator: in, not_in, gte, lte, contains or exists',
    ),
]);
export type Condition = z.infer<typeof ConditionSchema>;

const statusName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be a status name (lower case, digits, _)');

export const ruleNameSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/i, 'must be 1–100 letters, digits, _ . - (no spaces)');

/** A rule as written in bosun.yaml (`rules:`) or as the fields of a rule record. */
export const RuleDefinitionSchema = z.strictObject({
  name: ruleNameSchema,
  entity: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'must be an entity name such as task, risk or action'),
  from: z.array(statusName).min(1, 'must list at least one status').optional(),
  to: z.array(statusName).min(1, 'must list at least one status').optional(),
  project: projectKeySchema.optional(),
  when: z.record(z.string(), ConditionSchema).optional(),
  then: z.enum(RULE_OUTCOMES),
  reason: optionalText(1_000).optional(),
  approver: z.string().trim().min(1, 'must not be empty').max(100).optional(),
});
export type RuleDefinition = z.infer<typeof RuleDefinitionSchema>;

/** A problem with a rule: the path inside it (`when.priorty`) and the rule broken. */
export interface RuleProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * What zod cannot see alone: the entity exists, its statuses and condition fields are its own.
 * `entities` are the names a rule may use (task and the kinds of project record).
 */
export function checkRuleDefinition(
  rule: RuleDefinition,
  entities: readonly string[],
): RuleProblem | undefined {
  if (!entities.includes(rule.entity)) {
    return { path: ['entity'], message: `must be one of ${entities.join(', ')}` };
  }
  const shape = RULE_ENTITY_SHAPES[rule.entity];
  if (!shape) return undefined;
  for (const side of ['from', 'to'] as const) {
    const bad = (rule[side] ?? []).findIndex((status) => !shape.statuses.includes(status));
    if (bad >= 0) {
      return {
        path: [side, bad],
        message: `unknown status for ${rule.entity}; one of ${shape.statuses.join(', ')}`,
      };
    }
  }
  for (const field of Object.keys(rule.when ?? {})) {
    if (!shape.fields.includes(field)) {
      return {
        path: ['when', field],
        message: `unknown field for ${rule.entity}; one of ${shape.fields.join(', ')}`,
      };
    }
  }
  if (rule.then !== 'require' && rule.approver !== undefined) {
    return { path: ['approver'], message: "is only for rules whose outcome is 'require'" };
  }
  return undefined;
}

export const RULE_SOURCES = ['yaml', 'record', 'builtin'] as const;
export type RuleSource = (typeof RULE_SOURCES)[number];

/** A rule ready to evaluate: its definition and where it came from. */
export interface WorkflowRule {
  readonly definition: RuleDefinition;
  readonly source: 'yaml' | 'record';
  /** The record's ref (HOME-W2); null for a rule of bosun.yaml. */
  readonly ref: string | null;
}

/** One status change as the rules see it: the record's fields are those before the change. */
export interface Transition {
  readonly entity: string;
  readonly projectKey: string;
  readonly from: string;
  readonly to: string;
  readonly record: Readonly<Record<string, unknown>>;
}

function compare(a: unknown, b: number | string): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function holds(value: unknown, condition: Condition): boolean {
  if (condition === null || typeof condition !== 'object') {
    return Array.isArray(value) ? value.includes(condition) : value === condition;
  }
  const ops = condition;
  const present = value !== null && value !== undefined;
  if (ops.exists !== undefined && ops.exists !== present) return false;
  if (ops.in !== undefined && !ops.in.some((option) => option === (value ?? null))) return false;
  if (ops.not_in !== undefined && ops.not_in.some((option) => option === (value ?? null)))
    return false;
  if (ops.gte !== undefined && !((compare(value, ops.gte) ?? -1) >= 0)) return false;
  if (ops.lte !== undefined && !((compare(value, ops.lte) ?? 1) <= 0)) return false;
  if (ops.contains !== undefined) {
    if (Array.isArray(value)) return value.includes(ops.contains);
    if (typeof value === 'string') return value.includes(String(ops.contains));
    return false;
  }
  return true;
}

export const WorkflowRule = {
  /** Whether `rule` speaks about `transition`: entity, project, statuses and every condition. */
  matches(rule: RuleDefinition, transition: Transition): boolean {
    if (rule.entity !== transition.entity) return false;
    if (rule.project !== undefined && rule.project !== transition.projectKey) return false;
    if (rule.from !== undefined && !rule.from.includes(transition.from)) return false;
    if (rule.to !== undefined && !rule.to.includes(transition.to)) return false;
    return Object.entries(rule.when ?? {}).every(([field, condition]) =>
      holds(transition.record[field], condition),
    );
  },
  /** The rule that decides: the first in order that matches; undefined when none does. */
  decide(rules: readonly WorkflowRule[], transition: Transition): WorkflowRule | undefined {
    return rules.find((rule) => WorkflowRule.matches(rule.definition, transition));
  },
};

/** A rule kept as a project record (HOME-W2); its project is the only one it guards. */
export const RuleRecordSchema = z.object({
  ...projectRecordFields('rule'),
  name: ruleNameSchema,
  entity: z.string(),
  from: z.array(z.string()).nullable(),
  to: z.array(z.string()).nullable(),
  when: z.record(z.string(), ConditionSchema),
  then: z.enum(RULE_OUTCOMES),
  reason: z.string(),
  approver: z.string().nullable(),
});
export type RuleRecord = Readonly<z.infer<typeof RuleRecordSchema>>;

export const DECISION_OUTCOMES = ['allow', 'deny', 'require', 'approved'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** One evaluation that a rule (or the quality gate) decided, kept for audit. */
export const RuleDecisionSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  operation: z.string(),
  rule: z.string(),
  ruleRef: z.string().nullable(),
  source: z.enum(RULE_SOURCES),
  entity: z.string(),
  recordId: z.string(),
  recordRef: z.string(),
  from: z.string(),
  to: z.string(),
  /** The record's fields before the change, as the rule saw them. */
  input: z.record(z.string(), z.unknown()),
  outcome: z.enum(DECISION_OUTCOMES),
  reason: z.string().nullable(),
});
export type RuleDecision = Readonly<z.infer<typeof RuleDecisionSchema>>;

/** An approval a `require` rule asked for, granted or not, used once by the move it approves. */
export const TransitionApprovalSchema = z.object({
  id: z.string(),
  rule: z.string(),
  ruleRef: z.string().nullable(),
  entity: z.string(),
  recordId: z.string(),
  recordRef: z.string(),
  from: z.string(),
  to: z.string(),
  approver: z.string().nullable(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  comment: z.string().nullable(),
  consumedAt: z.string().nullable(),
});
export type TransitionApproval = Readonly<z.infer<typeof TransitionApprovalSchema>>;
