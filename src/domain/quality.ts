/**
 * Quality: test plans (HOME-P1, made from a template), test cases (HOME-C3, each optionally
 * covering one acceptance criterion of a task), results (pass, fail or blocked, with evidence:
 * text, links, small attachments; append-only, the latest counts), approvals of results, and
 * coverage of the acceptance criteria of a sprint's or a project's tasks. The done-gate's rule —
 * which criteria hold a task back — is `Quality.criterionState` here; the service applies it.
 */

import { z } from 'zod';
import { optionalText, requiredText } from './fields.js';
import { projectRecordFields } from './project-record.js';

export const TEST_PLAN_STATUSES = ['draft', 'active', 'closed'] as const;
export type TestPlanStatus = (typeof TEST_PLAN_STATUSES)[number];

export const TEST_TEMPLATES = ['acceptance', 'smoke', 'regression', 'blank'] as const;
export type TestTemplate = (typeof TEST_TEMPLATES)[number];

export const TEST_OUTCOMES = ['pass', 'fail', 'blocked'] as const;
export type TestOutcome = (typeof TEST_OUTCOMES)[number];

/** Attachments are kept in the store; anything larger belongs behind a link. */
export const MAX_ATTACHMENT_BYTES = 1024 * 1024;

export const TestPlanSchema = z.object({
  ...projectRecordFields('testplan'),
  title: requiredText(200),
  description: optionalText(10_000),
  template: z.enum(TEST_TEMPLATES),
  status: z.enum(TEST_PLAN_STATUSES),
  /** A pass counts (for coverage and the done-gate) only once approved. */
  requiresApproval: z.boolean(),
  sprintId: z.string().nullable(),
  milestoneRef: z.string().nullable(),
  /** The tasks in the plan's scope when it was made (its task refs, sprint's or milestone's). */
  taskIds: z.array(z.string()),
});
export type TestPlan = Readonly<z.infer<typeof TestPlanSchema>>;

export const TestPlanViewSchema = TestPlanSchema.extend({
  tasks: z.array(z.string()),
  cases: z.number().int().nonnegative(),
});
export type TestPlanView = Readonly<z.infer<typeof TestPlanViewSchema>>;

export const TestCaseSchema = z.object({
  ...projectRecordFields('testcase'),
  planId: z.string(),
  title: requiredText(200),
  steps: optionalText(20_000),
  expected: optionalText(20_000),
  /** The task whose acceptance criterion this case checks; null for a case of no criterion. */
  taskId: z.string().nullable(),
  /** 1-based number of the criterion in the task's acceptance list. */
  criterion: z.number().int().positive().nullable(),
});
export type TestCase = Readonly<z.infer<typeof TestCaseSchema>>;

export const TestAttachmentSchema = z.object({
  id: z.string(),
  resultId: z.string(),
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  /** The file's bytes, base64. */
  content: z.string(),
});
export type TestAttachment = Readonly<z.infer<typeof TestAttachmentSchema>>;

export const TestResultSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  outcome: z.enum(TEST_OUTCOMES),
  evidence: z.string(),
  links: z.array(z.string()),
  recordedBy: z.string(),
  recordedAt: z.string(),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  approvalComment: z.string().nullable(),
});
export type TestResult = Readonly<z.infer<typeof TestResultSchema>>;

/** A result as shown: its attachments without their content (`testcase show` lists them). */
export const TestResultViewSchema = TestResultSchema.extend({
  attachments: z.array(TestAttachmentSchema.omit({ content: true, resultId: true })),
});
export type TestResultView = Readonly<z.infer<typeof TestResultViewSchema>>;

export const TestCaseViewSchema = TestCaseSchema.extend({
  plan: z.string(),
  task: z.string().nullable(),
  /** The latest result's outcome; null before the first. */
  result: z.enum(TEST_OUTCOMES).nullable(),
  approved: z.boolean(),
  results: z.array(TestResultViewSchema),
});
export type TestCaseView = Readonly<z.infer<typeof TestCaseViewSchema>>;

/** Where one acceptance criterion stands. */
export const CRITERION_STATES = ['passing', 'failing', 'blocked', 'untested', 'missing'] as const;
export type CriterionState = (typeof CRITERION_STATES)[number];

export const Quality = {
  /**
   * A criterion's state from the latest result of each case covering it: no case is `missing`;
   * any failing case makes it `failing`, else any blocked `blocked`, else any case without a
   * counted result `untested` (a pass that needs approval counts once approved); else `passing`.
   */
  criterionState(
    latest: readonly { result: TestResult | undefined; requiresApproval: boolean }[],
  ): CriterionState {
    if (latest.length === 0) return 'missing';
    const outcomes = latest.map(({ result, requiresApproval }) =>
      result === undefined
        ? 'untested'
        : result.outcome === 'pass' && requiresApproval && result.approvedAt === null
          ? 'untested'
          : result.outcome,
    );
    if (outcomes.includes('fail')) return 'failing';
    if (outcomes.includes('blocked')) return 'blocked';
    if (outcomes.includes('untested')) return 'untested';
    return 'passing';
  },
  /** Percent with one decimal, from whole counts (0 of 0 is 100: nothing to cover). */
  percent(part: number, whole: number): number {
    return whole === 0 ? 100 : Math.round((part * 1000) / whole) / 10;
  },
};
