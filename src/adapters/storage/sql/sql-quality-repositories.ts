/**
 * Quality's and workflow rules' repositories over Kysely, the same on both dialects: rule
 * records, the decision log, transition approvals, test plans, cases, results and attachments.
 * Records go through the shared recordRows; lists keep creation order (ref numbers).
 */

import type { Kysely } from 'kysely';
import type { TestAttachment, TestCase, TestPlan, TestResult } from '../../../domain/quality.js';
import type {
  Condition,
  RuleDecision,
  RuleRecord,
  TransitionApproval,
} from '../../../domain/workflow-rule.js';
import type { QualityRepositories } from '../../../ports/quality-store.js';
import type { StoreDialect } from '../../../ports/store.js';
import { inScope, recordRows } from './sql-project-records.js';
import type {
  RuleDecisionsTable,
  TestAttachmentsTable,
  TestCasesTable,
  TestPlansTable,
  TestResultsTable,
  TransitionApprovalsTable,
  WorkflowRulesTable,
} from './sql-quality-schema.js';
import type { Database } from './sql-schema.js';

// Our own JSON, written by the mappers below.
const stored = <T>(text: string): T => JSON.parse(text) as T;
const storedOrNull = <T>(text: string | null): T | null => (text === null ? null : stored<T>(text));
const jsonOrNull = (value: unknown): string | null =>
  value === null ? null : JSON.stringify(value);

const ID_CHUNK = 500;
function chunk<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ID_CHUNK) out.push(items.slice(i, i + ID_CHUNK));
  return out;
}

function toRule(row: WorkflowRulesTable): RuleRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    name: row.name,
    entity: row.entity,
    from: storedOrNull<string[]>(row.from_statuses),
    to: storedOrNull<string[]>(row.to_statuses),
    when: stored<Record<string, Condition>>(row.conditions),
    then: row.outcome as RuleRecord['then'],
    reason: row.reason,
    approver: row.approver,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

function toRuleRow(rule: RuleRecord): WorkflowRulesTable {
  return {
    id: rule.id,
    project_id: rule.projectId,
    ref: rule.ref,
    name: rule.name,
    entity: rule.entity,
    from_statuses: jsonOrNull(rule.from),
    to_statuses: jsonOrNull(rule.to),
    conditions: JSON.stringify(rule.when),
    outcome: rule.then,
    reason: rule.reason,
    approver: rule.approver,
    created_at: rule.createdAt,
    updated_at: rule.updatedAt,
    archived_at: rule.archivedAt,
  };
}

function toDecision(row: RuleDecisionsTable): RuleDecision {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    operation: row.operation,
    rule: row.rule,
    ruleRef: row.rule_ref,
    source: row.source as RuleDecision['source'],
    entity: row.entity,
    recordId: row.record_id,
    recordRef: row.record_ref,
    from: row.from_status,
    to: row.to_status,
    input: stored<Record<string, unknown>>(row.input),
    outcome: row.outcome as RuleDecision['outcome'],
    reason: row.reason,
  };
}

function toApproval(row: TransitionApprovalsTable): TransitionApproval {
  return {
    id: row.id,
    rule: row.rule,
    ruleRef: row.rule_ref,
    entity: row.entity,
    recordId: row.record_id,
    recordRef: row.record_ref,
    from: row.from_status,
    to: row.to_status,
    approver: row.approver,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    comment: row.comment,
    consumedAt: row.consumed_at,
  };
}

function toApprovalRow(approval: TransitionApproval): TransitionApprovalsTable {
  return {
    id: approval.id,
    rule: approval.rule,
    rule_ref: approval.ruleRef,
    entity: approval.entity,
    record_id: approval.recordId,
    record_ref: approval.recordRef,
    from_status: approval.from,
    to_status: approval.to,
    approver: approval.approver,
    requested_by: approval.requestedBy,
    requested_at: approval.requestedAt,
    approved_by: approval.approvedBy,
    approved_at: approval.approvedAt,
    comment: approval.comment,
    consumed_at: approval.consumedAt,
  };
}

