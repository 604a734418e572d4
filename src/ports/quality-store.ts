/**
 * The storage port's part for quality and workflow rules: test plans, cases, results and their
 * attachments; rule records, the decision log and the approvals `require` rules ask for. Part of
 * `Repositories` (ports/store.ts); each runs inside the caller's transaction.
 */

import type { TestAttachment, TestCase, TestPlan, TestResult } from '../domain/quality.js';
import type { RuleDecision, RuleRecord, TransitionApproval } from '../domain/workflow-rule.js';

interface LockOption {
  readonly lock?: boolean | undefined;
}

interface RecordRepositoryOf<T> {
  insert(record: T): Promise<void>;
  update(record: T): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(id: string, options?: LockOption): Promise<T | undefined>;
  findByRef(ref: string, options?: LockOption): Promise<T | undefined>;
}

export interface ProjectScopedFilter {
  readonly projectId?: string | undefined;
  readonly includeArchived?: boolean | undefined;
}

export interface WorkflowRuleRepository extends RecordRepositoryOf<RuleRecord> {
  /** In ref-number order (creation order): the order rules are evaluated in. */
  list(filter: ProjectScopedFilter): Promise<RuleRecord[]>;
}

export interface DecisionFilter {
  readonly recordId?: string | undefined;
  readonly entity?: string | undefined;
  readonly limit?: number | undefined;
}

export interface RuleDecisionRepository {
  append(decision: RuleDecision): Promise<void>;
  /** Newest first. */
  list(filter: DecisionFilter): Promise<RuleDecision[]>;
}

export interface ApprovalKey {
  readonly rule: string;
  readonly ruleRef: string | null;
  readonly recordId: string;
  readonly from: string;
  readonly to: string;
}

export interface TransitionApprovalRepository {
  insert(approval: TransitionApproval): Promise<void>;
  update(approval: TransitionApproval): Promise<void>;
  findById(id: string, options?: LockOption): Promise<TransitionApproval | undefined>;
  /** The oldest request for this move that is not consumed yet (approved or not). */
  findOpen(key: ApprovalKey, options?: LockOption): Promise<TransitionApproval | undefined>;
  /** Oldest first; `pending`: only those not approved yet. */
  list(filter: { readonly pending?: boolean | undefined }): Promise<TransitionApproval[]>;
}

export interface TestPlanRepository extends RecordRepositoryOf<TestPlan> {
  /** In ref-number order. */
  list(filter: ProjectScopedFilter): Promise<TestPlan[]>;
}

export interface TestCaseFilter extends ProjectScopedFilter {
  readonly planId?: string | undefined;
  /** Only cases covering a criterion of one of these tasks. */
  readonly taskIds?: readonly string[] | undefined;
}

export interface TestCaseRepository extends RecordRepositoryOf<TestCase> {
  /** In ref-number order. */
  list(filter: TestCaseFilter): Promise<TestCase[]>;
}

export interface TestResultRepository {
  insert(result: TestResult): Promise<void>;
  update(result: TestResult): Promise<void>;
  findById(id: string, options?: LockOption): Promise<TestResult | undefined>;
  /** Every result of these cases, oldest first (the last of a case is its latest). */
  listForCases(caseIds: readonly string[]): Promise<TestResult[]>;
}

export interface TestAttachmentRepository {
  insert(attachment: TestAttachment): Promise<void>;
  /** With their content (base64). */
  listForResults(resultIds: readonly string[]): Promise<TestAttachment[]>;
}

export interface QualityRepositories {
  readonly workflowRules: WorkflowRuleRepository;
  readonly ruleDecisions: RuleDecisionRepository;
  readonly transitionApprovals: TransitionApprovalRepository;
  readonly testPlans: TestPlanRepository;
  readonly testCases: TestCaseRepository;
  readonly testResults: TestResultRepository;
  readonly testAttachments: TestAttachmentRepository;
}
