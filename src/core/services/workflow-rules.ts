/**
 * Runs the workflow rules on a status change (docs/command-center.md "Workflow rules"). The
 * caller has already applied its built-in transition table; here the rules of bosun.yaml (in the
 * order written) and then the project's rule records (by number) are taken in order and the
 * first that matches decides: `deny` refuses, `require` refuses until an approval for exactly
 * this move exists (the move consumes it), `allow` lets it through and skips the built-in gates.
 * Then, for a task going to done that no `allow` rule let through, the quality gate. Every
 * decision is recorded; a refusal also hands the operation runner a copy to keep after the
 * rollback (docs/decisions/0019-workflow-rule-decisions.md).
 */

import type {
  DecisionOutcome,
  RuleDecision,
  RuleDefinition,
  RuleRecord,
  RuleSource,
  TransitionApproval,
  Transition,
} from '../../domain/workflow-rule.js';
import { RULE_ENTITY_SHAPES, WorkflowRule } from '../../domain/workflow-rule.js';
import type { Task } from '../../domain/task.js';
import type { ApprovalKey } from '../../ports/quality-store.js';
import { BosunError } from '../../shared/errors.js';
import { describeCriterion, qualityGate } from './quality-gate.js';
import type { ServiceContext } from './service-context.js';
import { nowIso } from './service-context.js';

export const QUALITY_GATE_RULE = 'quality-gate';

export interface TransitionCheck {
  /** `task` or the kind of project record. */
  readonly entity: string;
  readonly projectId: string;
  readonly recordId: string;
  readonly recordRef: string;
  readonly from: string;
  readonly to: string;
  /** The record before the change. */
  readonly record: Readonly<Record<string, unknown>>;
}

export interface DecidingRule {
  readonly rule: string;
  readonly ruleRef: string | null;
  readonly source: RuleSource;
  readonly then: RuleDefinition['then'];
  readonly reason: string | null;
  readonly approver: string | null;
}

export interface Verdict {
  /** The rule that decided; null when none matched. */
  readonly decidedBy: DecidingRule | null;
  /** `none`: no rule matched; `approved`: a require rule whose approval exists. */
  readonly outcome: DecisionOutcome | 'none';
  /** The approval that lets a `require` rule pass (`approved`), or the one still pending. */
  readonly approval: TransitionApproval | null;
}

export function ruleDefinitionOf(rule: RuleRecord, projectKey: string): RuleDefinition {
  return {
    name: rule.name,
    entity: rule.entity,
    ...(rule.from === null ? {} : { from: rule.from }),
    ...(rule.to === null ? {} : { to: rule.to }),
    project: projectKey,
    when: rule.when,
    then: rule.then,
    ...(rule.reason === '' ? {} : { reason: rule.reason }),
    ...(rule.approver === null ? {} : { approver: rule.approver }),
  };
}

/** The fields a decision keeps of the record: those rules may name, with its ref and status. */
function snapshot(check: TransitionCheck): Record<string, unknown> {
  const fields = RULE_ENTITY_SHAPES[check.entity]?.fields;
  if (!fields) return { ...check.record };
  const kept: Record<string, unknown> = { ref: check.recordRef, status: check.from };
  for (const field of fields) if (field in check.record) kept[field] = check.record[field];
  return kept;
}

const approvalKey = (check: TransitionCheck, rule: DecidingRule): ApprovalKey => ({
  rule: rule.rule,
  ruleRef: rule.ruleRef,
  recordId: check.recordId,
  from: check.from,
  to: check.to,
});

/** Which rule decides `check` and how, without writing anything (`rule check` and the hook). */
export async function evaluateRules(ctx: ServiceContext, check: TransitionCheck): Promise<Verdict> {
  const project = await ctx.repos.projects.findById(check.projectId);
  const projectKey = project?.key ?? '';
  const records = await ctx.repos.workflowRules.list({ projectId: check.projectId });
  const rules: WorkflowRule[] = [
    ...(ctx.workflowRules ?? []).map((definition) => ({
      definition,
      source: 'yaml' as const,
      ref: null,
    })),
    ...records.map((record) => ({
      definition: ruleDefinitionOf(record, projectKey),
      source: 'record' as const,
      ref: record.ref,
    })),
  ];
  const transition: Transition = {
    entity: check.entity,
    projectKey,
    from: check.from,
    to: check.to,
    record: check.record,
  };
  const rule = WorkflowRule.decide(rules, transition);
  if (!rule) return { decidedBy: null, outcome: 'none', approval: null };
  const decidedBy: DecidingRule = {
    rule: rule.definition.name,
    ruleRef: rule.ref,
    source: rule.source,
    then: rule.definition.then,
    reason: rule.definition.reason ?? null,
    approver: rule.definition.approver ?? null,
  };
  if (decidedBy.then !== 'require') {
    return { decidedBy, outcome: decidedBy.then, approval: null };
  }
  const approval =
    (await ctx.repos.transitionApprovals.findOpen(approvalKey(check, decidedBy), {
      lock: true,
    })) ?? null;
  return {
    decidedBy,
    outcome: approval?.approvedAt ? 'approved' : 'require',
    approval,
  };
}

function decisionOf(
  ctx: ServiceContext,
  check: TransitionCheck,
  rule: Pick<DecidingRule, 'rule' | 'ruleRef' | 'source' | 'reason'>,
  outcome: DecisionOutcome,
  input: Record<string, unknown> = snapshot(check),
): RuleDecision {
  return {
    id: ctx.newId(),
    at: nowIso(ctx),
    actor: ctx.actor,
    operation: ctx.operation,
    rule: rule.rule,
    ruleRef: rule.ruleRef,
    source: rule.source,
    entity: check.entity,
    recordId: check.recordId,
    recordRef: check.recordRef,
    from: check.from,
    to: check.to,
    input,
    outcome,
    reason: rule.reason,
  };
}

