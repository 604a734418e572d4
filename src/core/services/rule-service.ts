/**
 * Workflow rules kept as project records (HOME-W2): add, change, list, archive, restore; a dry
 * run of which rule would decide a move (`rule check`); the decision log; and the approvals that
 * `require` rules ask for. The evaluation itself is in workflow-rules.ts.
 */

import type { Project } from '../../domain/project.js';
import { RECORD_SERIES } from '../../domain/project-record.js';
import type {
  Condition,
  RuleDecision,
  RuleDefinition,
  RuleRecord,
  TransitionApproval,
} from '../../domain/workflow-rule.js';
import { checkRuleDefinition } from '../../domain/workflow-rule.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { qualityGate } from './quality-gate.js';
import {
  newRecordFields,
  recordKindOfRef,
  resolveRecord,
  saveRecord,
  setArchived,
} from './project-records.js';
import { resolveProject, resolveTask } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';
import type { TransitionCheck } from './workflow-rules.js';
import { evaluateRules, QUALITY_GATE_RULE } from './workflow-rules.js';

/** What a rule may guard: tasks and every kind of project record but rules themselves. */
export function ruleEntities(): string[] {
  return ['task', ...Object.keys(RECORD_SERIES).filter((kind) => kind !== 'rule')];
}

/** Refuses a rule whose entity, statuses or condition fields are wrong, naming the field. */
export function assertRuleDefinition(rule: RuleDefinition): void {
  const problem = checkRuleDefinition(rule, ruleEntities());
  if (problem) throw invalidInput(problem.path.join('.'), problem.message);
}

export interface RuleFields {
  readonly name?: string | undefined;
  readonly entity?: string | undefined;
  readonly from?: readonly string[] | null | undefined;
  readonly to?: readonly string[] | null | undefined;
  readonly when?: Readonly<Record<string, Condition>> | undefined;
  readonly then?: RuleDefinition['then'] | undefined;
  readonly reason?: string | undefined;
  readonly approver?: string | null | undefined;
}

function checked(rule: RuleRecord, project: Project): RuleRecord {
  assertRuleDefinition({
    name: rule.name,
    entity: rule.entity,
    ...(rule.from === null ? {} : { from: rule.from }),
    ...(rule.to === null ? {} : { to: rule.to }),
    project: project.key,
    when: rule.when,
    then: rule.then,
    ...(rule.approver === null ? {} : { approver: rule.approver }),
  });
  return rule;
}

export async function createRule(
  ctx: ServiceContext,
  input: RuleFields & {
    project: string;
    name: string;
    entity: string;
    then: RuleDefinition['then'];
  },
): Promise<RuleRecord> {
  const project = await resolveProject(ctx.repos, input.project);
  const rule = checked(
    {
      ...(await newRecordFields(ctx, project, 'rule')),
      name: input.name,
      entity: input.entity,
      from: input.from ? [...input.from] : null,
      to: input.to ? [...input.to] : null,
      when: { ...(input.when ?? {}) },
      then: input.then,
      reason: input.reason ?? '',
      approver: input.approver ?? null,
    },
    project,
  );
  return saveRecord(ctx, 'rule', null, rule);
}

export async function updateRule(
  ctx: ServiceContext,
  input: RuleFields & { rule: string },
): Promise<RuleRecord> {
  const before = await resolveRecord<RuleRecord>(ctx.repos, 'rule', input.rule, { lock: true });
  const project = (await ctx.repos.projects.findById(before.projectId))!;
  const pick = <K extends keyof RuleRecord>(key: K, value: RuleRecord[K] | undefined) =>
    value === undefined ? before[key] : value;
  const after = checked(
    {
      ...before,
      name: input.name ?? before.name,
      entity: input.entity ?? before.entity,
      from: pick('from', input.from === undefined ? undefined : input.from && [...input.from]),
      to: pick('to', input.to === undefined ? undefined : input.to && [...input.to]),
      when: input.when ? { ...input.when } : before.when,
      then: input.then ?? before.then,
      reason: input.reason ?? before.reason,
      approver: pick('approver', input.approver),
      updatedAt: nowIso(ctx),
    },
    project,
  );
  return saveRecord(ctx, 'rule', before, after);
}

export async function showRule(ctx: ServiceContext, input: { rule: string }): Promise<RuleRecord> {
  return resolveRecord<RuleRecord>(ctx.repos, 'rule', input.rule, { includeArchived: true });
}

export async function listRules(
  ctx: ServiceContext,
  input: { project?: string | undefined; archived?: boolean | undefined },
): Promise<RuleRecord[]> {
  const project =
    input.project === undefined ? undefined : await resolveProject(ctx.repos, input.project);
  return ctx.repos.workflowRules.list({
    projectId: project?.id,
    includeArchived: input.archived === true,
  });
}

export const archiveRule = (ctx: ServiceContext, input: { rule: string }) =>
  setArchived<RuleRecord>(ctx, 'rule', input.rule, true);
export const restoreRule = (ctx: ServiceContext, input: { rule: string }) =>
  setArchived<RuleRecord>(ctx, 'rule', input.rule, false);