function toPlan(row: TestPlansTable): TestPlan {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    title: row.title,
    description: row.description,
    template: row.template as TestPlan['template'],
    status: row.status as TestPlan['status'],
    requiresApproval: Number(row.requires_approval) === 1,
    sprintId: row.sprint_id,
    milestoneRef: row.milestone_ref,
    taskIds: stored<string[]>(row.task_ids),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

function toPlanRow(plan: TestPlan): TestPlansTable {
  return {
    id: plan.id,
    project_id: plan.projectId,
    ref: plan.ref,
    title: plan.title,
    description: plan.description,
    template: plan.template,
    status: plan.status,
    requires_approval: plan.requiresApproval ? 1 : 0,
    sprint_id: plan.sprintId,
    milestone_ref: plan.milestoneRef,
    task_ids: JSON.stringify(plan.taskIds),
    created_at: plan.createdAt,
    updated_at: plan.updatedAt,
    archived_at: plan.archivedAt,
  };
}

function toCase(row: TestCasesTable): TestCase {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    planId: row.plan_id,
    title: row.title,
    steps: row.steps,
    expected: row.expected,
    taskId: row.task_id,
    criterion: row.criterion === null ? null : Number(row.criterion),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

function toCaseRow(testCase: TestCase): TestCasesTable {
  return {
    id: testCase.id,
    project_id: testCase.projectId,
    ref: testCase.ref,
    plan_id: testCase.planId,
    title: testCase.title,
    steps: testCase.steps,
    expected: testCase.expected,
    task_id: testCase.taskId,
    criterion: testCase.criterion,
    created_at: testCase.createdAt,
    updated_at: testCase.updatedAt,
    archived_at: testCase.archivedAt,
  };
}

function toResult(row: TestResultsTable): TestResult {
  return {
    id: row.id,
    caseId: row.case_id,
    outcome: row.outcome as TestResult['outcome'],
    evidence: row.evidence,
    links: stored<string[]>(row.links),
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    approvalComment: row.approval_comment,
  };
}

function toResultRow(result: TestResult): TestResultsTable {
  return {
    id: result.id,
    case_id: result.caseId,
    outcome: result.outcome,
    evidence: result.evidence,
    links: JSON.stringify(result.links),
    recorded_by: result.recordedBy,
    recorded_at: result.recordedAt,
    approved_by: result.approvedBy,
    approved_at: result.approvedAt,
    approval_comment: result.approvalComment,
  };
}

function toAttachment(row: TestAttachmentsTable): TestAttachment {
  return {
    id: row.id,
    resultId: row.result_id,
    name: row.name,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    content: row.content,
  };
}

export function qualityRepositories(
  db: Kysely<Database>,
  dialect: StoreDialect,
): QualityRepositories {
  return {
    workflowRules: {
      ...recordRows(db, dialect, 'workflow_rules', toRule, toRuleRow),
      async list(filter) {
        const query = inScope(db.selectFrom('workflow_rules').selectAll(), filter);
        const rows = await query.orderBy('created_at').orderBy('id').execute();
        return rows.map(toRule);
      },
    },
    ruleDecisions: {
      async append(decision) {
        await db
          .insertInto('rule_decisions')
          .values({
            id: decision.id,
            at: decision.at,
            actor: decision.actor,
            operation: decision.operation,
            rule: decision.rule,
            rule_ref: decision.ruleRef,
            source: decision.source,
            entity: decision.entity,
            record_id: decision.recordId,
            record_ref: decision.recordRef,
            from_status: decision.from,
            to_status: decision.to,
            input: JSON.stringify(decision.input),
            outcome: decision.outcome,
            reason: decision.reason,
          })
          .execute();
      },
      async list(filter) {
        let query = db.selectFrom('rule_decisions').selectAll();
        if (filter.recordId) query = query.where('record_id', '=', filter.recordId);
        if (filter.entity) query = query.where('entity', '=', filter.entity);
        const rows = await query
          .orderBy('at', 'desc')
          .orderBy('id', 'desc')
          .limit(filter.limit ?? 100)
          .execute();
        return rows.map(toDecision);
      },
    },
    transitionApprovals: {
      async insert(approval) {
        await db.insertInto('transition_approvals').values(toApprovalRow(approval)).execute();
      },
      async update(approval) {
        const { id, ...row } = toApprovalRow(approval);
        await db.updateTable('transition_approvals').set(row).where('id', '=', id).execute();
      },
      async findById(id, options) {
        let query = db.selectFrom('transition_approvals').selectAll().where('id', '=', id);
        if (options?.lock && dialect === 'postgres') query = query.forUpdate();
        const row = await query.executeTakeFirst();
        return row && toApproval(row);
      },
      async findOpen(key, options) {
        let query = db
          .selectFrom('transition_approvals')
          .selectAll()
          .where('record_id', '=', key.recordId)
          .where('rule', '=', key.rule)
          .where('from_status', '=', key.from)
          .where('to_status', '=', key.to)
          .where('consumed_at', 'is', null);
        query =
          key.ruleRef === null
            ? query.where('rule_ref', 'is', null)
            : query.where('rule_ref', '=', key.ruleRef);
        if (options?.lock && dialect === 'postgres') query = query.forUpdate();
        const row = await query.orderBy('requested_at').orderBy('id').executeTakeFirst();
        return row && toApproval(row);
      },
      async list(filter) {
        let query = db.selectFrom('transition_approvals').selectAll();
        if (filter.pending) {
          query = query.where('approved_at', 'is', null).where('consumed_at', 'is', null);
        }
        const rows = await query.orderBy('requested_at').orderBy('id').execute();
        return rows.map(toApproval);
      },
    },
    testPlans: {
      ...recordRows(db, dialect, 'test_plans', toPlan, toPlanRow),
      async list(filter) {
        const query = inScope(db.selectFrom('test_plans').selectAll(), filter);
        const rows = await query.orderBy('created_at').orderBy('id').execute();
        return rows.map(toPlan);
      },
    },
    testCases: {
      ...recordRows(db, dialect, 'test_cases', toCase, toCaseRow),
      async list(filter) {
        if (filter.taskIds && filter.taskIds.length === 0) return [];
        const found: TestCase[] = [];
        for (const taskIds of filter.taskIds ? chunk(filter.taskIds) : [undefined]) {
          let query = inScope(db.selectFrom('test_cases').selectAll(), filter);
          if (filter.planId) query = query.where('plan_id', '=', filter.planId);
          if (taskIds) query = query.where('task_id', 'in', taskIds);
          found.push(...(await query.execute()).map(toCase));
        }
        return found.sort((a, b) =>
          a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
        );
      },
    },
    testResults: {
      async insert(result) {
        await db.insertInto('test_results').values(toResultRow(result)).execute();
      },
      async update(result) {
        const { id, ...row } = toResultRow(result);
        await db.updateTable('test_results').set(row).where('id', '=', id).execute();
      },
      async findById(id, options) {
        let query = db.selectFrom('test_results').selectAll().where('id', '=', id);
        if (options?.lock && dialect === 'postgres') query = query.forUpdate();
        const row = await query.executeTakeFirst();
        return row && toResult(row);
      },
      async listForCases(caseIds) {
        const found: TestResult[] = [];
        for (const ids of chunk(caseIds)) {
          const rows = await db
            .selectFrom('test_results')
            .selectAll()
            .where('case_id', 'in', ids)
            .execute();
          found.push(...rows.map(toResult));
        }
        return found.sort((a, b) =>
          a.recordedAt === b.recordedAt
            ? a.id < b.id
              ? -1
              : 1
            : a.recordedAt < b.recordedAt
              ? -1
              : 1,
        );
      },
    },
    testAttachments: {
      async insert(attachment) {
        await db
          .insertInto('test_attachments')
          .values({
            id: attachment.id,
            result_id: attachment.resultId,
            name: attachment.name,
            bytes: attachment.bytes,
            sha256: attachment.sha256,
            content: attachment.content,
          })
          .execute();
      },
      async listForResults(resultIds) {
        const found: TestAttachment[] = [];
        for (const ids of chunk(resultIds)) {
          const rows = await db
            .selectFrom('test_attachments')
            .selectAll()
            .where('result_id', 'in', ids)
            .orderBy('id')
            .execute();
          found.push(...rows.map(toAttachment));
        }
        return found;
      },
    },
  };
}
