/**
 * Workflow rules (docs/command-center.md "Workflow rules"): rules kept as project records
 * (HOME-W2) next to those of bosun.yaml, a dry run of which rule decides a move, the decision
 * log, and the approvals `require` rules ask for.
 */

import { z } from 'zod';
import {
  approveTransition,
  archiveRule,
  checkRule,
  createRule,
  listDecisions,
  listRules,
  listTransitionApprovals,
  restoreRule,
  showRule,
  updateRule,
} from '../core/services/rule-service.js';
import { optionalText } from '../domain/fields.js';
import {
  ConditionSchema,
  RULE_OUTCOMES,
  RuleDecisionSchema,
  RuleRecordSchema,
  TransitionApprovalSchema,
  ruleNameSchema,
} from '../domain/workflow-rule.js';
import { actorName, limit, projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const ruleKey = z.string().trim().min(1, 'must name a rule by ref (HOME-W2) or id');
const recordKey = z.string().trim().min(1, 'must name a task (HOME-12) or a record (HOME-R3)');
const statusName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a status name');
const entityName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be an entity such as task or risk');

const RULE_COLUMNS = ['ref', 'name', 'entity', 'from', 'to', 'then', 'approver', 'reason'];
const RULE_COLORS = { then: { allow: 'green', deny: 'red', require: 'yellow' } } as const;

// null clears a field (`--no-from`, `--no-to`, `--no-approver`).
const ruleFields = {
  from: z.array(statusName).min(1, 'must list at least one status').nullable().optional(),
  to: z.array(statusName).min(1, 'must list at least one status').nullable().optional(),
  when: z.record(z.string(), ConditionSchema).optional(),
  reason: optionalText(1_000).optional(),
  approver: actorName.nullable().optional(),
};

export const ruleOperations = [
  defineOperation({
    name: 'rule.add',
    summary:
      'Add a workflow rule to a project: when a status change matches, allow, deny or require an approval (ref PROJECT-W<n>)',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      name: ruleNameSchema,
      entity: entityName,
      then: z.enum(RULE_OUTCOMES),
      ...ruleFields,
    }),
    output: RuleRecordSchema,
    cli: {
      positional: ['project', 'name'],
      aliases: ['create', 'new'],
      columns: RULE_COLUMNS,
      colors: RULE_COLORS,
      examples: [
        'bosun rule add HOME no-p0-done --entity task --to done --when priority=p0 --then require --approver ana',
        'bosun rule add HOME hotfix --entity task --to done --when \'tags={"contains":"hotfix"}\' --then allow',
        'bosun rule add HOME keep-critical-open --entity risk --to closed --when level=critical --then deny --reason "the board closes critical risks"',
      ],
    },
    handler: (ctx, input) => createRule(ctx, input),
  }),
  defineOperation({
    name: 'rule.list',
    summary: "A project's rule records in the order they are evaluated (after bosun.yaml's)",
    effects: 'read',
    input: z.strictObject({ project: projectKey.optional(), archived: z.boolean().optional() }),
    output: z.array(RuleRecordSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: RULE_COLUMNS,
      colors: RULE_COLORS,
      empty: 'No rule records (bosun.yaml may still hold rules).',
      examples: ['bosun rule list HOME', 'bosun rule list --archived'],
    },
    handler: (ctx, input) => listRules(ctx, input),
  }),
  defineOperation({
    name: 'rule.show',
    summary: 'Show one rule record, archived or not',
    effects: 'read',
    input: z.strictObject({ rule: ruleKey }),
    output: RuleRecordSchema,
    cli: { positional: ['rule'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showRule(ctx, input),
  }),
  defineOperation({
    name: 'rule.update',
    summary: 'Change a rule record (its entity, statuses, conditions, outcome, reason, approver)',
    effects: 'write',
    input: z.strictObject({
      rule: ruleKey,
      name: ruleNameSchema.optional(),
      entity: entityName.optional(),
      then: z.enum(RULE_OUTCOMES).optional(),
      ...ruleFields,
    }),
    output: RuleRecordSchema,
    cli: {
      positional: ['rule'],
      aliases: ['edit', 'set'],
      columns: RULE_COLUMNS,
      colors: RULE_COLORS,
      examples: [
        'bosun rule update HOME-W1 --then deny --reason "frozen"',
        'bosun rule update HOME-W1 --no-from',
      ],
    },
    handler: (ctx, input) => updateRule(ctx, input),
  }),
  defineOperation({
    name: 'rule.archive',
    summary:
      'Stop a rule record from applying (it keeps its ref and history; rule restore brings it back)',
    effects: 'write',
    input: z.strictObject({ rule: ruleKey }),
    output: RuleRecordSchema,
    cli: { positional: ['rule'], aliases: ['delete', 'rm', 'remove'], columns: RULE_COLUMNS },
    handler: (ctx, input) => archiveRule(ctx, input),
  }),
  defineOperation({
    name: 'rule.restore',
    summary: 'Bring an archived rule record back into force',
    effects: 'write',
    input: z.strictObject({ rule: ruleKey }),
    output: RuleRecordSchema,
    cli: { positional: ['rule'], columns: RULE_COLUMNS },
    handler: (ctx, input) => restoreRule(ctx, input),
  }),
  defineOperation({
    name: 'rule.check',
    summary:
      'Dry run: which rule (or the quality gate) would decide moving a task or record to a status',
    effects: 'read',
    input: z.strictObject({ record: recordKey, to: statusName }),
    output: z.object({
      entity: z.string(),
      ref: z.string(),
      from: z.string(),
      to: z.string(),
      outcome: z.string(),
      rule: z.string().nullable(),
      ruleRef: z.string().nullable(),
      source: z.string().nullable(),
      reason: z.string().nullable(),
      approval: z.string().nullable(),
      gate: z
        .object({
          gated: z.boolean(),
          blocking: z.array(
            z.object({
              criterion: z.number(),
              text: z.string(),
              cases: z.array(z.string()),
              state: z.string(),
            }),
          ),
        })
        .nullable(),
    }),
    cli: {
      positional: ['record', 'to'],
      examples: ['bosun rule check HOME-12 done', 'bosun rule check HOME-R3 closed --json'],
    },
    handler: (ctx, input) => checkRule(ctx, input),
  }),
  defineOperation({
    name: 'rule.decisions',
    summary:
      'The decision log: every status change a rule or the quality gate decided (refusals too), newest first',
    effects: 'read',
    input: z.strictObject({
      record: recordKey.optional(),
      entity: entityName.optional(),
      limit: limit.optional(),
    }),
    output: z.array(RuleDecisionSchema),
    cli: {
      positional: ['record'],
      aliases: ['log'],
      columns: [
        'at',
        'recordRef:RECORD',
        'from',
        'to',
        'outcome',
        'rule',
        'ruleRef',
        'source',
        'actor',
      ],
      colors: { outcome: { allow: 'green', approved: 'green', deny: 'red', require: 'yellow' } },
      empty: 'No decisions recorded.',
      examples: ['bosun rule decisions', 'bosun rule decisions HOME-12 --json'],
    },
    handler: (ctx, input) => listDecisions(ctx, input),
  }),
  defineOperation({
    name: 'rule.approvals',
    summary: "The approvals 'require' rules asked for; --pending: those still waiting",
    effects: 'read',
    input: z.strictObject({ pending: z.boolean().optional() }),
    output: z.array(TransitionApprovalSchema),
    cli: {
      columns: [
        'id',
        'recordRef:RECORD',
        'from',
        'to',
        'rule',
        'approver',
        'requestedBy',
        'approvedBy',
        'consumedAt:USED',
      ],
      empty: 'No approvals.',
      examples: ['bosun rule approvals --pending'],
    },
    handler: (ctx, input) => listTransitionApprovals(ctx, input),
  }),
  defineOperation({
    name: 'rule.approve',
    summary:
      "Approve a status change a 'require' rule held back; the next identical move uses the approval",
    effects: 'write',
    input: z.strictObject({
      approval: z.string().trim().min(1, 'must name an approval by id'),
      comment: optionalText(1_000).optional(),
    }),
    output: TransitionApprovalSchema,
    cli: {
      positional: ['approval'],
      examples: [
        'bosun rule approve 01J9Z3V6Q8R2W4X5Y7Z8A9B0C1 --comment "checked with the client" --as ana',
      ],
    },
    handler: (ctx, input) => approveTransition(ctx, input),
  }),
];
