/**
 * The tables of quality (test plans, cases, results, attachments) and workflow rules (rule
 * records, the decision log, transition approvals), as Kysely sees them (migration 14). Lists
 * (statuses, task ids, links, conditions, a decision's input) are JSON text on both dialects.
 */

export interface WorkflowRulesTable {
  id: string;
  project_id: string;
  ref: string;
  name: string;
  entity: string;
  from_statuses: string | null;
  to_statuses: string | null;
  conditions: string;
  outcome: string;
  reason: string;
  approver: string | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface RuleDecisionsTable {
  id: string;
  at: string;
  actor: string;
  operation: string;
  rule: string;
  rule_ref: string | null;
  source: string;
  entity: string;
  record_id: string;
  record_ref: string;
  from_status: string;
  to_status: string;
  input: string;
  outcome: string;
  reason: string | null;
}

export interface TransitionApprovalsTable {
  id: string;
  rule: string;
  rule_ref: string | null;
  entity: string;
  record_id: string;
  record_ref: string;
  from_status: string;
  to_status: string;
  approver: string | null;
  requested_by: string;
  requested_at: string;
  approved_by: string | null;
  approved_at: string | null;
  comment: string | null;
  consumed_at: string | null;
}

export interface TestPlansTable {
  id: string;
  project_id: string;
  ref: string;
  title: string;
  description: string;
  template: string;
  status: string;
  requires_approval: number;
  sprint_id: string | null;
  milestone_ref: string | null;
  task_ids: string;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface TestCasesTable {
  id: string;
  project_id: string;
  ref: string;
  plan_id: string;
  title: string;
  steps: string;
  expected: string;
  task_id: string | null;
  criterion: number | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface TestResultsTable {
  id: string;
  case_id: string;
  outcome: string;
  evidence: string;
  links: string;
  recorded_by: string;
  recorded_at: string;
  approved_by: string | null;
  approved_at: string | null;
  approval_comment: string | null;
}

export interface TestAttachmentsTable {
  id: string;
  result_id: string;
  name: string;
  bytes: number;
  sha256: string;
  content: string;
}

export interface QualityTables {
  workflow_rules: WorkflowRulesTable;
  rule_decisions: RuleDecisionsTable;
  transition_approvals: TransitionApprovalsTable;
  test_plans: TestPlansTable;
  test_cases: TestCasesTable;
  test_results: TestResultsTable;
  test_attachments: TestAttachmentsTable;
}