/** A task or a project record named by ref or id, as a status change would see it. */
async function subjectOf(
  ctx: ServiceContext,
  refOrId: string,
  to: string,
): Promise<TransitionCheck> {
  const kind = recordKindOfRef(refOrId);
  if (kind === undefined) {
    const task = await resolveTask(ctx.repos, refOrId, 'record');
    return {
      entity: 'task',
      projectId: task.projectId,
      recordId: task.id,
      recordRef: task.ref,
      from: task.status,
      to,
      record: task,
    };
  }
  const record = await resolveRecord(ctx.repos, kind, refOrId, {
    field: 'record',
    includeArchived: true,
  });
  const status = (record as { status?: unknown }).status;
  if (typeof status !== 'string') {
    throw invalidInput('record', `a ${kind} has no status for rules to guard`);
  }
  return {
    entity: kind,
    projectId: record.projectId,
    recordId: record.id,
    recordRef: record.ref,
    from: status,
    to,
    record,
  };
}

export interface RuleCheckResult {
  readonly entity: string;
  readonly ref: string;
  readonly from: string;
  readonly to: string;
  /** allow, deny, require (no approval yet), approved (an approval waits), none (no rule). */
  readonly outcome: string;
  readonly rule: string | null;
  readonly ruleRef: string | null;
  readonly source: string | null;
  readonly reason: string | null;
  readonly approval: string | null;
  /** For a task going to done that no allow rule lets through: the quality gate's view. */
  readonly gate: {
    readonly gated: boolean;
    readonly blocking: { criterion: number; text: string; cases: string[]; state: string }[];
  } | null;
}

/** Which rule would decide moving `record` to `to`, writing nothing (the status table aside). */
export async function checkRule(
  ctx: ServiceContext,
  input: { record: string; to: string },
): Promise<RuleCheckResult> {
  const check = await subjectOf(ctx, input.record, input.to);
  const verdict = await evaluateRules(ctx, check);
  const rule = verdict.decidedBy;
  let gate: RuleCheckResult['gate'] = null;
  if (check.entity === 'task' && check.to === 'done' && verdict.outcome !== 'allow') {
    const task = await resolveTask(ctx.repos, check.recordId);
    const found = await qualityGate(ctx.repos, task);
    gate = {
      gated: found.gated,
      blocking: found.blocking.map(({ criterion, text, cases, state }) => ({
        criterion,
        text,
        cases,
        state,
      })),
    };
  }
  const gateDenies = gate !== null && gate.blocking.length > 0;
  const ruleRefuses = verdict.outcome === 'deny' || verdict.outcome === 'require';
  return {
    entity: check.entity,
    ref: check.recordRef,
    from: check.from,
    to: check.to,
    outcome: ruleRefuses ? verdict.outcome : gateDenies ? 'deny' : verdict.outcome,
    rule: ruleRefuses || !gateDenies ? (rule?.rule ?? null) : QUALITY_GATE_RULE,
    ruleRef: ruleRefuses || !gateDenies ? (rule?.ruleRef ?? null) : null,
    source: ruleRefuses || !gateDenies ? (rule?.source ?? null) : 'builtin',
    reason: ruleRefuses || !gateDenies ? (rule?.reason ?? null) : 'acceptance criteria not passing',
    approval: verdict.approval?.id ?? null,
    gate,
  };
}

/** The decision log, newest first; of one task or record when named. */
export async function listDecisions(
  ctx: ServiceContext,
  input: { record?: string | undefined; entity?: string | undefined; limit?: number | undefined },
): Promise<RuleDecision[]> {
  const recordId =
    input.record === undefined ? undefined : (await subjectOf(ctx, input.record, '')).recordId;
  return ctx.repos.ruleDecisions.list({ recordId, entity: input.entity, limit: input.limit });
}

export async function listTransitionApprovals(
  ctx: ServiceContext,
  input: { pending?: boolean | undefined },
): Promise<TransitionApproval[]> {
  return ctx.repos.transitionApprovals.list({ pending: input.pending });
}

/** Grants an approval a `require` rule asked for; the rule's approver, when named, must give it. */
export async function approveTransition(
  ctx: ServiceContext,
  input: { approval: string; comment?: string | undefined },
): Promise<TransitionApproval> {
  const before = await ctx.repos.transitionApprovals.findById(input.approval.trim().toUpperCase(), {
    lock: true,
  });
  if (!before) {
    throw new BosunError(
      'not_found',
      `approval: no approval '${input.approval}'; see 'bosun rule approvals'`,
      { details: { field: 'approval', key: input.approval } },
    );
  }
  if (before.approvedAt !== null || before.consumedAt !== null) {
    throw new BosunError(
      'conflict',
      `approval: ${before.id} is already ${before.consumedAt ? 'used' : 'approved'}`,
      { details: { field: 'approval', approvedBy: before.approvedBy } },
    );
  }
  if (before.approver !== null && before.approver !== ctx.actor) {
    throw new BosunError(
      'policy_denied',
      `approval: only ${before.approver} may approve this (you are ${ctx.actor})`,
      { details: { field: 'approval', approver: before.approver, actor: ctx.actor } },
    );
  }
  const after: TransitionApproval = {
    ...before,
    approvedBy: ctx.actor,
    approvedAt: nowIso(ctx),
    comment: input.comment ?? null,
  };
  await ctx.repos.transitionApprovals.update(after);
  await recordAudit(
    ctx,
    { kind: 'transition-approval', id: after.id, label: after.recordRef },
    before,
    after,
  );
  return after;
}
