/**
 * Quality (docs/command-center.md "Quality"): test plans from templates, test cases linked to
 * tasks' acceptance criteria, results with evidence and attachments, approvals of results, and
 * coverage per sprint, milestone or project.
 */

import { z } from 'zod';
import {
  approveTestResult,
  archiveTestCase,
  archiveTestPlan,
  createTestCase,
  createTestPlan,
  listTestCases,
  listTestPlans,
  recordTestResult,
  restoreTestCase,
  restoreTestPlan,
  showTestCase,
  showTestPlan,
  testCoverage,
  updateTestCase,
  updateTestPlan,
} from '../core/services/quality-service.js';
import type { AttachmentFile } from '../core/services/service-context.js';
import { optionalText, requiredText } from '../domain/fields.js';
import {
  CRITERION_STATES,
  TEST_OUTCOMES,
  TEST_PLAN_STATUSES,
  TEST_TEMPLATES,
  TestCaseViewSchema,
  TestPlanViewSchema,
} from '../domain/quality.js';
import { invalidInput } from '../shared/errors.js';
import { projectKey, sprintKey, taskKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const planKey = z.string().trim().min(1, 'must name a test plan by ref (HOME-P1) or id');
const caseKey = z.string().trim().min(1, 'must name a test case by ref (HOME-C3) or id');
const milestoneKey = z.string().trim().min(1, 'must name a milestone by ref (HOME-M1) or id');
const criterion = z
  .number()
  .int('must be a whole number')
  .positive('must be 1 or more (criteria are numbered from 1)');

const PLAN_COLUMNS = [
  'ref',
  'status',
  'template',
  'title',
  'tasks',
  'cases',
  'requiresApproval:APPROVAL',
];
const CASE_COLUMNS = ['ref', 'plan', 'task', 'criterion:#', 'result', 'approved', 'title'];
const CASE_COLORS = { result: { pass: 'green', fail: 'red', blocked: 'yellow' } } as const;

export const qualityOperations = [
  defineOperation({
    name: 'testplan.add',
    summary:
      'Add a test plan from a template (acceptance: one case per acceptance criterion of its tasks; smoke; regression; blank)',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      title: requiredText(200),
      description: optionalText(10_000).optional(),
      template: z.enum(TEST_TEMPLATES).optional(),
      tasks: z.array(taskKey).optional(),
      sprint: sprintKey.optional(),
      milestone: milestoneKey.optional(),
      status: z.enum(TEST_PLAN_STATUSES).optional(),
      requiresApproval: z.boolean().optional(),
    }),
    output: TestPlanViewSchema,
    cli: {
      positional: ['project', 'title'],
      aliases: ['create', 'new'],
      short: { t: 'template' },
      columns: PLAN_COLUMNS,
      examples: [
        'bosun testplan add HOME "Sprint 3 acceptance" --sprint "Sprint 3"',
        'bosun testplan add HOME "Backup acceptance" --tasks HOME-4 --tasks HOME-5 --requires-approval',
        'bosun testplan add HOME "Release smoke" -t smoke',
      ],
    },
    handler: (ctx, input) => createTestPlan(ctx, input),
  }),
  defineOperation({
    name: 'testplan.list',
    summary: 'Test plans, oldest first: filter by project',
    effects: 'read',
    input: z.strictObject({ project: projectKey.optional(), archived: z.boolean().optional() }),
    output: z.array(TestPlanViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: PLAN_COLUMNS,
      empty: 'No test plans.',
      examples: ['bosun testplan list HOME'],
    },
    handler: (ctx, input) => listTestPlans(ctx, input),
  }),
  defineOperation({
    name: 'testplan.show',
    summary: 'Show one test plan, archived or not',
    effects: 'read',
    input: z.strictObject({ plan: planKey }),
    output: TestPlanViewSchema,
    cli: { positional: ['plan'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showTestPlan(ctx, input),
  }),
  defineOperation({
    name: 'testplan.update',
    summary: "Change a test plan's title, description, status or whether passes need approval",
    effects: 'write',
    input: z.strictObject({
      plan: planKey,
      title: requiredText(200).optional(),
      description: optionalText(10_000).optional(),
      status: z.enum(TEST_PLAN_STATUSES).optional(),
      requiresApproval: z.boolean().optional(),
    }),
    output: TestPlanViewSchema,
    cli: {
      positional: ['plan'],
      aliases: ['edit', 'set'],
      short: { s: 'status' },
      columns: PLAN_COLUMNS,
      examples: [
        'bosun testplan update HOME-P1 -s closed',
        'bosun testplan update HOME-P1 --no-requires-approval',
      ],
    },
    handler: (ctx, input) => updateTestPlan(ctx, input),
  }),
  defineOperation({
    name: 'testplan.archive',
    summary: 'Archive a test plan (its cases stay; testplan restore brings it back)',
    effects: 'write',
    input: z.strictObject({ plan: planKey }),
    output: TestPlanViewSchema,
    cli: { positional: ['plan'], aliases: ['delete', 'rm', 'remove'], columns: PLAN_COLUMNS },
    handler: (ctx, input) => archiveTestPlan(ctx, input),
  }),
  defineOperation({
    name: 'testplan.restore',
    summary: 'Bring an archived test plan back',
    effects: 'write',
    input: z.strictObject({ plan: planKey }),
    output: TestPlanViewSchema,
    cli: { positional: ['plan'], columns: PLAN_COLUMNS },
    handler: (ctx, input) => restoreTestPlan(ctx, input),
  }),
  defineOperation({
    name: 'testplan.coverage',
    summary:
      "Coverage of the acceptance criteria of a project's, a sprint's or a milestone's tasks: covered, passing, failing, blocked, untested, missing",
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      sprint: sprintKey.optional(),
      milestone: milestoneKey.optional(),
    }),
    output: z.object({
      project: z.string(),
      sprint: z.string().nullable(),
      milestone: z.string().nullable(),
      tasks: z.number().int(),
      criteria: z.array(
        z.object({
          task: z.string(),
          taskId: z.string(),
          criterion: z.number().int(),
          text: z.string(),
          cases: z.array(z.string()),
          state: z.enum(CRITERION_STATES),
        }),
      ),
      totals: z.object({
        criteria: z.number().int(),
        covered: z.number().int(),
        passing: z.number().int(),
        failing: z.number().int(),
        blocked: z.number().int(),
        untested: z.number().int(),
        missing: z.number().int(),
      }),
      coveredPercent: z.number(),
      passingPercent: z.number(),
    }),
    cli: {
      positional: ['project'],
      rows: 'criteria',
      columns: ['task', 'criterion:#', 'state', 'cases', 'text'],
      empty: 'No acceptance criteria in scope.',
      examples: [
        'bosun testplan coverage HOME',
        'bosun testplan coverage HOME --sprint "Sprint 3"',
        'bosun testplan coverage --milestone HOME-M1 --json',
      ],
    },
    handler: (ctx, input) => testCoverage(ctx, input),
  }),
  defineOperation({
    name: 'testcase.add',
    summary:
      'Add a test case to a plan; --task and --criterion (1-based) link it to an acceptance criterion (ref PROJECT-C<n>)',
    effects: 'write',
    input: z.strictObject({
      plan: planKey,
      title: requiredText(200),
      steps: optionalText(20_000).optional(),
      expected: optionalText(20_000).optional(),
      task: taskKey.optional(),
      criterion: criterion.optional(),
    }),
    output: TestCaseViewSchema,
    cli: {
      positional: ['plan', 'title'],
      aliases: ['create', 'new'],
      columns: CASE_COLUMNS,
      colors: CASE_COLORS,
      examples: [
        'bosun testcase add HOME-P1 "Restore a file from last night" --task HOME-4 --criterion 2 --expected "the file matches"',
      ],
    },
    handler: (ctx, input) => createTestCase(ctx, input),
  }),
  defineOperation({
    name: 'testcase.list',
    summary: 'Test cases with their latest result: filter by project, plan or task',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      plan: planKey.optional(),
      task: taskKey.optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(TestCaseViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: CASE_COLUMNS,
      colors: CASE_COLORS,
      empty: 'No test cases.',
      examples: ['bosun testcase list --plan HOME-P1', 'bosun testcase list --task HOME-4'],
    },
    handler: (ctx, input) => listTestCases(ctx, input),
  }),
  defineOperation({
    name: 'testcase.show',
    summary: 'Show one test case with every result, its evidence and attachments',
    effects: 'read',
    input: z.strictObject({ testcase: caseKey }),
    output: TestCaseViewSchema,
    cli: { positional: ['testcase'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showTestCase(ctx, input),
  }),
  defineOperation({
    name: 'testcase.update',
    summary: 'Change a test case; --no-task unlinks it from its criterion',
    effects: 'write',
    input: z.strictObject({
      testcase: caseKey,
      title: requiredText(200).optional(),
      steps: optionalText(20_000).optional(),
      expected: optionalText(20_000).optional(),
      task: taskKey.nullable().optional(),
      criterion: criterion.nullable().optional(),
    }),
    output: TestCaseViewSchema,
    cli: {
      positional: ['testcase'],
      aliases: ['edit', 'set'],
      columns: CASE_COLUMNS,
      colors: CASE_COLORS,
      examples: [
        'bosun testcase update HOME-C3 --criterion 1',
        'bosun testcase update HOME-C3 --no-task --no-criterion',
      ],
    },
    handler: (ctx, input) => updateTestCase(ctx, input),
  }),
  defineOperation({
    name: 'testcase.archive',
    summary: 'Archive a test case (it stops counting for coverage and the done-gate)',
    effects: 'write',
    input: z.strictObject({ testcase: caseKey }),
    output: TestCaseViewSchema,
    cli: { positional: ['testcase'], aliases: ['delete', 'rm', 'remove'], columns: CASE_COLUMNS },
    handler: (ctx, input) => archiveTestCase(ctx, input),
  }),
  defineOperation({
    name: 'testcase.restore',
    summary: 'Bring an archived test case back',
    effects: 'write',
    input: z.strictObject({ testcase: caseKey }),
    output: TestCaseViewSchema,
    cli: { positional: ['testcase'], columns: CASE_COLUMNS },
    handler: (ctx, input) => restoreTestCase(ctx, input),
  }),
  defineOperation<z.ZodType, z.ZodType, AttachmentFile[]>({
    name: 'testcase.record',
    summary:
      'Record a result of a test case (pass, fail or blocked) with evidence: text, links, files up to 1 MB',
    effects: 'write',
    input: z.strictObject({
      testcase: caseKey,
      outcome: z.enum(TEST_OUTCOMES),
      evidence: optionalText(20_000).optional(),
      links: z.array(z.url('must be a URL such as https://ci.example.com/run/12')).optional(),
      attach: z.array(z.string().trim().min(1, 'must be a file path')).optional(),
    }),
    output: TestCaseViewSchema,
    cli: {
      positional: ['testcase', 'outcome'],
      aliases: ['result'],
      short: { e: 'evidence' },
      columns: CASE_COLUMNS,
      colors: CASE_COLORS,
      examples: [
        'bosun testcase record HOME-C3 pass -e "restored notes.txt, checksums match" --links https://ci.example.com/run/12',
        'bosun testcase record HOME-C3 fail --attach screenshot.png',
      ],
    },
    // Files are read before the transaction opens, by whoever runs the operation.
    async prepare(ctx, input: { attach?: string[] }) {
      const paths = input.attach ?? [];
      if (paths.length === 0) return [];
      if (!ctx.attachments) throw invalidInput('attach', 'files cannot be read here');
      const files: AttachmentFile[] = [];
      for (const path of paths) files.push(await ctx.attachments(path));
      return files;
    },
    handler: (ctx, input, files) =>
      recordTestResult(ctx, input as Parameters<typeof recordTestResult>[1], files),
  }),
  defineOperation({
    name: 'testcase.approve',
    summary:
      "Approve a test case's result (the latest unless --result names one); nobody approves their own",
    effects: 'write',
    input: z.strictObject({
      testcase: caseKey,
      result: z.string().trim().min(1, 'must name a result by id').optional(),
      comment: optionalText(1_000).optional(),
    }),
    output: TestCaseViewSchema,
    cli: {
      positional: ['testcase'],
      columns: CASE_COLUMNS,
      colors: CASE_COLORS,
      examples: ['bosun testcase approve HOME-C3 --comment "evidence checked" --as ana'],
    },
    handler: (ctx, input) => approveTestResult(ctx, input),
  }),
];