/** What a refusal must still write once its transaction has rolled back. */
type KeepAfterRollback = (ctx: ServiceContext) => Promise<void>;
const refusals = new WeakMap<object, KeepAfterRollback>();

/** The decision (and approval request) a refused change leaves to be kept, if `error` is one. */
export function refusalRecord(error: unknown): KeepAfterRollback | undefined {
  return typeof error === 'object' && error !== null ? refusals.get(error) : undefined;
}

/**
 * Writes the decision (and a new approval request) now — kept when the caller catches the
 * refusal and carries on, as a run's task link does — and hands the same rows to the runner,
 * which writes them again after the rollback that an uncaught refusal causes.
 */
async function refuse(
  ctx: ServiceContext,
  decision: RuleDecision,
  request: TransitionApproval | null,
  error: BosunError,
): Promise<never> {
  const write = async (c: ServiceContext): Promise<void> => {
    await c.repos.ruleDecisions.append(decision);
    if (request && !(await c.repos.transitionApprovals.findById(request.id))) {
      await c.repos.transitionApprovals.insert(request);
    }
  };
  await write(ctx);
  refusals.set(error, write);
  throw error;
}

/**
 * The hook every status change calls once its built-in transition table allowed the move:
 * throws `policy_denied` naming the rule when a rule (or the quality gate) refuses it.
 */
export async function checkTransition(ctx: ServiceContext, check: TransitionCheck): Promise<void> {
  const verdict = await evaluateRules(ctx, check);
  const rule = verdict.decidedBy;
  const where = `${check.entity} ${check.recordRef} from ${check.from} to ${check.to}`;
  if (rule) {
    const named =
      rule.ruleRef === null
        ? `bosun.yaml rule '${rule.rule}'`
        : `rule ${rule.ruleRef} '${rule.rule}'`;
    const details = {
      field: 'status',
      rule: rule.rule,
      ruleRef: rule.ruleRef,
      source: rule.source,
      reason: rule.reason,
      entity: check.entity,
      ref: check.recordRef,
      from: check.from,
      to: check.to,
    };
    if (verdict.outcome === 'deny') {
      await refuse(
        ctx,
        decisionOf(ctx, check, rule, 'deny'),
        null,
        new BosunError(
          'policy_denied',
          `status: ${named} denies moving ${where}${rule.reason ? `: ${rule.reason}` : ''}`,
          { details },
        ),
      );
    }
    if (verdict.outcome === 'require') {
      const request: TransitionApproval = verdict.approval ?? {
        id: ctx.newId(),
        rule: rule.rule,
        ruleRef: rule.ruleRef,
        entity: check.entity,
        recordId: check.recordId,
        recordRef: check.recordRef,
        from: check.from,
        to: check.to,
        approver: rule.approver,
        requestedBy: ctx.actor,
        requestedAt: nowIso(ctx),
        approvedBy: null,
        approvedAt: null,
        comment: null,
        consumedAt: null,
      };
      const who = rule.approver === null ? 'someone' : rule.approver;
      await refuse(
        ctx,
        decisionOf(ctx, check, rule, 'require'),
        request,
        new BosunError(
          'policy_denied',
          `status: ${named} requires an approval to move ${where}${rule.reason ? ` (${rule.reason})` : ''}; ${who} approves it with 'bosun rule approve ${request.id}', then repeat the move`,
          { details: { ...details, approval: request.id, approver: rule.approver } },
        ),
      );
    }
    if (verdict.outcome === 'approved' && verdict.approval) {
      await ctx.repos.transitionApprovals.update({
        ...verdict.approval,
        consumedAt: nowIso(ctx),
      });
    }
    await ctx.repos.ruleDecisions.append(
      decisionOf(ctx, check, rule, verdict.outcome === 'approved' ? 'approved' : 'allow'),
    );
    // An allow rule lets the move past the built-in gates; an approval only answers its rule.
    if (verdict.outcome === 'allow') return;
  }
  if (check.entity === 'task' && check.to === 'done') {
    await checkQualityGate(ctx, check);
  }
}

async function checkQualityGate(ctx: ServiceContext, check: TransitionCheck): Promise<void> {
  const gate = await qualityGate(ctx.repos, check.record as unknown as Task);
  if (!gate.gated) return;
  const rule = { rule: QUALITY_GATE_RULE, ruleRef: null, source: 'builtin' as const };
  const criteria = gate.blocking.map((c) => ({
    criterion: c.criterion,
    text: c.text,
    cases: c.cases,
    state: c.state,
  }));
  if (gate.blocking.length === 0) {
    await ctx.repos.ruleDecisions.append(
      decisionOf(ctx, check, { ...rule, reason: null }, 'allow'),
    );
    return;
  }
  const reason = `acceptance criteria not passing: ${gate.blocking.map(describeCriterion).join('; ')}`;
  await refuse(
    ctx,
    decisionOf(ctx, check, { ...rule, reason }, 'deny', { ...snapshot(check), criteria }),
    null,
    new BosunError(
      'policy_denied',
      `status: ${check.recordRef} cannot be done: ${QUALITY_GATE_RULE}: ${reason}; record passing results ('bosun testcase record'), or a workflow rule with then: allow may let it through`,
      {
        details: {
          field: 'status',
          rule: QUALITY_GATE_RULE,
          ruleRef: null,
          source: 'builtin',
          reason,
          entity: check.entity,
          ref: check.recordRef,
          from: check.from,
          to: check.to,
          criteria,
        },
      },
    ),
  );
}
